import type { ConnectionOptions, TLSConfig } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** How to reach a Temporal server beyond its address: TLS, an API key, gRPC headers. */
export interface TemporalConnectionSettings {
  /** `true`: TLS with the system's CAs; an object: a private CA, server name, client certificate. */
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

export interface TemporalProfile extends TemporalConnectionSettings {
  address?: string;
  namespace?: string;
}

/**
 * Temporal's environment configuration, as every Temporal SDK and the `temporal` CLI read it: the
 * profile `TEMPORAL_PROFILE` (else `default`) of `TEMPORAL_CONFIG_FILE` (else the user's
 * `temporalio/temporal.toml`), overridden by `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`,
 * `TEMPORAL_API_KEY`, `TEMPORAL_TLS*` and `TEMPORAL_GRPC_META_*`. Certificate files are read here.
 */
export function loadTemporalProfile(env: NodeJS.ProcessEnv): TemporalProfile {
  const { connectionOptions, namespace } = loadClientConnectConfig({
    overrideEnvVars: definedOnly(env),
  });
  const { address, tls, apiKey, metadata } = connectionOptions;
  return {
    address: address || undefined,
    namespace: namespace || undefined,
    tls: tls ?? undefined,
    apiKey: typeof apiKey === 'string' && apiKey ? apiKey : undefined,
    metadata: metadata && Object.keys(metadata).length > 0 ? stringValues(metadata) : undefined,
  };
}

export function clientConnectionOptions(
  address: string,
  settings: TemporalConnectionSettings,
): ConnectionOptions {
  return { address, ...settings };
}

export function nativeConnectionOptions(
  address: string,
  settings: TemporalConnectionSettings,
): NativeConnectionOptions {
  return { address, ...settings };
}

/**
 * The variables that are set: an empty one counts as unset (as a compose file passes on one the
 * user did not set), so `TEMPORAL_ADDRESS=` leaves the profile's address in place.
 */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => !!entry[1]),
  );
}

function stringValues(metadata: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, String(value)]));
}
