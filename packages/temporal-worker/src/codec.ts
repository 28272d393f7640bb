// AES-256-GCM payload codec: customer data (emails, names, comments) reaches the Temporal server
// only encrypted, the way Temporal recommends for PII. Keys come from config; the key id travels
// in each payload's metadata, so old payloads still decode after a rotation (see docs/temporal.md).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  type DataConverter,
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadCodec,
} from '@temporalio/common';
import proto from '@temporalio/proto';
import { WorkerError } from './errors.ts';

// CommonJS package: its named exports are not visible to Node's ESM loader.
const { temporal } = proto;

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const enc = new TextEncoder();
const dec = new TextDecoder();

export interface EncryptionKeys {
  /** The id of the key new payloads are encrypted with. */
  current: string;
  /** Every key that may still be needed to decrypt: id -> 32 bytes (base64 or a Buffer). */
  keys: Record<string, string | Uint8Array>;
}

/**
 * Encrypts every payload with AES-256-GCM under the current key; decrypts with the key named in
 * the payload. Pass it as `dataConverter: { payloadCodecs: [codec] }` to clients and workers.
 *
 * @example
 * const codec = aesGcmCodec({ current: 'k2', keys: { k1: process.env.KEY1!, k2: process.env.KEY2! } });
 */
export function aesGcmCodec(config: EncryptionKeys): PayloadCodec {
  const keys = new Map<string, Buffer>();
  for (const [id, k] of Object.entries(config.keys)) {
    const key = typeof k === 'string' ? Buffer.from(k, 'base64') : Buffer.from(k);
    if (key.length !== 32)
      throw new WorkerError(
        'BAD_KEY',
        `Encryption key "${id}" has ${key.length} bytes; AES-256 needs 32 (base64 of 32 random bytes)`,
      );
    keys.set(id, key);
  }
  const current = keys.get(config.current);
  if (!current)
    throw new WorkerError(
      'BAD_KEY',
      `The current encryption key "${config.current}" is not among keys: ${[...keys.keys()].join(', ')}`,
    );
  return {
    async encode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((p) => {
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', current, iv);
        const plain = temporal.api.common.v1.Payload.encode(p).finish();
        const body = Buffer.concat([cipher.update(plain), cipher.final()]);
        return {
          metadata: { [METADATA_ENCODING_KEY]: enc.encode(ENCODING), [KEY_ID]: enc.encode(config.current) },
          data: Buffer.concat([iv, cipher.getAuthTag(), body]),
        };
      });
    },
    async decode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((p) => {
        const encoding = p.metadata?.[METADATA_ENCODING_KEY];
        if (!encoding || dec.decode(encoding) !== ENCODING) return p;
        const id = p.metadata?.[KEY_ID] ? dec.decode(p.metadata[KEY_ID]) : '';
        const key = keys.get(id);
        if (!key)
          throw new WorkerError(
            'UNKNOWN_KEY',
            `No decryption key "${id}": keep old keys in config until their loops are done`,
          );
        const data = Buffer.from(p.data ?? new Uint8Array());
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
        decipher.setAuthTag(data.subarray(12, 28));
        const plain = Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]);
        return temporal.api.common.v1.Payload.decode(plain);
      });
    },
  };
}

/**
 * The data converter for an encrypted deployment: payloads through the codec, and failure
 * messages and stack traces moved into an encoded payload too (`encodeCommonAttributes`), so an
 * error quoting customer data is not stored in plain text in the history. Use the same on
 * clients and workers.
 */
export function privateDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath };
}

/** The module exporting closedloop's `failureConverter` (source in development, built JS in the package). */
export const failureConverterPath = fileURLToPath(
  new URL(`./failure-converter.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
);
