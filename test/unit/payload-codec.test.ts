import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import { ConfigError, loadConfig } from '../../src/runtime/config';
import {
  CompressionCodec,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  GZIP_ENCODING,
  GZIP_PLAIN_ABOVE_BYTES,
  parsePayloadKey,
  payloadCodec,
  payloadKeyId,
} from '../../src/runtime/payload-codec';

const key = randomBytes(32);
const oldKey = randomBytes(32);

function json(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

function metadataText(payload: Payload, name: string): string | undefined {
  const value = payload.metadata?.[name];
  return value ? Buffer.from(value).toString() : undefined;
}

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig({ TEMPORAL_ADDRESS: '127.0.0.1:7233', ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('EncryptionCodec', () => {
  it('encrypts a payload, metadata included, and decrypts it back', async () => {
    const codec = new EncryptionCodec({ current: key, old: [] });
    const plain = json({ title: 'Secret package', run: 'make secret' });
    const [encrypted] = await codec.encode([plain]);
    expect(metadataText(encrypted!, 'encoding')).toBe(ENCRYPTED_ENCODING);
    expect(metadataText(encrypted!, 'encryption-key-id')).toBe(payloadKeyId(key));
    const stored = Buffer.from(encrypted!.data!).toString('latin1');
    expect(stored).not.toContain('Secret package');
    expect(stored).not.toContain('json/plain');
    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({
      title: 'Secret package',
      run: 'make secret',
    });
    expect(metadataText(decoded!, 'encoding')).toBe('json/plain');
  });

  it('uses a fresh IV: the same payload never encrypts the same twice', async () => {
    const codec = new EncryptionCodec({ current: key, old: [] });
    const [a, b] = await codec.encode([json('same'), json('same')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('compresses a large payload that compresses, and not a small one', async () => {
    const codec = new EncryptionCodec({ current: key, old: [] });
    const large = json({ log: 'line of output\n'.repeat(2_000) });
    const [big, small] = await codec.encode([large, json('tiny')]);
    expect(metadataText(big!, 'encryption-compression')).toBe('gzip');
    expect(big!.data!.length).toBeLessThan(large.data!.length / 10);
    expect(metadataText(small!, 'encryption-compression')).toBeUndefined();
    const [back] = await codec.decode([big!]);
    expect(defaultPayloadConverter.fromPayload(back!)).toEqual({
      log: 'line of output\n'.repeat(2_000),
    });
  });

  it('does not compress a large payload that would not get smaller', async () => {
    const codec = new EncryptionCodec({ current: key, old: [] });
    const noise = new Uint8Array(randomBytes(4_000));
    const [encrypted] = await codec.encode([json(noise)]);
    expect(metadataText(encrypted!, 'encryption-compression')).toBeUndefined();
  });

  it('decrypts payloads of an old key after the key rotated, and encrypts with the new one', async () => {
    const before = new EncryptionCodec({ current: oldKey, old: [] });
    const [written] = await before.encode([json('written before the rotation')]);
    const after = new EncryptionCodec({ current: key, old: [oldKey] });
    const [read] = await after.decode([written!]);
    expect(defaultPayloadConverter.fromPayload(read!)).toBe('written before the rotation');
    const [fresh] = await after.encode([json('new')]);
    expect(metadataText(fresh!, 'encryption-key-id')).toBe(payloadKeyId(key));
  });

  it('names the unknown key id of a payload it cannot decrypt', async () => {
    const [written] = await new EncryptionCodec({ current: oldKey, old: [] }).encode([json('x')]);
    const codec = new EncryptionCodec({ current: key, old: [] });
    await expect(codec.decode([written!])).rejects.toThrow(
      `Cannot decrypt a payload encrypted with key id "${payloadKeyId(oldKey)}": it is neither ` +
        `SPRINTWAVE_PAYLOAD_KEY (key id ${payloadKeyId(key)}) nor one of SPRINTWAVE_PAYLOAD_OLD_KEYS.`,
    );
  });

  it('passes payloads it did not encrypt through decode unchanged', async () => {
    const codec = new EncryptionCodec({ current: key, old: [] });
    const plain = json({ started: 'before the key was set' });
    const [decoded] = await codec.decode([plain]);
    expect(decoded).toBe(plain);
  });

  it('refuses a tampered ciphertext, and tampered metadata', async () => {
    const codec = new EncryptionCodec({ current: key, old: [] });
    const [encrypted] = await codec.encode([json({ title: 'T' })]);
    const data = Buffer.from(encrypted!.data!);
    data[20] = (data[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...encrypted!, data }])).rejects.toThrow(
      /key id [0-9a-f]{8}: it was altered or is not whole/,
    );
    const claimsGzip = {
      ...encrypted!,
      metadata: { ...encrypted!.metadata, 'encryption-compression': Buffer.from('gzip') },
    };
    await expect(codec.decode([claimsGzip])).rejects.toThrow(/altered/);
    await expect(codec.decode([{ ...encrypted!, data: data.subarray(0, 10) }])).rejects.toThrow(
      /altered/,
    );
  });
});

/** A sprint state's worth of packages: repetitive, as a big sprint's is. */
function bigState(packages: number): unknown {
  return {
    packages: Array.from({ length: packages }, (_, n) => ({
      id: `P${n}`,
      title: `package ${n}`,
      status: 'completed',
      branch: `sprintwave/big/P${n}`,
      commit: randomBytes(20).toString('hex'),
    })),
  };
}

describe('CompressionCodec (no key)', () => {
  const codec = new CompressionCodec();

  it('gzips a payload over the limit and reads it back as it was', async () => {
    const large = json(bigState(5_000));
    expect(large.data?.length).toBeGreaterThan(GZIP_PLAIN_ABOVE_BYTES);
    const [zipped] = await codec.encode([large]);
    expect(metadataText(zipped as Payload, 'encoding')).toBe(GZIP_ENCODING);
    expect(zipped?.data?.length).toBeLessThan((large.data?.length ?? 0) / 2);
    const [back] = await codec.decode([zipped as Payload]);
    expect(defaultPayloadConverter.fromPayload(back as Payload)).toEqual(
      defaultPayloadConverter.fromPayload(large),
    );
  });

  it('leaves a payload up to the limit as plain JSON', async () => {
    const small = json(bigState(10));
    expect(await codec.encode([small])).toEqual([small]);
    expect(await codec.decode([small])).toEqual([small]);
  });

  it('refuses a gzipped payload that is not whole, saying so', async () => {
    const [zipped] = await codec.encode([json(bigState(5_000))]);
    const cut = { ...zipped, data: zipped?.data?.subarray(0, 100) };
    await expect(codec.decode([cut])).rejects.toThrow('Cannot decode a gzipped payload');
  });

  it('still reads what it gzipped once a key is set, and encrypts everything new', async () => {
    const [zipped] = await codec.encode([json(bigState(5_000))]);
    const keyed = payloadCodec({ current: key, old: [] });
    const [back] = await keyed.decode([zipped as Payload]);
    expect(defaultPayloadConverter.fromPayload(back as Payload)).toEqual(
      defaultPayloadConverter.fromPayload(
        await codec.decode([zipped as Payload]).then((p) => p[0] as Payload),
      ),
    );
    const [sealed] = await keyed.encode([json(bigState(5_000))]);
    expect(metadataText(sealed as Payload, 'encoding')).toBe(ENCRYPTED_ENCODING);
  });
});

describe('the codecs with a key', () => {
  it('leave large payloads to the encryption, which compresses them itself: no gzip inside', async () => {
    const keys = { current: key, old: [] };
    const large = json(bigState(5_000));
    const [sealed] = await payloadCodec(keys).encode([large]);
    const [opened] = await new EncryptionCodec(keys).decode([sealed as Payload]);
    expect(metadataText(opened as Payload, 'encoding')).toBe('json/plain');
    expect(opened).toEqual(large);
  });
});

describe('the payload key settings', () => {
  it('accepts 32 bytes as hex or base64', () => {
    expect(parsePayloadKey(key.toString('hex'))).toEqual({ key });
    expect(parsePayloadKey(key.toString('base64'))).toEqual({ key });
    expect(parsePayloadKey(key.toString('base64url'))).toEqual({ key });
    const config = loadConfig({
      SPRINTWAVE_PAYLOAD_KEY: key.toString('hex'),
      SPRINTWAVE_PAYLOAD_OLD_KEYS: `${oldKey.toString('base64')}, ${randomBytes(32).toString('hex')}`,
    });
    expect(config.temporal.payloadKeys?.current).toEqual(key);
    expect(config.temporal.payloadKeys?.old).toHaveLength(2);
    expect(loadConfig({}).temporal.payloadKeys).toBeUndefined();
  });

  it('refuses a key of the wrong length or format, naming the variable and not the key', () => {
    const short = randomBytes(16).toString('hex');
    const message = configError({ SPRINTWAVE_PAYLOAD_KEY: short });
    expect(message).toContain('SPRINTWAVE_PAYLOAD_KEY: must be 32 bytes');
    expect(message).toContain('base64 of 24 bytes');
    expect(message).not.toContain(short);

    const garbled = 'not a key: correct horse battery staple!';
    const other = configError({ SPRINTWAVE_PAYLOAD_KEY: garbled });
    expect(other).toContain('SPRINTWAVE_PAYLOAD_KEY');
    expect(other).toContain('neither hex nor base64');
    expect(other).not.toContain('horse');
  });

  it('refuses a bad old key by its place, and old keys without a current one', () => {
    const bad = randomBytes(31).toString('base64');
    const message = configError({
      SPRINTWAVE_PAYLOAD_KEY: key.toString('hex'),
      SPRINTWAVE_PAYLOAD_OLD_KEYS: `${oldKey.toString('hex')},${bad}`,
    });
    expect(message).toContain('SPRINTWAVE_PAYLOAD_OLD_KEYS: key 2 of 2: must be 32 bytes');
    expect(message).not.toContain(bad);
    expect(message).not.toContain(oldKey.toString('hex'));
    expect(configError({ SPRINTWAVE_PAYLOAD_OLD_KEYS: oldKey.toString('hex') })).toContain(
      'SPRINTWAVE_PAYLOAD_OLD_KEYS: is set without SPRINTWAVE_PAYLOAD_KEY',
    );
  });
});
