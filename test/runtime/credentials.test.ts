import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfigWithCredentials } from '../../src/runtime/config';
import {
  CredentialError,
  EncryptedFileStore,
  maskSecret,
  openCredentialStores,
} from '../../src/runtime/credentials';

const GITHUB_TOKEN = 'ghp_R4nd0mT0kenThatMustNeverBeOnDisk9876';
const SYNC_TOKEN = 'sync_An0therSecretValueForTheBackend5432';

async function filesIn(dir: string): Promise<Buffer[]> {
  const names = await readdir(dir);
  return Promise.all(names.map((name) => readFile(path.join(dir, name))));
}

function expectNowhere(files: Buffer[], secret: string): void {
  const forms = [
    secret,
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('hex'),
  ];
  for (const file of files) {
    for (const form of forms) expect(file.includes(form)).toBe(false);
  }
}

async function mode(file: string): Promise<number> {
  return (await stat(file)).mode & 0o777;
}

describe('the encrypted credentials file', () => {
  let home: string;

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-credentials-'));
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const store = (passphrase?: string) =>
    new EncryptedFileStore({ file: path.join(home, 'credentials.enc'), passphrase });

  it('round-trips credentials under a passphrase: 0600, and no token on disk in any form', async () => {
    await store('correct horse').write('github', { token: GITHUB_TOKEN });
    await store('correct horse').write('sync', { token: SYNC_TOKEN, team: 'acme' });

    const again = store('correct horse');
    expect(await again.read('github')).toEqual({ token: GITHUB_TOKEN });
    expect(await again.read('sync')).toEqual({ token: SYNC_TOKEN, team: 'acme' });
    expect(await readdir(home)).toEqual(['credentials.enc']);
    expect(await mode(path.join(home, 'credentials.enc'))).toBe(0o600);
    const files = await filesIn(home);
    expectNowhere(files, GITHUB_TOKEN);
    expectNowhere(files, SYNC_TOKEN);
    expect(files.join('')).not.toContain('correct horse');
  });

  it('says plainly that a wrong passphrase cannot decrypt it', async () => {
    await store('correct horse').write('github', { token: GITHUB_TOKEN });
    const file = path.join(home, 'credentials.enc');
    await expect(store('battery staple').read('github')).rejects.toThrow(
      new CredentialError(`cannot decrypt ${file}: wrong SPRINTWAVE_PASSPHRASE?`),
    );
    await expect(store().read('github')).rejects.toThrow(
      `cannot decrypt ${file}: it is locked with a passphrase; set SPRINTWAVE_PASSPHRASE`,
    );
  });

  it('without a passphrase keeps a random key in a 0600 key file beside it', async () => {
    await store().write('github', { token: GITHUB_TOKEN });
    const keyFile = path.join(home, 'credentials.key');
    expect((await readdir(home)).sort()).toEqual(['credentials.enc', 'credentials.key']);
    expect(await mode(path.join(home, 'credentials.enc'))).toBe(0o600);
    expect(await mode(keyFile)).toBe(0o600);
    expect(Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64')).toHaveLength(32);
    expect(await store().read('github')).toEqual({ token: GITHUB_TOKEN });
    expectNowhere(await filesIn(home), GITHUB_TOKEN);

    await writeFile(keyFile, `${Buffer.alloc(32, 7).toString('base64')}\n`);
    await expect(store().read('github')).rejects.toThrow(`it does not match the key in ${keyFile}`);
    await rm(keyFile);
    await expect(store().read('github')).rejects.toThrow(`its key file ${keyFile} is missing`);
  });

  it('removes one provider and keeps the others', async () => {
    const s = store();
    await s.write('github', { token: GITHUB_TOKEN });
    await s.write('sync', { token: SYNC_TOKEN, team: 'acme' });
    expect(await s.remove('github')).toBe(true);
    expect(await s.remove('github')).toBe(false);
    expect(await s.read('github')).toBeUndefined();
    expect(await s.read('sync')).toEqual({ token: SYNC_TOKEN, team: 'acme' });
  });

  it('refuses a file that is not its own', async () => {
    await writeFile(path.join(home, 'credentials.enc'), `{"token":"${GITHUB_TOKEN}"}`);
    await expect(store().read('github')).rejects.toThrow('is not a sprintwave credentials file');
  });
});

describe('credentials at start-up', () => {
  let home: string;

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-startup-'));
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    SPRINTWAVE_HOME: home,
    SPRINTWAVE_CREDENTIAL_STORE: 'file',
    SPRINTWAVE_PASSPHRASE: 'pass',
    ...extra,
  });

  async function login(): Promise<void> {
    const [file] = await openCredentialStores({ home, env: env() });
    await file?.write('github', { token: GITHUB_TOKEN });
    await file?.write('sync', { token: SYNC_TOKEN, team: 'acme' });
  }

  it('fills the tokens the environment leaves unset from the store', async () => {
    await login();
    const config = await loadConfigWithCredentials(env());
    expect(config.github.token).toBe(GITHUB_TOKEN);
    expect(config.events.syncToken).toBe(SYNC_TOKEN);
    expect(config.events.teamSlug).toBe('acme');
    expect(Object.isFrozen(config.github)).toBe(true);
  });

  it('lets the environment win, and reads no store when it sets everything', async () => {
    await login();
    const some = await loadConfigWithCredentials(env({ GITHUB_TOKEN: 'ghp_fromTheEnvironment' }));
    expect(some.github.token).toBe('ghp_fromTheEnvironment');
    expect(some.events.syncToken).toBe(SYNC_TOKEN);

    const all = await loadConfigWithCredentials(
      env({
        SPRINTWAVE_PASSPHRASE: 'wrong',
        GITHUB_TOKEN: 'a',
        SPRINTWAVE_SYNC_TOKEN: 'b',
        SPRINTWAVE_TEAM_SLUG: 'c',
      }),
    );
    expect([all.github.token, all.events.syncToken, all.events.teamSlug]).toEqual(['a', 'b', 'c']);
  });

  it('fails start-up with one clear line when the store cannot be decrypted', async () => {
    await login();
    await expect(
      loadConfigWithCredentials(env({ SPRINTWAVE_PASSPHRASE: 'wrong' })),
    ).rejects.toThrow(
      new ConfigError(
        `cannot decrypt ${path.join(home, 'credentials.enc')}: wrong SPRINTWAVE_PASSPHRASE?`,
      ),
    );
  });

  it('starts with no tokens when nothing is stored', async () => {
    const config = await loadConfigWithCredentials(env());
    expect(config.github.token).toBeUndefined();
    expect(await readdir(home)).toEqual([]);
  });
});

describe('masked tokens', () => {
  it('keep a vendor prefix and the last four characters, never more', () => {
    expect(maskSecret('ghp_abcdefghijklmnopqrstuvwxyz1234')).toBe('ghp_…1234');
    expect(maskSecret('abcdefghijklmnopqrstuvwxyz1234')).toBe('…1234');
    expect(maskSecret('ghp_shorttoken12')).toBe('…en12');
    expect(maskSecret('tiny')).toBe('…');
  });
});
