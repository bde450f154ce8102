/** What people are shown of a failed package's output, with credentials taken out. */

export const OUTPUT_LINES_SHOWN = 10;
export const OUTPUT_LINE_WIDTH = 200;

/**
 * The end of a failed package's output as people are shown it: the last lines, each cut to a
 * width, with credentials taken out.
 */
export function failureOutput(wp: { outputTail?: string[] }, lines = OUTPUT_LINES_SHOWN): string[] {
  const tail = (wp.outputTail ?? []).map((line) => line.replace(/\s+$/, ''));
  while (tail.length && tail[tail.length - 1] === '') tail.pop();
  return tail.slice(-lines).map((line) => {
    const clean = redactSecrets(line);
    return clean.length > OUTPUT_LINE_WIDTH ? `${clean.slice(0, OUTPUT_LINE_WIDTH - 1)}…` : clean;
  });
}

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // A remote URL's user and token, as git push messages are cleaned.
  [/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1[REDACTED]@'],
  [/\b(authorization:\s*(?:bearer|token|basic)\s+)\S+/gi, '$1[REDACTED]'],
  [/\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[REDACTED]'],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, '[REDACTED]'],
  [/\bsk-[A-Za-z0-9_-]{20,}\b/g, '[REDACTED]'],
  [
    /\b([A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSPHRASE|API_KEY)[A-Z0-9_]*\s*[=:]\s*)\S+/g,
    '$1[REDACTED]',
  ],
];

/** Credentials a command may print (URLs with tokens, bearer headers, `*_TOKEN=`), replaced. */
export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((clean, [pattern, by]) => clean.replace(pattern, by), text);
}
