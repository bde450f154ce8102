import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';

describe('sprintwave --version', () => {
  it.each(['--version', '-V'])(
    '%s prints the version from package.json and exits 0',
    async (flag) => {
      let out = '';
      let err = '';
      const io: CliIO = {
        out: (text) => void (out += text),
        err: (text) => void (err += text),
        isTTY: false,
      };
      const code = await runCli(['node', 'sprintwave', flag], io);
      const manifest = JSON.parse(
        readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
      ) as { version: string };
      expect(code).toBe(0);
      expect(out).toBe(`${manifest.version}\n`);
      expect(err).toBe('');
    },
  );
});
