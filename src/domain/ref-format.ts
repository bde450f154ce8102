import { shown } from './shown';

/**
 * Why git would refuse `name` as a branch name (the rules of `git check-ref-format --branch`),
 * or undefined when it would take it. Checked without git, so a bad name is refused when the
 * sprint is planned rather than at its merge. A little stricter than git: `@` and parts ending
 * in `.LOCK` of any case are refused too (on a case-insensitive disk that is a lock file).
 */
export function branchNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.startsWith('-')) return "starts with '-', so git would read it as an option";
  if (name === 'HEAD' || name === '@') return `is ${name}, which git reads as the current commit`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  if (name.includes(' ')) return 'contains a space';
  const special = /[~^:?*[\\]/.exec(name);
  if (special) return `contains '${special[0]}'`;
  for (const sequence of ['..', '@{', '//']) {
    if (name.includes(sequence)) return `contains '${sequence}'`;
  }
  if (name.startsWith('/')) return "starts with '/'";
  if (name.endsWith('/')) return "ends with '/'";
  if (name.endsWith('.')) return "ends with '.'";
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `has a part that starts with '.' (${shown(part)})`;
    if (part.toLowerCase().endsWith('.lock')) {
      return `has a part that ends with '.lock' (${shown(part)})`;
    }
  }
  return undefined;
}

/** Why `base` cannot be looked up safely, by the same rules the worker's git steps apply. */
export function baseRefProblem(base: string): string | undefined {
  if (base.startsWith('-')) return "starts with '-', so git would read it as an option";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(base)) return 'contains a control character';
  return undefined;
}
