import type { SprintSpec, SpecProblem } from './spec';

export function validateSpec(_spec: SprintSpec): SpecProblem[] {
  return [];
}
