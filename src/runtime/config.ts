import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65_535);

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
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
});

export interface Config {
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    devPort: number;
    uiPort: number;
  };
  github: { token?: string; apiUrl: string };
  api: { host: string; port: number; token?: string; url: string };
  events: { url?: string; syncToken?: string; teamSlug?: string };
  home: string;
  worktreeRoot: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The environment, parsed once into a frozen config. Never log it: it holds tokens. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.SPRINTWAVE_HOME ?? path.join(os.homedir(), '.sprintwave'));
  const devPort = e.SPRINTWAVE_TEMPORAL_PORT ?? 7233;
  const config: Config = {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      devPort,
      uiPort: e.SPRINTWAVE_UI_PORT ?? devPort + 1000,
    },
    github: { token: e.GITHUB_TOKEN, apiUrl: e.GITHUB_API_URL },
    api: {
      host: e.SPRINTWAVE_API_HOST,
      port: e.SPRINTWAVE_API_PORT,
      token: e.SPRINTWAVE_API_TOKEN,
      url: e.SPRINTWAVE_URL ?? `http://${e.SPRINTWAVE_API_HOST}:${e.SPRINTWAVE_API_PORT}`,
    },
    events: {
      url: e.SPRINTWAVE_EVENTS_URL,
      syncToken: e.SPRINTWAVE_SYNC_TOKEN,
      teamSlug: e.SPRINTWAVE_TEAM_SLUG,
    },
    home,
    worktreeRoot: path.join(home, 'worktrees'),
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === 'object') deepFreeze(inner as object);
  }
  return Object.freeze(value);
}
