import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseAllowedCommands } from '../domain/allowed-commands';
import { loadTemporalProfile } from './connection-options';
import type { TemporalConnectionSettings, TemporalProfile } from './connection-options';
import { CredentialError, readStoredCredentials } from './credentials';
import { hostQueueName } from './host-queue';
import { parseOldPayloadKeys, parsePayloadKey } from './payload-codec';
import type { PayloadKeys } from './payload-codec';

const port = z.coerce.number().int().min(1).max(65_535);
const allowedCommands = z.string().transform((text, ctx) => {
  const parsed = parseAllowedCommands(text);
  if ('names' in parsed) return parsed.names;
  ctx.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});
// The issue names the variable (its path) and the key's shape, never the key.
const payloadKey = z.string().transform((text, ctx) => {
  const parsed = parsePayloadKey(text);
  if ('key' in parsed) return parsed.key;
  ctx.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});
const oldPayloadKeys = z.string().transform((text, ctx) => {
  const parsed = parseOldPayloadKeys(text);
  if ('keys' in parsed) return parsed.keys;
  ctx.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('sprintwave'),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  SPRINTWAVE_API_HOST: z.string().min(1).default('127.0.0.1'),
  SPRINTWAVE_API_PORT: port.default(3000),
  SPRINTWAVE_API_TOKEN: z.string().min(1).optional(),
  SPRINTWAVE_URL: z.url().optional(),
  SPRINTWAVE_EVENTS_URL: z.url().optional(),
  SPRINTWAVE_SYNC_TOKEN: z.string().min(1).optional(),
  SPRINTWAVE_TEAM_SLUG: z.string().min(1).optional(),
  SPRINTWAVE_HOME: z.string().min(1).optional(),
  SPRINTWAVE_UI_PORT: port.optional(),
  SPRINTWAVE_TEMPORAL_PORT: port.optional(),
  TEMPORAL_UI_URL: z.url().optional(),
  SPRINTWAVE_ALLOWED_COMMANDS: allowedCommands.optional(),
  SPRINTWAVE_WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dots, dashes and underscores only')
    .optional(),
  SPRINTWAVE_ROUTE_TO_HOST: z.enum(['0', '1', 'true', 'false']).optional(),
  SPRINTWAVE_WORKER_ACTIVITIES: z.coerce
    .number()
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .optional(),
  SPRINTWAVE_PAYLOAD_KEY: payloadKey.optional(),
  SPRINTWAVE_PAYLOAD_OLD_KEYS: oldPayloadKeys.optional(),
  SPRINTWAVE_BUILD_ID: z.string().min(1).optional(),
  // The server names a version `<deployment>.<build id>`: a dot in the name would be ambiguous.
  SPRINTWAVE_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[^.]+$/, 'must not contain a dot')
    .optional(),
});

export interface Config {
  temporal: {
    /** From TEMPORAL_ADDRESS or the Temporal profile; unset: the embedded dev server. */
    address?: string;
    namespace: string;
    /** TLS, API key and gRPC headers for `address`, from the same Temporal configuration. */
    connection: TemporalConnectionSettings;
    taskQueue: string;
    devPort: number;
    uiPort: number;
    /** TEMPORAL_UI_URL: the Web UI of the server at `address`. */
    uiUrl?: string;
    /** SPRINTWAVE_PAYLOAD_KEY (and _OLD_KEYS): payloads are encrypted; unset: plain JSON. */
    payloadKeys?: PayloadKeys;
  };
  github: { token?: string; apiUrl: string };
  api: {
    host: string;
    port: number;
    token?: string;
    url: string;
    /** SPRINTWAVE_URL as given: the CLI then talks to the API there instead of to Temporal. */
    remoteUrl?: string;
  };
  events: { url?: string; syncToken?: string; teamSlug?: string };
  home: string;
  worktreeRoot: string;
  /** Executables sprint commands may start (SPRINTWAVE_ALLOWED_COMMANDS); any when unset. */
  allowedCommands?: readonly string[];
  worker: {
    /** SPRINTWAVE_WORKER_ID, else the host name: names this worker's own task queue. */
    id: string;
    /** `<taskQueue>@<id>`: where work on this worker's worktrees is sent. */
    hostQueue: string;
    /** SPRINTWAVE_ROUTE_TO_HOST: sprints started here send worktree work to one worker's queue. */
    routeToHost: boolean;
    /** SPRINTWAVE_WORKER_ACTIVITIES: activities (commands, git steps) this worker runs at once. */
    maxActivities?: number;
    /**
     * SPRINTWAVE_BUILD_ID (and SPRINTWAVE_DEPLOYMENT_NAME, default `sprintwave`): the Worker
     * Deployment version this worker runs as; unset: an unversioned worker.
     */
    deployment?: { deploymentName: string; buildId: string };
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The environment, parsed once into a frozen config. Never log it: it holds tokens. An empty
 * variable counts as unset, as a compose file passes on one its user did not set.
 */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const env = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const profile = temporalProfile(env);
  const home = path.resolve(e.SPRINTWAVE_HOME ?? path.join(os.homedir(), '.sprintwave'));
  const devPort = e.SPRINTWAVE_TEMPORAL_PORT ?? 7233;
  const config: Config = {
    temporal: {
      address: profile.address,
      namespace: profile.namespace ?? 'default',
      connection: { tls: profile.tls, apiKey: profile.apiKey, metadata: profile.metadata },
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      devPort,
      uiPort: e.SPRINTWAVE_UI_PORT ?? devPort + 1000,
      uiUrl: e.TEMPORAL_UI_URL,
      payloadKeys: payloadKeys(e.SPRINTWAVE_PAYLOAD_KEY, e.SPRINTWAVE_PAYLOAD_OLD_KEYS),
    },
    github: { token: e.GITHUB_TOKEN, apiUrl: e.GITHUB_API_URL },
    api: {
      host: e.SPRINTWAVE_API_HOST,
      port: e.SPRINTWAVE_API_PORT,
      token: e.SPRINTWAVE_API_TOKEN,
      url: e.SPRINTWAVE_URL ?? `http://${e.SPRINTWAVE_API_HOST}:${e.SPRINTWAVE_API_PORT}`,
      remoteUrl: e.SPRINTWAVE_URL,
    },
    events: {
      url: e.SPRINTWAVE_EVENTS_URL,
      syncToken: e.SPRINTWAVE_SYNC_TOKEN,
      teamSlug: e.SPRINTWAVE_TEAM_SLUG,
    },
    home,
    worktreeRoot: path.join(home, 'worktrees'),
    allowedCommands: e.SPRINTWAVE_ALLOWED_COMMANDS,
    worker: {
      ...workerConfig(e.TEMPORAL_TASK_QUEUE, e.SPRINTWAVE_WORKER_ID, e.SPRINTWAVE_ROUTE_TO_HOST),
      deployment: deployment(e.SPRINTWAVE_BUILD_ID, e.SPRINTWAVE_DEPLOYMENT_NAME),
      maxActivities: e.SPRINTWAVE_WORKER_ACTIVITIES,
    },
  };
  return deepFreeze(config);
}

/**
 * Start-up of the worker, the API and the CLI: the config, with the tokens of `sprintwave auth
 * login` wherever the environment sets none.
 */
export async function loadConfigWithCredentials(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Readonly<Config>> {
  const config = loadConfig(env);
  const stored = await readStoredCredentials({ home: config.home, env }).catch((error: unknown) => {
    if (error instanceof CredentialError) throw new ConfigError(error.message);
    throw error;
  });
  const { github, sync } = stored;
  return deepFreeze({
    ...config,
    github: { ...config.github, token: config.github.token ?? github?.token },
    events: {
      ...config.events,
      syncToken: config.events.syncToken ?? sync?.token,
      teamSlug: config.events.teamSlug ?? sync?.team,
    },
  });
}

function temporalProfile(env: NodeJS.ProcessEnv): TemporalProfile {
  try {
    return loadTemporalProfile(env);
  } catch (error) {
    throw new ConfigError(`Invalid Temporal connection settings: ${oneLine(error as TomlError)}`);
  }
}

/** A TOML error quotes the file around the mistake over several lines; its place is enough. */
interface TomlError extends Error {
  line?: number;
  column?: number;
}

function oneLine(error: TomlError): string {
  const first = error.message.split('\n')[0] ?? '';
  return error.line ? `${first} (line ${error.line}, column ${error.column})` : first;
}

function payloadKeys(current?: Buffer, old: Buffer[] = []): PayloadKeys | undefined {
  if (current) return { current, old };
  // Old keys alone would decrypt nothing new and encrypt nothing: most likely a mistake.
  if (old.length) {
    throw new ConfigError(
      'Invalid environment:\n  SPRINTWAVE_PAYLOAD_OLD_KEYS: is set without SPRINTWAVE_PAYLOAD_KEY',
    );
  }
  return undefined;
}

function workerConfig(taskQueue: string, id = os.hostname(), route?: string): Config['worker'] {
  return {
    id,
    hostQueue: hostQueueName(taskQueue, id),
    routeToHost: route === '1' || route === 'true',
  };
}

function deployment(
  buildId?: string,
  deploymentName = 'sprintwave',
): Config['worker']['deployment'] {
  return buildId ? { deploymentName, buildId } : undefined;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    // Certificates are Buffers, which cannot be frozen.
    if (inner && typeof inner === 'object' && !ArrayBuffer.isView(inner)) {
      deepFreeze(inner as object);
    }
  }
  return Object.freeze(value);
}
