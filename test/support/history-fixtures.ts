import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Where `npm run record-histories` writes the recorded histories and the replay test reads them. */
export const HISTORIES_DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');

/** The representative runs, each a folder of histories: the sprint, its children, its outboxes. */
export const SCENARIOS = [
  'waves',
  'eager',
  'routed',
  'continue-as-new',
  'failure-retry',
  'resume',
  'external',
  'cancel',
  'github-outbox',
  'delivery',
  'scheduled',
  'standup',
] as const;

export type Scenario = (typeof SCENARIOS)[number];

/** One recorded workflow run. */
export interface HistoryFixture {
  scenario: Scenario;
  workflowId: string;
  /** 1 for the first run of this workflow id in the scenario, 2 for the next (a resume, continue-as-new). */
  run: number;
  runId: string;
  workflowType: string;
  /** The History message as JSON (its protobufjs `toJSON`): longs and bytes as strings. */
  history: { events: unknown[] };
}

/** `<scenario>/<workflow id, / as ~, other odd characters as _>.<run>.json`: one file per run. */
export function fixtureFile(fixture: Pick<HistoryFixture, 'scenario' | 'workflowId' | 'run'>) {
  const name = fixture.workflowId.replace(/\//g, '~').replace(/[^\w.~-]/g, '_');
  return path.join(fixture.scenario, `${name}.${fixture.run}.json`);
}

export async function readHistoryFixtures(dir = HISTORIES_DIR): Promise<HistoryFixture[]> {
  const files = (await readdir(dir, { recursive: true }))
    .filter((file) => file.endsWith('.json'))
    .sort();
  return Promise.all(
    files.map(
      async (file) => JSON.parse(await readFile(path.join(dir, file), 'utf8')) as HistoryFixture,
    ),
  );
}
