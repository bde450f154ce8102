import type { PromptFile } from './prompt-files';
import type { ImportedPackage, Notes } from './types';

/**
 * Brings the prompt files' frontmatter into the packages read from the plan. Where the prompt
 * files list dependencies at all, theirs are the truth (spec-kitty computes its lanes from them)
 * and every package whose plan section says otherwise gets a warning at that line. A prompt
 * file without a section in the plan adds its package.
 */
export function applyPrompts(
  packages: ImportedPackage[],
  prompts: readonly PromptFile[],
  notes: Notes,
): ImportedPackage[] {
  const byId = new Map(packages.map((pkg) => [pkg.id, pkg]));
  const filled = prompts.some((prompt) => prompt.dependencies?.ids.length);
  const seen = new Map<string, PromptFile>();
  const added: ImportedPackage[] = [];
  for (const prompt of prompts) {
    const earlier = seen.get(prompt.id);
    if (earlier) {
      notes.warning(
        1,
        `${prompt.id} has a prompt file already (${earlier.file}): left out`,
        prompt.file,
      );
      continue;
    }
    seen.set(prompt.id, prompt);
    let pkg = byId.get(prompt.id);
    if (!pkg) {
      pkg = fromPrompt(prompt);
      notes.warning(
        1,
        `${prompt.id} has no section in the plan: imported from its prompt file`,
        prompt.file,
      );
      added.push(pkg);
    } else if (pkg.title === pkg.id && prompt.title) pkg.title = prompt.title;
    pkg.promptFile = prompt.file;
    if (filled && prompt.dependencies) takeDependencies(pkg, prompt, notes);
  }
  return [...packages, ...added];
}

function fromPrompt(prompt: PromptFile): ImportedPackage {
  return {
    id: prompt.id,
    title: prompt.title ?? prompt.id,
    line: 1,
    file: prompt.file,
    dependsOn: [],
    tasks: [],
  };
}

function takeDependencies(pkg: ImportedPackage, prompt: PromptFile, notes: Notes): void {
  const stated = prompt.dependencies as NonNullable<PromptFile['dependencies']>;
  const fromPlan = [...new Set(pkg.dependsOn.map((dep) => dep.id))];
  const same =
    fromPlan.length === stated.ids.length && fromPlan.every((id) => stated.ids.includes(id));
  if (!same && !pkg.file) {
    notes.warning(
      pkg.dependenciesLine ?? pkg.line,
      `${pkg.id}: the plan says it depends on ${listed(fromPlan)}, its prompt file ${prompt.file} on ${listed(stated.ids)}: the prompt file wins`,
    );
  }
  pkg.dependsOn = stated.ids.map((id) => ({ id, line: stated.line, file: prompt.file }));
  delete pkg.dependsOnAll;
}

function listed(ids: readonly string[]): string {
  return ids.length ? ids.join(', ') : 'none';
}
