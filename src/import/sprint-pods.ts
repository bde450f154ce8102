import type { PackageStyle } from './packages';

const HEADING = /^(pod[-_ ]?\d+)\b\s*[:.\u2013\u2014-]?\s*(.*)$/i;
const ID = /\bpod[-_ ]?\d+\b/gi;
const ISSUE = /^issue\s*#?\s*(\d+)\s*[:.\u2013\u2014-]?\s*/i;

/** `pod 1`, `POD-1` and `Pod1` are the same pod: `Pod-1`. */
export function canonicalPodId(text: string): string {
  return `Pod-${text.replace(/\D/g, '').replace(/^0+(?=\d)/, '')}`;
}

/**
 * Sprint-pod assignments: `### Pod-1: Issue #24 - Progress Tracking Utilities`, with an
 * objective, numbered requirements (the pod's checklist, R1, R2, …) and success criteria.
 */
export const sprintPodStyle: PackageStyle = {
  heading(text) {
    const match = HEADING.exec(text.trim());
    if (!match) return undefined;
    return { id: canonicalPodId(match[1] ?? ''), rest: (match[2] ?? '').trim() };
  },
  idsIn(text) {
    return [...text.matchAll(ID)].map((match) => canonicalPodId(match[0]));
  },
  title(rest) {
    const issue = ISSUE.exec(rest);
    if (!issue) return { title: rest };
    return { title: rest.slice(issue[0].length).trim(), description: `Issue #${issue[1]}.` };
  },
};
