import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import which from 'which';
import { agentCommandLine, agentExecutableVariable } from '../domain/agents';
import type { AgentName, AgentRun, DependencySummary } from '../domain/agents';
import type { SpecProblem, SprintSpec } from '../domain/spec';
import { progressQuery } from '../workflows/messages';

/** `sh -c` takes the whole line as one argument, and Linux caps one argument at 128 KiB. */
const MAX_COMMAND_BYTES = 120_000;

export type AgentLookup = { found: true; executable: string } | { found: false; problem: string };

/**
 * The executable an agent runs as: `SPRINTWAVE_AGENT_<NAME>` when set (a path, or a name looked
 * up on PATH), else the agent's own name on PATH.
 */
export async function findAgentExecutable(
  agent: AgentName,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentLookup> {
  const variable = agentExecutableVariable(agent);
  const override = env[variable]?.trim();
  const wanted = override || agent;
  const executable = wanted.includes('/')
    ? await executableFile(path.resolve(wanted))
    : await onPath(wanted, env.PATH ?? '');
  if (executable) return { found: true, executable };
  if (!override) return { found: false, problem: `${agent} is not on PATH` };
  return {
    found: false,
    problem: wanted.includes('/')
      ? `${agent}: ${variable}=${override} is not an executable file`
      : `${agent} is not on PATH (${variable}=${override})`,
  };
}

/** An empty PATH entry would mean the current folder to `which`: it is skipped instead. */
async function onPath(name: string, searchPath: string): Promise<string | undefined> {
  const dirs = searchPath.split(path.delimiter).filter(Boolean);
  if (dirs.length === 0) return undefined;
  return (await which(name, { path: dirs.join(path.delimiter), nothrow: true })) ?? undefined;
}

async function executableFile(file: string): Promise<string | undefined> {
  try {
    if (!(await stat(file)).isFile()) return undefined;
    await access(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

/** Plan-time check: every agent a sprint uses can be started here (`packages[2].agent`). */
export async function agentProblems(
  spec: Pick<SprintSpec, 'packages'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SpecProblem[]> {
  const problems: SpecProblem[] = [];
  for (const [index, wp] of spec.packages.entries()) {
    if (!wp.agent) continue;
    const lookup = await findAgentExecutable(wp.agent, env);
    if (!lookup.found) problems.push({ path: `packages[${index}].agent`, message: lookup.problem });
  }
  return problems;
}

/** The `sh -c` line that runs the agent, its prompt quoted as one argument. */
export async function agentShellCommand(
  run: AgentRun,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const lookup = await findAgentExecutable(run.agent, env);
  if (!lookup.found) {
    // A worker without the agent will not grow one on retry.
    throw ApplicationFailure.nonRetryable(`${lookup.problem} on this worker`, 'AgentNotFound');
  }
  const command = agentCommandLine(lookup.executable, run.agent, run.prompt);
  if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
    throw ApplicationFailure.nonRetryable(
      `the prompt for ${run.agent} is too long to pass as an argument (${Buffer.byteLength(command)} bytes)`,
      'AgentPromptTooLong',
    );
  }
  return command;
}

/** What an agent package's dependencies left behind, read from its running sprint. */
export function createAgentActivities(client: Client) {
  return {
    async readDependencySummaries(input: {
      sprintWorkflowId: string;
      wpIds: string[];
    }): Promise<DependencySummary[]> {
      const state = await client.workflow.getHandle(input.sprintWorkflowId).query(progressQuery);
      return input.wpIds.flatMap((id) => {
        const wp = state.packages.find((candidate) => candidate.id === id);
        return wp ? [{ id, title: wp.title, ...(wp.note ? { note: wp.note } : {}) }] : [];
      });
    },
  };
}
