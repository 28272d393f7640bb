import { describe, expect, test } from 'vitest';
import type { FeedbackInput } from '../domain/feedback.ts';
import { people, segments } from '../machine/fixtures.ts';
import { manualClock } from '../runtime/clock.ts';
import { createClosedLoop } from '../runtime/closed-loop.ts';
import { recordingConnector } from '../runtime/test-kit.ts';
import { memoryStore } from '../stores/memory.ts';
import { sqliteStore } from '../stores/sqlite.ts';
import type { Store } from '../stores/store.ts';
import { addDoNotContact, type ContactPolicy, removeDoNotContact } from './contact.ts';
import { readUnsubscribeToken, unsubscribeToken, unsubscribeUrl } from './unsubscribe.ts';

function setup(store: Store, contact?: ContactPolicy) {
  const connector = recordingConnector();
  const clock = manualClock(Date.parse('2026-11-02T09:00:00Z'));
  const loop = createClosedLoop({
    store,
    directory: people,
    segments,
    connectors: [connector],
    clock,
    ...(contact ? { contact } : {}),
  });
  return { loop, connector, clock };
}

let n = 0;
const answer = (email: string, nps: number, over: Partial<FeedbackInput> = {}): FeedbackInput => ({
  source: { tool: 'typeform', responseId: `contact-${n++}` },
  customer: { email, segment: 'spain' },
  nps,
  comment: 'Tarde otra vez',
  language: 'es',
  ...over,
});

describe.each([
  ['memory', () => memoryStore()],
  ['SQLite', () => sqliteStore({ path: ':memory:' })],
])('consent and do-not-contact on %s', (_name, make) => {
  test('do-not-contact wins over consent: no message after the fix, the case log says why, staff still hear', async () => {
    const { loop, connector } = setup(make());
    const r = await loop.capture(answer('Nora@example.es', 2, { consent: true }));
    await addDoNotContact(loop.store.documents, 'nora@EXAMPLE.es', { source: 'api', actor: 'dpo' });
    await loop.cases.resolve(r.case!.id, { rootCause: 'courier' }, { actor: 'ana' });
    await loop.cases.inform(r.case!.id, { message: 'Lo sentimos' }, { actor: 'ana' });
    await loop.idle();
    await loop.idle();
    expect(connector.applied.size).toBeGreaterThan(0);
    expect([...connector.applied.values()].filter((e) => e.type === 'informCustomer')).toEqual([]);
    expect([...connector.applied.values()].some((e) => e.type === 'notify')).toBe(true);
    const c = await loop.cases.get(r.case!.id);
    expect(c.audit.at(-1)).toMatchObject({
      action: 'suppressed',
      field: 'informCustomer',
      note: 'message to the customer not sent: the customer is on the do-not-contact list',
    });
    expect(c.customerInformedAt).toBeUndefined();
    const rec = await loop.getLoop(r.loopId);
    expect(rec?.snapshot.state).toBe('learned');
    expect(rec?.snapshot.context.outcome).toEqual({ reason: 'noContact' });
    const [row] = await loop.store.listDeliveries({ loopId: r.loopId, status: 'dead' });
    expect(row?.lastError).toBe('suppressed: the customer is on the do-not-contact list');
    await loop.close();
  });

  test('without consent required, a thank-you goes unless the answer refused consent', async () => {
    const { loop, connector } = setup(make());
    await loop.capture(answer('pro1@example.es', 10));
    await loop.capture(answer('pro2@example.es', 10, { consent: false }));
    await loop.idle();
    const thanked = [...connector.applied.values()].filter((e) => e.type === 'informCustomer');
    expect(thanked.map((e) => (e.type === 'informCustomer' ? e.to.email : ''))).toEqual(['pro1@example.es']);
    await loop.close();
  });

  test('contact.requireConsent: only answers with consent: true are contacted; removing from the list restores contact', async () => {
    const { loop, connector } = setup(make(), { requireConsent: true });
    await loop.capture(answer('pro3@example.es', 9));
    await loop.capture(answer('pro4@example.es', 9, { consent: true }));
    await addDoNotContact(loop.store.documents, 'pro5@example.es', { source: 'cli', actor: 'dpo' });
    await removeDoNotContact(loop.store.documents, 'pro5@example.es');
    await loop.capture(answer('pro5@example.es', 9, { consent: true }));
    await loop.idle();
    const thanked = [...connector.applied.values()].flatMap((e) =>
      e.type === 'informCustomer' ? [e.to.email] : [],
    );
    expect(thanked.sort()).toEqual(['pro4@example.es', 'pro5@example.es']);
    const dead = await loop.store.listDeliveries({ status: 'dead' });
    expect(dead.map((d) => d.lastError)).toEqual([
      'suppressed: the program requires consent (contact.requireConsent) and the answer carries none',
    ]);
    await loop.close();
  });
});

describe('unsubscribe tokens', () => {
  const secret = 'a-long-secret-of-more-than-32-characters!';
  test('name the address, cannot be forged or altered, and do not show it', () => {
    const t = unsubscribeToken(secret, 'Nora@Example.es');
    expect(readUnsubscribeToken(secret, t)).toBe('nora@example.es');
    expect(Buffer.from(t, 'base64url').toString('latin1')).not.toContain('nora');
    expect(readUnsubscribeToken('another-secret-of-more-than-32-characters', t)).toBeUndefined();
    const flipped = `${t.slice(0, 30)}${t[30] === 'A' ? 'B' : 'A'}${t.slice(31)}`;
    expect(readUnsubscribeToken(secret, flipped)).toBeUndefined();
    expect(readUnsubscribeToken(secret, 'short')).toBeUndefined();
    expect(unsubscribeUrl('https://cx.example.com/v1/unsubscribe', secret, 'a@b.es')).toMatch(
      /^https:\/\/cx\.example\.com\/v1\/unsubscribe\?t=[\w-]+$/,
    );
  });
});
