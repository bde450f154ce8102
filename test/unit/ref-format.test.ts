import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { baseRefProblem, branchNameProblem } from '../../src/domain/ref-format';

/** What git itself says, run outside any repository so `@{-1}` cannot name a real branch. */
function gitAccepts(name: string): boolean {
  const result = spawnSync('git', ['check-ref-format', '--branch', name], {
    cwd: '/',
    env: { ...process.env, GIT_CEILING_DIRECTORIES: '/' },
  });
  return result.status === 0;
}

describe('branchNameProblem: the rules of git check-ref-format --branch, without git', () => {
  it.each([
    ['-D', "starts with '-', so git would read it as an option"],
    ['bad name..x', 'contains a space'],
    ['a..b', "contains '..'"],
    ['a~1', "contains '~'"],
    ['a^', "contains '^'"],
    ['a:b', "contains ':'"],
    ['a?', "contains '?'"],
    ['a*', "contains '*'"],
    ['a[b', "contains '['"],
    ['a\\b', "contains '\\'"],
    ['a\tb', 'contains a control character'],
    ['a\u007fb', 'contains a control character'],
    ['a@{1}', "contains '@{'"],
    ['a//b', "contains '//'"],
    ['/a', "starts with '/'"],
    ['a/', "ends with '/'"],
    ['a.', "ends with '.'"],
    ['.a', "has a part that starts with '.' (.a)"],
    ['a/.b', "has a part that starts with '.' (.b)"],
    ['a.lock', "has a part that ends with '.lock' (a.lock)"],
    ['a.lock/b', "has a part that ends with '.lock' (a.lock)"],
    ['@', 'is @, which git reads as the current commit'],
    ['HEAD', 'is HEAD, which git reads as the current commit'],
    ['', 'is empty'],
  ])('refuses %j: %s', (name, reason) => {
    expect(branchNameProblem(name)).toBe(reason);
  });

  it.each([
    'main',
    'release/2026-q1',
    'sprintwave/s1/integration',
    'a.b',
    'a./b',
    '@a',
    'é/ü',
    'x/-y',
  ])('accepts %j', (name) => {
    expect(branchNameProblem(name)).toBeUndefined();
  });

  it('never accepts a name git refuses, and refuses one git accepts only for its stated reasons', () => {
    const alphabet = fc.constantFrom(
      ...'ab-_/.@{}~^:?*[\\ \t\u007fLOCKlockHEAD'.split(''),
      '..',
      '.lock',
      '@{',
      '//',
      'é',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 12 }), (parts) => {
        const name = parts.join('');
        const ours = branchNameProblem(name);
        const git = gitAccepts(name);
        if (ours === undefined) expect(git).toBe(true);
        // Stricter than git on purpose: `@`, `HEAD` (older gits take it), and `.LOCK` in any
        // case (a lock file on a case-insensitive disk).
        else if (git) expect(ours).toMatch(/^is (@|HEAD),|ends with '\.lock'/);
      }),
      { numRuns: 400 },
    );
  });
});

describe('baseRefProblem: what the worker refuses before it looks a base up', () => {
  it('refuses an option and a control character, and leaves revisions to git', () => {
    expect(baseRefProblem('-D')).toBe("starts with '-', so git would read it as an option");
    expect(baseRefProblem('main\nx')).toBe('contains a control character');
    expect(baseRefProblem('HEAD~1')).toBeUndefined();
    expect(baseRefProblem('v1.2^{commit}')).toBeUndefined();
  });
});
