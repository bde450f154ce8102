import net from 'node:net';
import tls from 'node:tls';
import type { TLSConfig } from '@temporalio/client';
import type { TemporalConnectionSettings } from './connection-options';

/** A connection to Temporal that failed for a reason the person can fix, said in one line. */
export class TemporalConnectionError extends Error {
  override name = 'TemporalConnectionError';
}

interface TlsError extends NodeJS.ErrnoException {
  /** OpenSSL's reason, as in "wrong version number". */
  reason?: string;
}

const PROBE_TIMEOUT_MS = 5_000;

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * The error to report for a failed connection. gRPC only says "Failed to connect before the
 * deadline" when the TLS handshake fails, so with TLS the handshake is tried once more on its
 * own to name what is wrong: an untrusted certificate, a server name it does not hold, no TLS.
 */
export async function explainConnectFailure(
  error: unknown,
  address: string,
  settings: TemporalConnectionSettings,
): Promise<unknown> {
  const { tls: option } = settings;
  if (option === undefined || option === false) return error;
  const config = option === true ? {} : option;
  const problem = await tlsHandshakeProblem(address, config);
  if (!problem) return error;
  // OpenSSL's own errors carry their source location and a line break; the reason is enough.
  const what = problem.reason ?? problem.message.split('\n')[0];
  return new TemporalConnectionError(
    `Cannot connect to Temporal at ${address}: TLS handshake failed: ${what}${hint(problem, config)}`,
  );
}

function hint(problem: TlsError, config: TLSConfig): string {
  if (problem.code && UNTRUSTED.has(problem.code)) {
    return config.serverRootCACertificate
      ? ' (the server certificate is not signed by the CA of TEMPORAL_TLS_SERVER_CA_CERT_PATH or the profile)'
      : ' (set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed the server certificate)';
  }
  if (problem.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return ' (set TEMPORAL_TLS_SERVER_NAME to a name the certificate holds)';
  }
  if (problem.code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return ' (the server does not speak TLS)';
  }
  return '';
}

/** The TLS error of a handshake with the server, or undefined when it succeeds or cannot tell. */
function tlsHandshakeProblem(address: string, config: TLSConfig): Promise<TlsError | undefined> {
  const { host, port } = splitAddress(address);
  const servername = config.serverNameOverride ?? (net.isIP(host) ? undefined : host);
  const buffer = (data?: Uint8Array) => (data ? Buffer.from(data) : undefined);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      servername,
      ca: buffer(config.serverRootCACertificate),
      cert: buffer(config.clientCertPair?.crt),
      key: buffer(config.clientCertPair?.key),
      ALPNProtocols: ['h2'],
      timeout: PROBE_TIMEOUT_MS,
    });
    const done = (problem?: TlsError) => {
      socket.destroy();
      resolve(problem && isTlsProblem(problem) ? problem : undefined);
    };
    socket.once('secureConnect', () => done());
    socket.once('timeout', () => done());
    socket.once('error', done);
  });
}

function isTlsProblem(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return (
    UNTRUSTED.has(code) ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('CERT_')
  );
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = at < 0 ? address : address.slice(0, at);
  return { host: host.replace(/^\[|\]$/g, ''), port: at < 0 ? 443 : Number(address.slice(at + 1)) };
}
