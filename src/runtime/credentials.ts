import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as Keyring from '@napi-rs/keyring';

/**
 * Tokens for the services sprintwave talks to, kept in the OS keyring when one answers, else
 * in a file encrypted with AES-256-GCM. Nothing here prints or logs a secret.
 */

export interface CredentialField {
  key: string;
  /** How people call it: `token`, `team slug`. */
  label: string;
  secret: boolean;
  /** The environment variable that, when set, takes precedence over the stored value. */
  env: string;
}

export interface Provider {
  label: string;
  fields: readonly CredentialField[];
}

/** Each provider and what a login stores for it; a new provider is a new row. */
export const PROVIDERS = {
  github: {
    label: 'GitHub',
    fields: [{ key: 'token', label: 'token', secret: true, env: 'GITHUB_TOKEN' }],
  },
  sync: {
    label: 'the sync backend',
    fields: [
      { key: 'token', label: 'token', secret: true, env: 'SPRINTWAVE_SYNC_TOKEN' },
      { key: 'team', label: 'team slug', secret: false, env: 'SPRINTWAVE_TEAM_SLUG' },
    ],
  },
} as const satisfies Record<string, Provider>;

export type ProviderName = keyof typeof PROVIDERS;
export const PROVIDER_NAMES = Object.keys(PROVIDERS) as ProviderName[];

/** A provider's stored values by field key (`{ token, team }`). */
export type Credential = Record<string, string>;
export type StoredCredentials = Partial<Record<ProviderName, Credential>>;

export function isProviderName(name: string): name is ProviderName {
  return Object.hasOwn(PROVIDERS, name);
}

/** A credential store that cannot do what was asked; its message is for people, never a secret. */
export class CredentialError extends Error {
  override name = 'CredentialError';
}

export interface CredentialStore {
  readonly kind: 'keyring' | 'file';
  /** Where the credentials are kept, in words. */
  readonly where: string;
  /** How new credentials are protected there, when it is worth saying. */
  readonly protection?: string;
  read(provider: ProviderName): Promise<Credential | undefined>;
  write(provider: ProviderName, credential: Credential): Promise<void>;
  /** False when there was nothing to remove. */
  remove(provider: ProviderName): Promise<boolean>;
}

/** `ghp_…1234`: enough to tell tokens apart, never enough to use one. */
export function maskSecret(secret: string): string {
  if (secret.length < 12) return '…';
  const prefix = secret.length >= 20 ? (/^[A-Za-z]{1,10}_/.exec(secret)?.[0] ?? '') : '';
  return `${prefix}…${secret.slice(-4)}`;
}

// ---- the encrypted file ----

const FILE_FORMAT = 'sprintwave-credentials';
const KEY_BYTES = 32;
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

type KeySource = 'passphrase' | 'key-file';

interface Envelope {
  format: typeof FILE_FORMAT;
  version: 1;
  key: KeySource;
  salt?: string;
  iv: string;
  tag: string;
  data: string;
}

export interface EncryptedFileOptions {
  file: string;
  /** Used to derive the key (scrypt); without one, a random key lives in `keyFile`. */
  passphrase?: string;
  keyFile?: string;
}

/**
 * All credentials in one AES-256-GCM encrypted file (mode 0600), rewritten atomically. The key
 * comes from scrypt over SPRINTWAVE_PASSPHRASE, or else from a random key file (mode 0600).
 */
export class EncryptedFileStore implements CredentialStore {
  readonly kind = 'file';
  readonly file: string;
  readonly keyFile: string;
  private readonly passphrase: string | undefined;

  constructor(options: EncryptedFileOptions) {
    this.file = path.resolve(options.file);
    this.keyFile = path.resolve(options.keyFile ?? `${this.file.replace(/\.enc$/, '')}.key`);
    this.passphrase = options.passphrase || undefined;
  }

  get where(): string {
    return `the encrypted file ${this.file}`;
  }

  get protection(): string {
    return this.passphrase
      ? 'key derived from SPRINTWAVE_PASSPHRASE'
      : `key in ${this.keyFile}; set SPRINTWAVE_PASSPHRASE to use a passphrase instead`;
  }

  async read(provider: ProviderName): Promise<Credential | undefined> {
    return (await this.load())[provider];
  }

  async write(provider: ProviderName, credential: Credential): Promise<void> {
    const all = await this.load();
    await this.save({ ...all, [provider]: credential });
  }

  async remove(provider: ProviderName): Promise<boolean> {
    const all = await this.load();
    if (!all[provider]) return false;
    const rest = { ...all };
    delete rest[provider];
    await this.save(rest);
    return true;
  }

  private async load(): Promise<StoredCredentials> {
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new CredentialError(`cannot read ${this.file}: ${error.code ?? error.message}`);
    });
    if (text === undefined) return {};
    const envelope = this.parseEnvelope(text);
    const key = await this.keyFor(envelope);
    const plain = this.decrypt(envelope, key);
    try {
      return JSON.parse(plain) as StoredCredentials;
    } catch {
      throw new CredentialError(`${this.file} decrypts to something that is not JSON`);
    }
  }

  private parseEnvelope(text: string): Envelope {
    let envelope: Partial<Envelope> | undefined;
    try {
      envelope = JSON.parse(text) as Partial<Envelope>;
    } catch {
      envelope = undefined;
    }
    if (envelope?.format !== FILE_FORMAT || envelope.version !== 1) {
      throw new CredentialError(`${this.file} is not a sprintwave credentials file`);
    }
    return envelope as Envelope;
  }

  private async keyFor(envelope: Envelope): Promise<Buffer> {
    if (envelope.key === 'key-file') return this.readKeyFile();
    if (!this.passphrase) {
      throw new CredentialError(
        `cannot decrypt ${this.file}: it is locked with a passphrase; set SPRINTWAVE_PASSPHRASE`,
      );
    }
    return deriveKey(this.passphrase, Buffer.from(envelope.salt ?? '', 'base64'));
  }

  private async readKeyFile(): Promise<Buffer> {
    const text = await readFile(this.keyFile, 'utf8').catch(() => undefined);
    const key = text === undefined ? undefined : Buffer.from(text.trim(), 'base64');
    if (key?.length === KEY_BYTES) return key;
    const why = text === undefined ? 'is missing' : 'is not a sprintwave key file';
    throw new CredentialError(`cannot decrypt ${this.file}: its key file ${this.keyFile} ${why}`);
  }

  private decrypt(envelope: Envelope, key: Buffer): string {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
      decipher.setAAD(additionalData(envelope.key));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      const data = Buffer.from(envelope.data, 'base64');
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialError(
        envelope.key === 'passphrase'
          ? `cannot decrypt ${this.file}: wrong SPRINTWAVE_PASSPHRASE?`
          : `cannot decrypt ${this.file}: it does not match the key in ${this.keyFile}`,
      );
    }
  }

  private async save(all: StoredCredentials): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const source: KeySource = this.passphrase ? 'passphrase' : 'key-file';
    const salt = randomBytes(16);
    const key = this.passphrase
      ? await deriveKey(this.passphrase, salt)
      : await this.ensureKeyFile();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(additionalData(source));
    const data = Buffer.concat([cipher.update(JSON.stringify(all), 'utf8'), cipher.final()]);
    const envelope: Envelope = {
      format: FILE_FORMAT,
      version: 1,
      key: source,
      ...(source === 'passphrase' ? { salt: salt.toString('base64') } : {}),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    await writePrivateFile(this.file, `${JSON.stringify(envelope, null, 2)}\n`);
  }

  /** The random key, created once; a second process racing to create it reads the winner's. */
  private async ensureKeyFile(): Promise<Buffer> {
    const existing = await readFile(this.keyFile, 'utf8').catch(() => undefined);
    if (existing !== undefined) {
      const key = Buffer.from(existing.trim(), 'base64');
      if (key.length !== KEY_BYTES) {
        throw new CredentialError(`${this.keyFile} is not a sprintwave key file`);
      }
      return key;
    }
    const key = randomBytes(KEY_BYTES);
    try {
      await writeFile(this.keyFile, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return this.ensureKeyFile();
      throw error;
    }
    return key;
  }
}

/** The cipher text is bound to how its key was made, so a swapped header fails to decrypt. */
function additionalData(source: KeySource): Buffer {
  return Buffer.from(`${FILE_FORMAT}:1:${source}`);
}

function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, KEY_BYTES, SCRYPT as ScryptOptions, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Temp file (0600) then rename: readers see the old file or the new one, never half of one. */
async function writePrivateFile(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

// ---- the OS keyring ----

const KEYRING_SERVICE = 'sprintwave';
const KEYRING_PROBE_MS = 2_000;
// On Linux the library would fall back to the kernel keyring, which forgets everything at
// logout: only the Secret Service keeps a login.
const KEYRING_OPTIONS = { linux: { store: 'secret-service' } } as const;

type KeyringModule = typeof Keyring;

export class KeyringStore implements CredentialStore {
  readonly kind = 'keyring';
  readonly where = `the OS keyring (service "${KEYRING_SERVICE}")`;

  constructor(private readonly keyring: KeyringModule) {}

  async read(provider: ProviderName): Promise<Credential | undefined> {
    const text = await this.entry(provider).getPassword();
    if (!text) return undefined;
    try {
      return JSON.parse(text) as Credential;
    } catch {
      throw new CredentialError(`the keyring entry for ${provider} is not a sprintwave credential`);
    }
  }

  async write(provider: ProviderName, credential: Credential): Promise<void> {
    await this.entry(provider).setPassword(JSON.stringify(credential));
  }

  async remove(provider: ProviderName): Promise<boolean> {
    return this.entry(provider).deleteCredential();
  }

  private entry(provider: ProviderName) {
    return new this.keyring.AsyncEntry(KEYRING_SERVICE, provider, KEYRING_OPTIONS);
  }
}

/** The keyring when one answers within the probe time; headless machines usually have none. */
export async function probeKeyring(
  timeoutMs = KEYRING_PROBE_MS,
): Promise<KeyringStore | undefined> {
  let keyring: KeyringModule;
  try {
    keyring = await import('@napi-rs/keyring');
  } catch {
    return undefined; // no prebuilt binary for this platform
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const probe = new keyring.AsyncEntry(KEYRING_SERVICE, '__probe__', KEYRING_OPTIONS);
    const answer = probe.getPassword(signal);
    const timedOut = new Promise<never>((_resolve, reject) =>
      signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
    );
    await Promise.race([answer, timedOut]);
    return new KeyringStore(keyring);
  } catch {
    return undefined;
  }
}

// ---- choosing the stores ----

export interface CredentialStoreOptions {
  /** SPRINTWAVE_HOME: the encrypted file lives here. */
  home: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The stores in the order they are read: the keyring (when it answers) and the encrypted file.
 * New logins go to the first. SPRINTWAVE_CREDENTIAL_STORE=file or =keyring picks one only.
 */
export async function openCredentialStores(
  options: CredentialStoreOptions,
): Promise<CredentialStore[]> {
  const env = options.env ?? process.env;
  const choice = env.SPRINTWAVE_CREDENTIAL_STORE?.trim() || 'auto';
  if (!['auto', 'keyring', 'file'].includes(choice)) {
    throw new CredentialError(
      `SPRINTWAVE_CREDENTIAL_STORE=${choice} is not one of auto, keyring or file`,
    );
  }
  const file = new EncryptedFileStore({
    file: path.join(options.home, 'credentials.enc'),
    passphrase: env.SPRINTWAVE_PASSPHRASE,
  });
  if (choice === 'file') return [file];
  const keyring = await probeKeyring();
  if (choice === 'keyring') {
    if (!keyring)
      throw new CredentialError('SPRINTWAVE_CREDENTIAL_STORE=keyring, but no OS keyring answers');
    return [keyring];
  }
  return keyring ? [keyring, file] : [file];
}

/** The first store that holds a credential for `provider`. */
export async function findCredential(
  stores: readonly CredentialStore[],
  provider: ProviderName,
): Promise<{ credential: Credential; store: CredentialStore } | undefined> {
  for (const store of stores) {
    const credential = await store.read(provider);
    if (credential) return { credential, store };
  }
  return undefined;
}

/**
 * Start-up: the stored values of every field the environment leaves unset. Reads no store at
 * all when the environment sets everything.
 */
export async function readStoredCredentials(
  options: CredentialStoreOptions,
): Promise<StoredCredentials> {
  const env = options.env ?? process.env;
  const wanted = PROVIDER_NAMES.filter((name) =>
    PROVIDERS[name].fields.some((field) => !env[field.env]),
  );
  if (!wanted.length) return {};
  const stores = await openCredentialStores(options);
  const found: StoredCredentials = {};
  for (const name of wanted) {
    const hit = await findCredential(stores, name);
    if (hit) found[name] = hit.credential;
  }
  return found;
}
