import { accessSync, constants } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import which from 'which';

const BROWSER_NAMES = ['chromium', 'chromium-browser', 'google-chrome'];
/** Root (containers, CI) needs --no-sandbox; there is no GPU in headless runs. */
const BROWSER_ARGS = ['--no-sandbox', '--headless=new', '--disable-gpu'];
/** The first bytes of every PNG file: a screenshot was written whole. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** CHROMIUM_PATH, then the usual names on PATH: the same search as `bootstrap.sh --browser`. */
export function findChromium(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    try {
      accessSync(configured, constants.X_OK);
      return configured;
    } catch {
      throw new Error(`CHROMIUM_PATH=${configured} is not an executable file.`);
    }
  }
  for (const name of BROWSER_NAMES) {
    const found = which.sync(name, { nothrow: true });
    if (found) return found;
  }
  throw new Error(
    `No Chromium found (CHROMIUM_PATH, or ${BROWSER_NAMES.join('/')} on PATH): ` +
      'run `bash scripts/bootstrap.sh --browser`.',
  );
}

/** Headless Chromium as the browser tests use it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), headless: true, args: BROWSER_ARGS });
}
