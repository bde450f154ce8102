/**
 * GitHub's own rules for `owner/name`: an owner (user or organization) is at most 39 letters,
 * digits and single hyphens, neither first nor last; a repository name is at most 100 letters,
 * digits, `.`, `_` and `-`, and not `.` or `..`. Groups: 1 the owner, 2 the name.
 */
export const GITHUB_REPO =
  /^(?=[^/]{1,39}\/)([A-Za-z0-9](?:-?[A-Za-z0-9])*)\/((?!\.\.?$)[A-Za-z0-9._-]{1,100})$/;

export const GITHUB_REPO_RULE =
  'must be of the form owner/name: the owner letters, digits and single hyphens (not first or last), the name letters, digits, ., _ and -';

/** The owner and name of `owner/name`, or undefined when GitHub would refuse it. */
export function githubOwnerAndName(repo: string): { owner: string; name: string } | undefined {
  const match = GITHUB_REPO.exec(repo);
  return match?.[1] && match[2] ? { owner: match[1], name: match[2] } : undefined;
}
