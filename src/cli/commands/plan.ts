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
  return EXIT.ok;
}
