import fc from 'fast-check';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { runToEnd, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { uniqueId } from '../support/temporal';

jest.setTimeout(180_000);

/** Durations and times at, or just inside, the bounds the schema keeps. */
const duration = fc.constantFrom('1s', '90s', '2h', '24d', '3652500d', '1h30m');
const isoTime = fc.constantFrom('2001-01-01T00:00:00Z', '9999-12-31T23:59:59Z');

/**
 * A sprint file as a user might write one, with values anywhere the schema allows: the
 * packages' commands succeed or fail at once, so whatever the values, the sprint can end.
 */
const sprintFile = fc
  .record({
    size: fc.integer({ min: 1, max: 5 }),
    strategy: fc.constantFrom('waves', 'eager'),
    concurrency: fc.integer({ min: 1, max: 8 }),
    scope: fc.constantFrom('full', 'mvp'),
    deadline: fc.option(fc.oneof(duration, isoTime), { nil: undefined }),
    days: fc.option(fc.constant(1), { nil: undefined }),
    capacity: fc.option(fc.integer({ min: 0, max: 1_000 }), { nil: undefined }),
  })
  .chain((sprint) =>
    fc.record({
      sprint: fc.constant(sprint),
      packages: fc.array(
        fc.record({
          deps: fc.array(fc.nat(), { maxLength: 3 }),
          run: fc.constantFrom('true', 'exit 3', 'echo x >> x.txt'),
          timeout: fc.option(
            duration.filter((d) => d !== '3652500d'),
            { nil: undefined },
          ),
          estimate: fc.option(duration, { nil: undefined }),
          priority: fc.constantFrom('P0', 'P1', 'P2'),
          mvp: fc.boolean(),
          points: fc.option(fc.integer({ min: 0, max: 1_000 }), { nil: undefined }),
          retry: fc.option(fc.constantFrom('clean', 'resume'), { nil: undefined }),
        }),
        { minLength: sprint.size, maxLength: sprint.size },
      ),
    }),
  );

describe('whatever `plan` accepts, a sprint runs to an end', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('runs a sample of accepted sprint files to a terminal state', async () => {
    const outcomes: string[] = [];
    await fc.assert(
      fc.asyncProperty(sprintFile, async ({ sprint, packages }) => {
        const { size, ...fields } = sprint;
        const file = {
          id: uniqueId('accepted'),
          repo: harness.sandbox.repo,
          ...fields,
          packages: packages.map((p, i) => ({
            id: `WP${i + 1}`,
            title: `Package ${i + 1}`,
            // Only earlier packages: a graph, never a loop.
            dependsOn: i === 0 ? [] : [...new Set(p.deps.map((d) => `WP${(d % i) + 1}`))],
            run: p.run,
            ...(p.timeout ? { timeout: p.timeout } : {}),
            ...(p.estimate ? { estimate: p.estimate } : {}),
            ...(p.points === undefined ? {} : { points: p.points }),
            ...(p.retry ? { retry: p.retry } : {}),
            priority: p.priority,
            mvp: p.mvp,
          })),
        };
        const checked = checkSprintSpec(file);
        fc.pre(checked.ok); // the property is about what is accepted
        if (!checked.ok) return;
        expect(size).toBe(checked.spec.packages.length);
        const { state } = await runToEnd(harness, { spec: checked.spec });
        outcomes.push(state.status);
        expect(['completed', 'failed', 'cancelled']).toContain(state.status);
        for (const wp of state.packages) {
          expect(['completed', 'failed', 'blocked', 'cancelled', 'deferred']).toContain(wp.status);
        }
      }),
      { numRuns: 6, endOnFailure: true },
    );
    expect(outcomes.length).toBeGreaterThan(0);
  });
});
