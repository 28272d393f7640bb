import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FeedbackInputSchema } from '@closedloop/core';
import type { InboundResult } from './types.ts';

/** A fixture file beside this one, as text (see fixtures/README.md for each one's source). */
export const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

export const hmacOf = (alg: string, key: string, body: string | Uint8Array, enc: 'hex' | 'base64') =>
  createHmac(alg, key).update(body).digest(enc);

/** The events of an accepted request, each checked against core's schema. */
export function events(r: InboundResult) {
  if (!r.ok) throw new Error(`expected ok, got ${r.status}: ${r.error}`);
  for (const e of r.events) FeedbackInputSchema.parse(e.feedback);
  return r.events;
}
