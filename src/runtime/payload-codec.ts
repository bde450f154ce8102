import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';

/** The variables that hold the keys; errors name them, never their values. */
export const PAYLOAD_KEY_VARIABLE = 'SPRINTWAVE_PAYLOAD_KEY';
export const OLD_PAYLOAD_KEYS_VARIABLE = 'SPRINTWAVE_PAYLOAD_OLD_KEYS';

/** The metadata of a payload this codec encrypted; any other payload passes decode unchanged. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_FIELD = 'encryption-key-id';
const CIPHER_FIELD = 'encryption-cipher';
const COMPRESSION_FIELD = 'encryption-compression';
const CIPHER = 'aes-256-gcm';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Smaller payloads are not worth compressing: gzip's header eats what it would save. */
const COMPRESS_ABOVE_BYTES = 1024;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface PayloadKeys {
  /** Encrypts every payload; decrypts its own. */
  current: Buffer;
  /** Decrypt only: payloads written before the key rotated. */
  old: readonly Buffer[];
}

export class PayloadCodecError extends Error {
  override name = 'PayloadCodecError';
}

/**
 * A key given as 64 hex digits or as base64 of 32 bytes, or what is wrong with it. The problem
 * describes the text's shape only: the text is a secret.
 */
export function parsePayloadKey(text: string): { key: Buffer } | { problem: string } {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return { key: Buffer.from(trimmed, 'hex') };
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64');
    if (key.length === KEY_BYTES) return { key };
    return { problem: `${keyShape()}; it is base64 of ${key.length} bytes` };
  }
  return {
    problem: `${keyShape()}; it is ${trimmed.length} characters that are neither hex nor base64`,
  };
}

/** The old keys, comma-separated; a problem names the key by its place in the list. */
export function parseOldPayloadKeys(text: string): { keys: Buffer[] } | { problem: string } {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const keys: Buffer[] = [];
  for (const [index, part] of parts.entries()) {
    const parsed = parsePayloadKey(part);
    if ('problem' in parsed) {
      return { problem: `key ${index + 1} of ${parts.length}: ${parsed.problem}` };
    }
    keys.push(parsed.key);
  }
  return { keys };
}

function keyShape(): string {
  return `must be ${KEY_BYTES} bytes, given as 64 hex digits or in base64 (openssl rand -hex 32)`;
}

/** A key's public name: enough to tell keys apart in a payload's metadata, nothing to attack. */
export function payloadKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Encrypts every payload with AES-256-GCM under the current key, gzipped first when it is large
 * and that makes it smaller. The whole payload is encrypted, its metadata too (the type of a
 * value can tell what it is). The key id and the compression are bound to the ciphertext as
 * additional data, so changing them fails like changing the ciphertext does.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly currentId: string;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(keys: PayloadKeys) {
    this.currentId = payloadKeyId(keys.current);
    const byId = new Map<string, Buffer>();
    for (const key of keys.old) byId.set(payloadKeyId(key), key);
    byId.set(this.currentId, keys.current);
    this.keys = byId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.encrypt(payload)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.decrypt(payload)));
  }

  private async encrypt(payload: Payload): Promise<Payload> {
    const plain = serializePayload(payload);
    const compression = await compressed(plain);
    const body = compression ?? plain;
    const keyId = this.currentId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.keys.get(keyId) as Buffer, iv);
    cipher.setAAD(additionalData(keyId, compression ? 'gzip' : ''));
    const sealed = Buffer.concat([iv, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: text(ENCRYPTED_ENCODING),
        [KEY_ID_FIELD]: text(keyId),
        [CIPHER_FIELD]: text(CIPHER),
        ...(compression ? { [COMPRESSION_FIELD]: text('gzip') } : {}),
      },
      data: sealed,
    };
  }

  private async decrypt(payload: Payload): Promise<Payload> {
    const metadata = payload.metadata ?? {};
    if (field(metadata, 'encoding') !== ENCRYPTED_ENCODING) return payload;
    const keyId = field(metadata, KEY_ID_FIELD) ?? '';
    const key = this.keys.get(keyId);
    if (!key) {
      throw new PayloadCodecError(
        `Cannot decrypt a payload encrypted with key id ${JSON.stringify(keyId)}: it is neither ` +
          `${PAYLOAD_KEY_VARIABLE} (key id ${this.currentId}) nor one of ${OLD_PAYLOAD_KEYS_VARIABLE}.`,
      );
    }
    const compression = field(metadata, COMPRESSION_FIELD) ?? '';
    const body = openSealed(key, keyId, compression, Buffer.from(payload.data ?? []));
    return deserializePayload(compression === 'gzip' ? await gunzipAsync(body) : body);
  }
}

function openSealed(key: Buffer, keyId: string, compression: string, sealed: Buffer): Buffer {
  const altered = () =>
    new PayloadCodecError(
      `Cannot decrypt a payload encrypted with key id ${keyId}: it was altered or is not whole.`,
    );
  if (sealed.length < IV_BYTES + TAG_BYTES) throw altered();
  const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(additionalData(keyId, compression));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw altered();
  }
}

async function compressed(plain: Buffer): Promise<Buffer | undefined> {
  if (plain.length <= COMPRESS_ABOVE_BYTES) return undefined;
  const smaller = await gzipAsync(plain);
  return smaller.length < plain.length ? smaller : undefined;
}

function additionalData(keyId: string, compression: string): Buffer {
  return Buffer.from(`${ENCRYPTED_ENCODING};${keyId};${compression}`);
}

/**
 * A payload as bytes: a 4-byte length, its metadata as JSON (values in base64), then its data.
 * Ours, not Temporal's protobuf, to need no protobuf library here.
 */
function serializePayload(payload: Payload): Buffer {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload.metadata ?? {})) {
    metadata[name] = Buffer.from(value).toString('base64');
  }
  const header = Buffer.from(JSON.stringify(metadata));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([length, header, Buffer.from(payload.data ?? [])]);
}

function deserializePayload(bytes: Buffer): Payload {
  const headerEnd = 4 + bytes.readUInt32BE(0);
  const fields = JSON.parse(bytes.subarray(4, headerEnd).toString()) as Record<string, string>;
  const metadata: Record<string, Uint8Array> = {};
  for (const [name, value] of Object.entries(fields)) metadata[name] = Buffer.from(value, 'base64');
  return { metadata, data: bytes.subarray(headerEnd) };
}

function text(value: string): Uint8Array {
  return Buffer.from(value);
}

function field(metadata: Record<string, Uint8Array>, name: string): string | undefined {
  const value = metadata[name];
  return value ? Buffer.from(value).toString() : undefined;
}

/** The metadata of a payload this codec gzipped; any other payload passes decode unchanged. */
export const GZIP_ENCODING = 'binary/gzip';
/**
 * Plain payloads stay JSON, readable in the Web UI without a codec, up to this size: only a big
 * sprint's input, state and result pass it, which Temporal refuses past 2 MB.
 */
export const GZIP_PLAIN_ABOVE_BYTES = 256 * 1024;

/**
 * Gzips large payloads when no key is set: a sprint of thousands of packages carries its spec
 * and state from run to run. Always decodes what it gzipped, key or not.
 */
export class CompressionCodec implements PayloadCodec {
  constructor(private readonly encodeAbove = GZIP_PLAIN_ABOVE_BYTES) {}

  /** Gzips nothing new, reads back what was gzipped: beside encryption, which compresses itself. */
  static decodeOnly(): CompressionCodec {
    return new CompressionCodec(Infinity);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    if (this.encodeAbove === Infinity) return payloads;
    return Promise.all(
      payloads.map(async (payload) => {
        if ((payload.data?.length ?? 0) <= this.encodeAbove) return payload;
        const zipped = await gzipAsync(serializePayload(payload));
        return { metadata: { encoding: text(GZIP_ENCODING) }, data: zipped };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if (field(payload.metadata ?? {}, 'encoding') !== GZIP_ENCODING) return payload;
        try {
          return deserializePayload(await gunzipAsync(Buffer.from(payload.data ?? [])));
        } catch {
          throw new PayloadCodecError('Cannot decode a gzipped payload: it is not whole.');
        }
      }),
    );
  }
}

/**
 * The codecs of every client and worker, in encoding order: with keys, everything is encrypted
 * (and compressed there); without, large payloads are gzipped. Either way gzipped payloads
 * written before a key was set still decode.
 */
export function payloadCodecs(keys: PayloadKeys | undefined): PayloadCodec[] {
  return keys
    ? [CompressionCodec.decodeOnly(), new EncryptionCodec(keys)]
    : [new CompressionCodec()];
}

/** The codecs above as one, for the codec server: encodes in order, decodes in reverse. */
export function payloadCodec(keys: PayloadKeys | undefined): PayloadCodec {
  const codecs = payloadCodecs(keys);
  return {
    async encode(payloads) {
      let done = payloads;
      for (const codec of codecs) done = await codec.encode(done);
      return done;
    },
    async decode(payloads) {
      let done = payloads;
      for (const codec of [...codecs].reverse()) done = await codec.decode(done);
      return done;
    },
  };
}

/** The data converter of every client and worker. */
export function dataConverter(keys: PayloadKeys | undefined): DataConverter {
  return { payloadCodecs: payloadCodecs(keys) };
}
