import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { buildApp } from '../../src/api/app';
import { parseStatusJson } from '../../src/cli/status-reply';
import type {
  IntegrationStatus,
  PackageStatus,
  SprintProgress,
  SprintStatus,
} from '../../src/domain/progress';
import type { Scope, SprintSpec, Strategy } from '../../src/domain/spec';
import { sprintStatusJson } from '../../src/schemas/status-json';
import { loadConfig } from '../../src/runtime/config';
import { scheduleViewSchema } from '../../src/schemas/schedule';
import { sprintSpecSchema } from '../../src/schemas/sprint-spec';
import {
  PACKAGE_STATUSES,
  packageStatusJsonSchema,
  statusJsonSchema,
} from '../../src/schemas/status-json';
import type {
  StatusJson,
  INTEGRATION_STATUSES,
  SPRINT_STATUSES,
} from '../../src/schemas/status-json';
import type { ScheduleView } from '../../src/service/schedules';
import { applyEvents, startedProgress } from '../support/specs';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const UI = { url: 'http://127.0.0.1:8233', namespace: 'default' };

/** A sprint that has been through most of what a sprint goes through: every field is set. */
function eventfulSprint(): SprintProgress {
  const started = startedProgress(
    {
      title: 'Everything',
      days: { count: 2, start: '2026-01-05' },
      deadline: '3d',
      integration: { checks: ['npm test'], push: true },
      packages: [
        { id: 'A', title: 'a', agent: 'claude', points: 1, tasks: [{ id: 'T1', title: 't' }] },
        { id: 'B', title: 'b', run: 'false', points: 1 },
        { id: 'C', title: 'c', run: 'true', dependsOn: ['B'], points: 1 },
      ],
    },
    T0,
  );
  const state = applyEvents(
    started,
    { type: 'package-started', id: 'A', at: T0, attempt: 1 },
    { type: 'package-worktree', id: 'A', attempt: 1, worktree: '/w/A', branch: 'sprintwave/s1/A' },
    {
      type: 'package-completed',
      id: 'A',
      at: T0 + 1_000,
      progress: { done: 2, total: 2, tasksDone: ['T1'] },
      evidence: {
        commit: 'c'.repeat(40),
        filesChanged: 2,
        insertions: 3,
        deletions: 1,
        files: ['x', 'y'],
      },
    },
    { type: 'package-started', id: 'B', at: T0, attempt: 1 },
    {
      type: 'package-failed',
      id: 'B',
      at: T0 + 2_000,
      error: 'exited with code 1',
      exitCode: 1,
      outputTail: ['boom'],
    },
    { type: 'package-blocked', id: 'C', by: ['B'] },
    {
      type: 'integration-merged',
      merged: ['A'],
      conflicts: [{ wpId: 'B', branch: 'sprintwave/s1/B', files: ['x'] }],
      commit: 'd'.repeat(40),
      worktree: '/w/integration',
    },
    {
      type: 'integration-checked',
      checks: [{ command: 'npm test', exitCode: 1, passed: false, durationMs: 20, outputTail: [] }],
    },
    { type: 'integration-failed', error: 'checks failed' },
    { type: 'sprint-finished', at: T0 + 5_000 },
  );
  return {
    ...state,
    packages: state.packages.map((wp) =>
      wp.id === 'B' ? { ...wp, note: 'retrying soon', keptAttempts: ['refs/x/attempt-1'] } : wp,
    ),
    delivery: {
      remote: 'origin',
      pushed: [{ branch: 'sprintwave/s1/integration', commit: 'd'.repeat(40), unchanged: false }],
      notPushed: 'not this time',
      error: 'refused',
      pullRequest: {
        url: 'https://x/1',
        number: 1,
        draft: true,
        created: true,
        note: 'n',
        error: 'e',
      },
    },
  };
}

/** Every key any object of `values` has. */
const keysOf = (values: readonly object[]) =>
  [...new Set(values.flatMap((v) => Object.keys(v)))].sort();

describe('the status JSON and its schema', () => {
  it('is what sprintStatusJson produces, field for field', () => {
    const states = [
      eventfulSprint(),
      startedProgress({ packages: [{ id: 'A', title: 'a', run: 'true' }] }, T0),
      startedProgress(
        {
          scope: 'mvp',
          packages: [
            { id: 'A', title: 'a', run: 'true', mvp: true },
            { id: 'B', title: 'b', run: 'true' },
          ],
        },
        T0,
      ),
    ];
    for (const state of states) {
      const wire = JSON.parse(
        JSON.stringify(sprintStatusJson(state, { self: '/x' }, UI)),
      ) as unknown;
      // The schema keeps only the fields it knows: what comes out equal went in whole.
      expect(statusJsonSchema.parse(wire)).toEqual(wire);
    }
  });

  it('sets every field it documents, given a sprint that went through it all', () => {
    const json = JSON.parse(
      JSON.stringify(sprintStatusJson(eventfulSprint(), {}, UI)),
    ) as StatusJson;
    expect(Object.keys(json).sort()).toEqual(Object.keys(statusJsonSchema.shape).sort());
    expect(keysOf(json.packages)).toEqual(Object.keys(packageStatusJsonSchema.shape).sort());
  });

  it("keeps the domain's statuses, strategies and scopes", () => {
    type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
    const same: Array<boolean> = [
      true satisfies Same<(typeof SPRINT_STATUSES)[number], SprintStatus>,
      true satisfies Same<(typeof PACKAGE_STATUSES)[number], PackageStatus>,
      true satisfies Same<(typeof INTEGRATION_STATUSES)[number], IntegrationStatus>,
      true satisfies Same<StatusJson['strategy'], Strategy>,
      true satisfies Same<StatusJson['scope'], Scope>,
      true satisfies Same<z.infer<typeof scheduleViewSchema>, ScheduleView>,
      true satisfies Same<keyof z.output<typeof sprintSpecSchema>, keyof SprintSpec>,
    ];
    expect(same.every(Boolean)).toBe(true);
  });
});

describe('the status JSON in the CLI', () => {
  it('is checked against the schema, and an answer that is not one is refused', () => {
    const json = JSON.parse(JSON.stringify(sprintStatusJson(eventfulSprint()))) as unknown;
    expect(parseStatusJson(json)).toEqual(json);
    expect(() => parseStatusJson({ id: 's1', status: 'running' })).toThrow(
      /^The API answered with something that is not a sprint status \(/,
    );
  });
});

describe('the OpenAPI document', () => {
  let app: FastifyInstance;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let doc: any;

  beforeAll(async () => {
    // Nothing here reaches Temporal: the document is built from the routes' schemas.
    app = await buildApp({ client: {} as Client, config: loadConfig({}) });
    doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  });
  afterAll(() => app.close());

  const statusFields = Object.keys(statusJsonSchema.shape).sort();
  const packageFields = Object.keys(packageStatusJsonSchema.shape).sort();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const documented = (schema: any) => {
    expect(Object.keys(schema.properties).sort()).toEqual(statusFields);
    expect(Object.keys(schema.properties.packages.items.properties).sort()).toEqual(packageFields);
    expect(schema.properties.packages.items.properties.status.enum).toEqual([...PACKAGE_STATUSES]);
  };

  it('lists every field of the status JSON for GET /sprints/{id}', () => {
    documented(doc.paths['/sprints/{id}'].get.responses['200'].content['application/json'].schema);
  });

  it('for the retry route', () => {
    const retry = doc.paths['/sprints/{id}/packages/{wp}/retry'].post.responses['202'];
    documented(retry.content['application/json'].schema);
  });

  it('for each event of the stream', () => {
    const stream = doc.paths['/sprints/{id}/stream'].get.responses['200'];
    documented(stream.content['text/event-stream'].schema);
  });

  it('lists every field of a schedule', () => {
    const view = doc.paths['/schedules/{id}'].get.responses['200'].content['application/json'];
    expect(Object.keys(view.schema.properties).sort()).toEqual(
      Object.keys(scheduleViewSchema.shape).sort(),
    );
  });

  it('documents the sprint file with its descriptions and defaults', () => {
    const body = doc.paths['/sprints'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties).sort()).toEqual(Object.keys(sprintSpecSchema.shape).sort());
    expect(body.properties.concurrency).toMatchObject({ default: 4, minimum: 1, maximum: 1000 });
    expect(body.properties.packages.items.properties.timeout.description).toMatch(/run/);
  });
});
