import {
  applyReport,
  externalPackage,
  externalReply,
  reportRefusal,
  stallExternal,
  startExternal,
} from '../../src/domain/external-package';
import type { ExternalReport } from '../../src/domain/external-package';
import { validateSpec } from '../../src/domain/validate';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { sprint, wp } from '../support/specs';

const progress = (report: Partial<ExternalReport> = {}) =>
  ({ kind: 'progress', filesCompleted: 1, filesTotal: 2, ...report }) as ExternalReport;

describe('an external package and its reports', () => {
  const running = startExternal(externalPackage('WP03', true, 2));

  it('takes reports only while in progress, and only for its own attempt', () => {
    expect(reportRefusal(running, progress())).toBeUndefined();
    expect(reportRefusal(running, progress({ attempt: 2 }))).toBeUndefined();
    expect(reportRefusal(externalPackage('WP03', true, 2), progress())).toBe(
      'WP03 is not in progress: its worktree is not ready yet',
    );
    expect(reportRefusal(running, progress({ attempt: 1 }))).toBe(
      'attempt 1 is stale: the package is on attempt 2',
    );
    expect(reportRefusal(running, progress({ attempt: 3 }))).toBe(
      'attempt 3 has not started: the package is on attempt 2',
    );
    expect(reportRefusal(running, progress({ attempt: 0 }))).toBe(
      'attempt must be a whole number of at least 1, not 0',
    );
    expect(reportRefusal(startExternal(externalPackage('WP04', false, 1)), progress())).toBe(
      'WP04 is not external: its run command reports its progress',
    );
  });

  it('refuses bad numbers and text', () => {
    expect(reportRefusal(running, progress({ filesCompleted: 3, filesTotal: 2 }))).toBe(
      'filesCompleted (3) is more than filesTotal (2)',
    );
    expect(reportRefusal(running, progress({ filesCompleted: -1 }))).toBe(
      'filesCompleted must be a whole number of at least 0, not -1',
    );
    expect(reportRefusal(running, { kind: 'progress' } as ExternalReport)).toBe(
      'filesCompleted must be a whole number of at least 0, not undefined',
    );
    expect(reportRefusal(running, progress({ filesTotal: '2' } as never))).toBe(
      'filesTotal must be a whole number of at least 0, not "2"',
    );
    expect(reportRefusal(running, progress({ note: 'x'.repeat(501) }))).toBe(
      'note is longer than 500 characters',
    );
    expect(reportRefusal(running, { kind: 'fail', error: '' })).toBe(
      'error must say what went wrong',
    );
    expect(reportRefusal(running, { kind: 'complete', summary: 42 } as never)).toBe(
      'summary must be text, not 42',
    );
  });

  it('keeps the latest progress, and refuses any report once completed or failed', () => {
    const reported = applyReport(
      running,
      progress({ filesCompleted: 2, filesTotal: 5, note: 'a' }),
    );
    expect(externalReply(reported)).toEqual({
      id: 'WP03',
      status: 'in_progress',
      attempt: 2,
      filesCompleted: 2,
      filesTotal: 5,
    });
    const completed = applyReport(reported, { kind: 'complete', summary: 'done' });
    expect(completed).toMatchObject({ phase: 'completed', summary: 'done', filesCompleted: 2 });
    expect(reportRefusal(completed, { kind: 'complete' })).toBe('WP03 already completed');
    const failed = applyReport(reported, { kind: 'fail', error: 'broke' });
    expect(reportRefusal(failed, progress())).toBe('WP03 already failed');
  });

  it('ticks off checklist tasks across reports, each once, and refuses what is not a task id', () => {
    const first = applyReport(running, progress({ tasksDone: ['T001', 'T002'] }));
    const second = applyReport(first, progress({ tasksDone: ['T002', 'T004'] }));
    const quiet = applyReport(second, progress());
    expect(quiet.tasksDone).toEqual(['T001', 'T002', 'T004']);
    expect(reportRefusal(running, progress({ tasksDone: ['T001', ' '] }))).toBe(
      'tasksDone holds " ", which is not a task id',
    );
    expect(reportRefusal(running, progress({ tasksDone: 'T001' as unknown as string[] }))).toBe(
      'tasksDone must be a list of at most 1000 task ids',
    );
  });

  it('refuses a tick of a task the package does not have, naming it', () => {
    const checklist = startExternal(externalPackage('WP03', true, 1, ['T001', 'T002']));
    expect(reportRefusal(checklist, progress({ tasksDone: ['T002'] }))).toBeUndefined();
    expect(reportRefusal(checklist, progress({ tasksDone: ['T001', 'T009'] }))).toBe(
      'tasksDone names "T009", which is not a task of WP03 (its tasks: T001, T002)',
    );
    expect(reportRefusal(running, progress({ tasksDone: ['T001'] }))).toBe(
      'tasksDone names "T001", which is not a task of WP03 (it has no tasks)',
    );
  });

  it('stalls only while in progress, naming the lease', () => {
    expect(stallExternal(running, '30m')).toMatchObject({
      phase: 'failed',
      error: 'stalled: no report within 30m',
    });
    const completed = applyReport(running, { kind: 'complete' });
    expect(stallExternal(completed, '30m')).toBe(completed);
  });
});

describe('the lease of a package', () => {
  it('is accepted on an external package', () => {
    expect(
      validateSpec(sprint([wp('WP01', [], { run: undefined, external: true, lease: '30m' })])),
    ).toEqual([]);
  });

  it('is refused on a package with a run command, and when it is not a duration', () => {
    // Both in one pass: the schema's problem and the one between fields.
    expect(
      checkSprintSpec(
        sprint([
          wp('WP01', [], { lease: '30m' }),
          wp('WP02', [], { run: undefined, external: true, lease: 'soon' }),
        ]),
      ),
    ).toEqual({
      ok: false,
      problems: expect.arrayContaining([
        {
          path: 'packages[0].lease',
          message:
            'WP01 has a lease but is not external: only an external package reports, so only it can stall',
        },
        {
          path: 'packages[1].lease',
          message: 'is not a duration: use a number and a unit, like 90s, 30m, 2h or 1h30m',
        },
      ]),
    });
    const checked = checkSprintSpec({
      id: 'leases',
      repo: '/tmp/repo',
      packages: [{ id: 'WP01', title: 'One', external: true, lease: '0m' }],
    });
    expect(checked).toEqual({
      ok: false,
      problems: [
        { path: 'packages[0].lease', message: expect.stringMatching(/is not a duration/) },
      ],
    });
  });
});
