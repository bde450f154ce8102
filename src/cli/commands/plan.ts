import { agentProblems } from '../../activities/agent-cli';
import { planJson, planSprint } from '../../domain/plan';
import { renderPlan } from '../../domain/render-plan';
import { EXIT } from '../errors';
import type { CliIO } from '../io';
import { loadSprintFile } from '../sprint-file';

export async function planCommand(
  file: string,
  options: { json?: boolean },
  io: CliIO,
): Promise<number> {
  const spec = await loadSprintFile(file);
  const plan = planSprint(spec);
  io.out(options.json ? JSON.stringify(planJson(plan), null, 2) : renderPlan(plan));
  // Only a warning: agents run on the workers, which may have what this machine lacks.
  for (const problem of await agentProblems(spec)) {
    io.err(
      `warning: ${problem.path}: ${problem.message}; \`run\` and \`start\` refuse the sprint here, and a worker without it fails the package`,
    );
  }
  return EXIT.ok;
}
