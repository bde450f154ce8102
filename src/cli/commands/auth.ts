import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../runtime/config';
import {
  CredentialError,
  PROVIDERS,
  PROVIDER_NAMES,
  findCredential,
  isProviderName,
  maskSecret,
  openCredentialStores,
} from '../../runtime/credentials';
import type {
  Credential,
  CredentialField,
  CredentialStore,
  ProviderName,
} from '../../runtime/credentials';
import { CliError, EXIT } from '../errors';
import type { CliIO } from '../io';

type Action = <A extends unknown[]>(
  fn: (...args: A) => Promise<number>,
) => (...args: A) => Promise<void>;

export interface LoginOptions {
  tokenStdin?: boolean;
  /** Discouraged: a token on the command line stays in the shell's history. */
  token?: string;
  /** The sync backend's team slug. */
  team?: string;
}

/** Where a login reads its token: a pipe, or a terminal to prompt on without echo. */
export type TokenInput = NodeJS.ReadableStream & {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
};

const MAX_TOKEN_LENGTH = 4_096;
const TEAM_SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** `sprintwave auth login|logout|status|list`. */
export function addAuthCommands(program: Command, action: Action, io: CliIO): void {
  const providers = PROVIDER_NAMES.join(', ');
  const auth = program
    .command('auth')
    .description('tokens for GitHub and the sync backend, kept in the OS keyring or encrypted');
  auth
    .command('login <provider>')
    .description(
      `store the token of a provider (${providers}); it is read from stdin when piped, or prompted for without echo`,
    )
    .option('--token-stdin', 'read the token from stdin')
    .option('--token <token>', 'the token itself (discouraged: it stays in the shell history)')
    .option('--team <slug>', 'sync: the team slug events are tagged with')
    .action(action((provider: string, opts: LoginOptions) => authLoginCommand(provider, opts, io)));
  auth
    .command('logout <provider>')
    .description('remove the stored credential of a provider')
    .action(action((provider: string) => authLogoutCommand(provider, io)));
  auth
    .command('status [provider]')
    .description('which providers are logged in, where each token is kept (tokens masked)')
    .action(action((provider: string | undefined) => authStatusCommand(provider, io)));
  auth
    .command('list')
    .description('the stored credentials, masked, and where each is kept')
    .action(action(() => authListCommand(io)));
}

export async function authLoginCommand(
  name: string,
  options: LoginOptions,
  io: CliIO,
  input: TokenInput = process.stdin,
): Promise<number> {
  const provider = providerNamed(name);
  const credential: Credential = {};
  for (const field of PROVIDERS[provider].fields) {
    credential[field.key] = field.secret
      ? await secretValue(provider, options, input, io)
      : await plainValue(provider, field, options, input);
  }
  return withStores(async (stores) => {
    const [target] = stores as [CredentialStore];
    await target.write(provider, credential);
    io.out(`Logged in to ${PROVIDERS[provider].label}: ${describe(provider, credential)}.`);
    io.out(`Stored in ${whereWithProtection(target)}.`);
    for (const field of overriddenFields(provider)) {
      io.err(`note: ${field.env} is set here and is used instead of the stored ${field.label}.`);
    }
    return EXIT.ok;
  });
}

export async function authLogoutCommand(name: string, io: CliIO): Promise<number> {
  const provider = providerNamed(name);
  return withStores(async (stores) => {
    const removedFrom: string[] = [];
    for (const store of stores) {
      if (await store.remove(provider)) removedFrom.push(store.where);
    }
    const label = PROVIDERS[provider].label;
    io.out(
      removedFrom.length
        ? `Logged out of ${label}: removed from ${removedFrom.join(' and ')}.`
        : `Not logged in to ${label}: nothing to remove.`,
    );
    return EXIT.ok;
  });
}

/** Exit 1 when the one provider asked about is not logged in, so scripts can test it. */
export async function authStatusCommand(name: string | undefined, io: CliIO): Promise<number> {
  const providers = name === undefined ? PROVIDER_NAMES : [providerNamed(name)];
  return withStores(async (stores) => {
    io.out(`New logins are stored in ${whereWithProtection(stores[0] as CredentialStore)}.`);
    let missing = 0;
    for (const provider of providers) {
      const hit = await findCredential(stores, provider);
      const label = `${provider} (${PROVIDERS[provider].label})`;
      if (hit)
        io.out(`${label}: logged in, ${describe(provider, hit.credential)}; in ${hit.store.where}`);
      else {
        missing++;
        io.out(`${label}: not logged in`);
      }
      for (const field of overriddenFields(provider)) {
        io.out(
          `  ${field.env} is set in the environment and is used instead of a stored ${field.label}`,
        );
      }
    }
    return name !== undefined && missing ? EXIT.sprintFailed : EXIT.ok;
  });
}

export async function authListCommand(io: CliIO): Promise<number> {
  return withStores(async (stores) => {
    let found = 0;
    for (const provider of PROVIDER_NAMES) {
      const hit = await findCredential(stores, provider);
      if (!hit) continue;
      found++;
      io.out(`${provider.padEnd(8)} ${describe(provider, hit.credential)}  (${hit.store.where})`);
    }
    if (!found) io.out('No stored credentials.');
    return EXIT.ok;
  });
}

function providerNamed(name: string): ProviderName {
  if (isProviderName(name)) return name;
  throw new CliError(
    `${name} is not a provider; use one of ${PROVIDER_NAMES.join(', ')}`,
    EXIT.badInput,
  );
}

/** A store that cannot be read (a wrong passphrase) is bad input, told in one line. */
async function withStores(work: (stores: CredentialStore[]) => Promise<number>): Promise<number> {
  try {
    const stores = await openCredentialStores({ home: loadConfig().home });
    return await work(stores);
  } catch (error) {
    if (error instanceof CredentialError) throw new CliError(error.message, EXIT.badInput);
    throw error;
  }
}

/** `token ghp_…1234, team slug acme`: secrets masked, the rest as is. */
function describe(provider: ProviderName, credential: Credential): string {
  return PROVIDERS[provider].fields
    .map((field) => {
      const value = credential[field.key];
      if (value === undefined) return `no ${field.label}`;
      return `${field.label} ${field.secret ? maskSecret(value) : value}`;
    })
    .join(', ');
}

function whereWithProtection(store: CredentialStore): string {
  return store.protection ? `${store.where} (${store.protection})` : store.where;
}

function overriddenFields(provider: ProviderName): CredentialField[] {
  return PROVIDERS[provider].fields.filter((field) => Boolean(process.env[field.env]));
}

// ---- reading what a login stores ----

async function secretValue(
  provider: ProviderName,
  options: LoginOptions,
  input: TokenInput,
  io: CliIO,
): Promise<string> {
  let token: string;
  if (options.token !== undefined) {
    io.err(
      `warning: a token given with --token stays in your shell history; pipe it instead: printf %s "$TOKEN" | sprintwave auth login ${provider}`,
    );
    token = options.token;
  } else if (options.tokenStdin || !input.isTTY) {
    token = await readAll(input);
  } else {
    token = await promptHidden(`${PROVIDERS[provider].label} token: `, input);
  }
  return checkedToken(token.trim());
}

function checkedToken(token: string): string {
  if (!token)
    throw new CliError('No token given: pipe it in or type it at the prompt.', EXIT.badInput);
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new CliError(`The token is longer than ${MAX_TOKEN_LENGTH} characters.`, EXIT.badInput);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(token)) {
    throw new CliError(
      'The token must be one word: no spaces, line breaks or control characters.',
      EXIT.badInput,
    );
  }
  return token;
}

async function plainValue(
  provider: ProviderName,
  field: CredentialField,
  options: LoginOptions,
  input: TokenInput,
): Promise<string> {
  const given = (options as Record<string, unknown>)[field.key];
  let value = typeof given === 'string' ? given.trim() : undefined;
  if (value === undefined) {
    if (options.tokenStdin || !input.isTTY || options.token !== undefined) {
      throw new CliError(
        `${provider} needs a ${field.label}: pass --${field.key} <${field.label.replace(/ /g, '-')}>`,
        EXIT.badInput,
      );
    }
    value = (await promptVisible(`${PROVIDERS[provider].label} ${field.label}: `, input)).trim();
  }
  if (!TEAM_SLUG.test(value)) {
    throw new CliError(
      `${value || "''"} is not a ${field.label}: letters, digits, dots, dashes and underscores`,
      EXIT.badInput,
    );
  }
  return value;
}

async function readAll(input: TokenInput): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.length > MAX_TOKEN_LENGTH * 2) {
      throw new CliError(
        `The token on stdin is longer than ${MAX_TOKEN_LENGTH} characters.`,
        EXIT.badInput,
      );
    }
  }
  return text;
}

async function promptVisible(question: string, input: TokenInput): Promise<string> {
  const rl = createInterface({ input, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

/** Reads one line from the terminal in raw mode, echoing nothing. */
function promptHidden(question: string, input: TokenInput): Promise<string> {
  process.stderr.write(question);
  input.setRawMode?.(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new CliError('Interrupted.', 130));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    input.on('data', onData);
  });
}
