import type { PackageProgress, SprintProgress } from '../domain/progress';
import type { SprintStatusJson } from '../domain/status-json';
import { CliError } from './errors';

/** The status JSON as it comes over the wire: what JSON cannot carry is simply absent. */
type WireStatus = SprintStatusJson;
type WirePackage = SprintStatusJson['packages'][number];

/**
 * Rebuilds the progress state from the API's status JSON, for the live view and the
 * renderers. What the JSON leaves out (dependencies, priorities, output tails, GitHub) is
 * left empty: none of it is shown there.
 */
export function progressFromStatusJson(json: unknown): SprintProgress {
  const status = checkStatus(json);
  const packages = status.packages.map(packageFrom);
  return {
    id: status.id,
    title: status.title,
    repo: '',
    base: '',
    strategy: status.strategy,
    concurrency: status.concurrency,
    scope: status.scope,
    status: status.status,
    owner: '',
    startedAt: Date.parse(status.startedAt),
    finishedAt: status.finishedAt === undefined ? undefined : Date.parse(status.finishedAt),
    waves: wavesOf(packages),
    packages,
    integration: {
      ...status.integration,
      checks: status.integration.checks.map((check) => ({ ...check, outputTail: [] })),
    },
    warnings: [],
    eventSequence: 0,
    reasons: status.reasons,
    headline: status.headline,
  };
}

function packageFrom(wp: WirePackage): PackageProgress {
  const { dayStartsAt, ...rest } = wp;
  // The JSON's `agent` is the label already; without `executor` it is shown as it came.
  const progress: PackageProgress = { ...rest, executor: undefined, dependsOn: [], priority: 'P1' };
  if (dayStartsAt !== undefined) progress.dayStartsAt = Date.parse(dayStartsAt);
  return progress;
}

function wavesOf(packages: PackageProgress[]): string[][] {
  const waves: string[][] = [];
  for (const wp of packages) (waves[wp.wave - 1] ??= []).push(wp.id);
  return Array.from(waves, (wave) => wave ?? []);
}

function checkStatus(json: unknown): WireStatus {
  const status = json as Partial<WireStatus> | undefined;
  const ok =
    typeof status?.id === 'string' &&
    typeof status.status === 'string' &&
    typeof status.startedAt === 'string' &&
    Array.isArray(status.packages) &&
    typeof status.integration === 'object' &&
    Array.isArray(status.integration?.checks);
  if (!ok) throw new CliError('The API answered with something that is not a sprint status.');
  return { ...status, reasons: status.reasons ?? [] } as WireStatus;
}
