import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/** Keys derived from the one session secret: nothing is kept in memory between requests. */
export interface Keys {
  seal: Buffer;
  mac: Buffer;
}

export function deriveKeys(secret: string | Buffer): Keys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, 'closedloop', info, 32));
  return { seal: derive('session cookie'), mac: derive('csrf token') };
}

/** Encrypts and authenticates a JSON value (AES-256-GCM) into a cookie-safe string. */
export function seal(keys: Keys, purpose: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.seal, iv);
  cipher.setAAD(Buffer.from(purpose));
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url');
}

/** The value {@link seal} wrapped, or undefined when it was tampered with or sealed for another purpose. */
export function unseal<T>(keys: Keys, purpose: string, text: string | undefined): T | undefined {
  if (!text || text.length > 8192) return undefined;
  try {
    const raw = Buffer.from(text, 'base64url');
    if (raw.length < 29) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', keys.seal, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(raw.subarray(12, 28));
    const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

export function hmac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

/** Compares two strings in constant time. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const randomId = (bytes = 16) => randomBytes(bytes).toString('base64url');
