import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  /** The private CA's certificate (PEM file). */
  caPath: string;
  /** The server certificate (signed by the CA, for `serverName`) and its key. */
  certPath: string;
  keyPath: string;
  serverName: string;
}

/**
 * A private CA and a server certificate it signs, made with `openssl`. The worker's native
 * connection rejects a self-signed end-entity certificate, hence the two.
 */
export async function makeCertificates(
  serverName = 'temporal.sprintwave.test',
): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-tls-'));
  const openssl = (args: string) => run('openssl', args.split(' '), { cwd: dir });
  const ecKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  await openssl(
    `req -x509 ${ecKey} -keyout ca.key -out ca.pem -days 2 -subj /CN=sprintwave-test-ca ` +
      '-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign',
  );
  await openssl(`req ${ecKey} -keyout server.key -out server.csr -subj /CN=${serverName}`);
  await writeFile(
    path.join(dir, 'server.ext'),
    [
      `subjectAltName=DNS:${serverName}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ].join('\n'),
  );
  await openssl(
    'x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 ' +
      '-extfile server.ext',
  );
  const file = (name: string) => path.join(dir, name);
  return {
    dir,
    caPath: file('ca.pem'),
    certPath: file('server.pem'),
    keyPath: file('server.key'),
    serverName,
  };
}

export interface TlsProxy {
  /** `127.0.0.1:<port>`: TLS here, plain gRPC to the target. */
  address: string;
  close(): Promise<void>;
}

/** Terminates TLS (HTTP/2, ALPN `h2`, as gRPC needs) and forwards the bytes to `target`. */
export async function startTlsProxy(target: string, certs: TestCertificates): Promise<TlsProxy> {
  const [host, port] = splitAddress(target);
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      key: await readFile(certs.keyPath),
      cert: await readFile(certs.certPath),
      ALPNProtocols: ['h2'],
    },
    (client) => {
      const upstream = net.connect(port, host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    },
  );
  // A client that rejects the certificate ends the handshake: not the proxy's failure.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: listening } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${listening}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
