import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../support/cli';
import { runToEnd, sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { testAddress, uniqueId } from '../support/temporal';

jest.setTimeout(90_000);

describe('sprintwave schedule and standup', () => {
  let harness: Harness;
  let env: NodeJS.ProcessEnv;
  let sprintFile: string;

  beforeAll(async () => {
    harness = await startHarness();
    env = {
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_TASK_QUEUE: harness.taskQueue,
      SPRINTWAVE_HOME: harness.config.home,
    };
    sprintFile = path.join(harness.sandbox.dir, 'nightly.yaml');
    await writeFile(
      sprintFile,
      [
        'id: nightly',
        `repo: ${harness.sandbox.repo}`,
        'packages:',
        '  - { id: WP01, title: Write, run: "echo hi > hi.txt" }',
      ].join('\n'),
    );
  });

  afterAll(() => harness.close());

  it('rejects a bad cron expression and time zone before creating anything (exit 2)', async () => {
    const id = uniqueId('bad');
    const run = await runCli(
      [
        'schedule',
        'create',
        id,
        '--cron',
        '0 2 * * 8',
        '--tz',
        'Nowhere/Land',
        '--sprint',
        sprintFile,
      ],
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('timeZone: "Nowhere/Land" is not a time zone');
    expect(run.stderr).toMatch(/cron: "0 2 \* \* 8" is not a cron expression/);
    const describe = await runCli(['schedule', 'describe', id], env);
    expect(describe.code).toBe(2);
    expect(describe.stderr).toContain(`No schedule with id ${id}.`);
  });

  it('creates a schedule, shows its next runs, pauses and deletes it', async () => {
    const id = uniqueId('nightly');
    const created = await runCli(
      [
        'schedule',
        'create',
        id,
        '--cron',
        '0 2 * * 1-5',
        '--tz',
        'Europe/Berlin',
        '--sprint',
        sprintFile,
      ],
      env,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`Schedule ${id} created.`);
    expect(created.stdout).toContain('When: cron 0 2 * * 1-5 in Europe/Berlin; overlap: skip');
    expect(created.stdout).toMatch(/Next runs:\n {2}\d{4}-\d{2}-\d{2}T0[01]:00:00\.000Z/);

    const listed = await runCli(['schedule', 'list', '--json'], env);
    const views = JSON.parse(listed.stdout) as Array<{ id: string; sprint: string }>;
    expect(views.find((view) => view.id === id)).toMatchObject({ sprint: 'nightly' });

    expect((await runCli(['schedule', 'pause', id, '--note', 'freeze'], env)).stdout).toContain(
      `Schedule ${id} paused.`,
    );
    const described = await runCli(['schedule', 'describe', id], env);
    expect(described.stdout).toContain(`Schedule: ${id} (paused)`);
    expect(described.stdout).toContain('Note: freeze');
    expect((await runCli(['schedule', 'delete', id], env)).code).toBe(0);
    expect((await runCli(['schedule', 'delete', id], env)).code).toBe(2);
  });

  it("describes a triggered run by its sprint's id, which status takes", async () => {
    const id = uniqueId('trig');
    expect(
      (await runCli(['schedule', 'create', id, '--every', '1h', '--sprint', sprintFile], env)).code,
    ).toBe(0);
    try {
      expect((await runCli(['schedule', 'trigger', id], env)).code).toBe(0);
      const view = JSON.parse((await runCli(['schedule', 'describe', id, '--json'], env)).stdout);
      const [run] = view.recentRuns as Array<{ workflowId: string; sprintId: string }>;
      expect(run?.sprintId).toMatch(new RegExp(`^${id}-\\d{8}T\\d{6}Z$`));
      const described = await runCli(['schedule', 'describe', id], env);
      expect(described.stdout).toMatch(
        new RegExp(`Recent runs:\\n {2}\\S+ {2}sprint ${run?.sprintId}`),
      );
      // No worker here: the run is stopped before it does anything.
      await harness.temporal.client.workflow.getHandle(run?.workflowId as string).terminate();
    } finally {
      await runCli(['schedule', 'delete', id], env);
    }
  });

  it('refuses a stand-up schedule of a sprint that does not exist (exit 2), naming it', async () => {
    const id = uniqueId('standup');
    const run = await runCli(
      ['schedule', 'create', id, '--cron', '30 9 * * 1-5', '--standup', 'no-such-sprint'],
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('standup.sprint: there is no sprint no-such-sprint');
    expect((await runCli(['schedule', 'describe', id], env)).code).toBe(2);
  });

  it('prints the stand-up of a sprint, as Markdown and as JSON', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Done', run: 'true', points: 2 },
        { id: 'WP02', title: 'Broken', run: 'exit 4', points: 3 },
      ],
    });
    await runToEnd(harness, { spec });
    const text = await runCli(['standup', spec.id], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('**Yesterday**:\n- Completed:\n  - WP01 Done');
    expect(text.stdout).toContain('**Blockers**:\n- WP02 Broken (`exit 4` exited with code 4)');
    expect(text.stdout).toContain('**Progress**: 2/5 story points completed (1 of 2 packages)');
    const json = JSON.parse((await runCli(['standup', spec.id, '--json'], env)).stdout);
    expect(json.progress).toEqual({ pointsDone: 2, pointsTotal: 5, packagesDone: 1, packages: 2 });
    const unknown = await runCli(['standup', 'no-such-sprint'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No sprint with id no-such-sprint.');
  });
});
