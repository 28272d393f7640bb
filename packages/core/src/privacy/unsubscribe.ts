// The unsubscribe link every customer email carries: a token that names the address, sealed
// with a server secret (AES-256-GCM: no one can forge one or read the address out of the link),
// so a customer can leave without logging in and nothing in the URL identifies them.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const keyOf = (secret: string) =>
  createHash('sha256').update(`closedloop.unsubscribe\u0000${secret}`).digest();

/** A token for the address, for `…/v1/unsubscribe?t=<token>`. */
export function unsubscribeToken(secret: string, email: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  const body = Buffer.concat([cipher.update(email.trim().toLowerCase(), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The address a token names, or undefined when it was not made with this secret (or altered). */
export function readUnsubscribeToken(secret: string, token: string): string | undefined {
  if (typeof token !== 'string' || token.length < 40 || token.length > 1200 || !/^[\w-]+$/.test(token)) {
    return undefined;
  }
  const raw = Buffer.from(token, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The unsubscribe URL for an address: `base` (e.g. `https://cx.example.com/v1/unsubscribe`) plus its token. */
export function unsubscribeUrl(base: string, secret: string, email: string): string {
  const u = new URL(base);
  u.searchParams.set('t', unsubscribeToken(secret, email));
  return u.toString();
}
