import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';

/** `sync.auto_start` in `<repo>/.sprintwave/config.yaml`: true when missing or unreadable. */
export async function syncAutoStart(repo: string): Promise<boolean> {
  try {
    const config = parse(
      await readFile(path.join(repo, '.sprintwave', 'config.yaml'), 'utf8'),
    ) as unknown;
    const value = (config as { sync?: { auto_start?: unknown } } | null)?.sync?.auto_start;
    return value !== false;
  } catch {
    return true;
  }
}
