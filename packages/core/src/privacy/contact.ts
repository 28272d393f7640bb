// Consent and do-not-contact: whether a message may go to a customer. Checked when a message is
// about to be delivered (not when it is queued), so an unsubscribe honoured at any time wins.
// Staff notifications and alerts are never screened.
import { createHash } from 'node:crypto';
import type { Effect } from '../domain/effect.ts';
import type { Feedback } from '../domain/feedback.ts';
import type { DocumentStore } from '../stores/store.ts';

/** The documents kind of the do-not-contact list. */
export const DO_NOT_CONTACT = 'privacy.doNotContact';

export interface ContactPolicy {
  /** Contact a customer only when their answer carries `consent: true`. Default false. */
  requireConsent?: boolean;
}

export interface DoNotContactEntry {
  at: string;
  /** Where the request came from. */
  source: 'unsubscribe' | 'api' | 'cli';
  /** Who recorded it (a person or service id; `customer` for the unsubscribe link). */
  actor: string;
}

/**
 * The list keeps a one-way digest of the address, not the address: it must outlive an erasure
 * (so the person is never contacted again) without holding their email in clear.
 */
export function doNotContactId(email: string): string {
  return `sha256:${createHash('sha256').update(`closedloop.dnc\u0000${email.trim().toLowerCase()}`).digest('hex')}`;
}

export type CustomerEffect = Extract<Effect, { type: 'informCustomer' | 'sendResurvey' }>;

/** Effects that reach the customer: a message after the fix, a thank-you, a re-survey. */
export function isCustomerEffect(effect: Effect): effect is CustomerEffect {
  return effect.type === 'informCustomer' || effect.type === 'sendResurvey';
}

export async function addDoNotContact(
  docs: DocumentStore,
  email: string,
  entry: Omit<DoNotContactEntry, 'at'> & { now?: number },
): Promise<void> {
  const now = entry.now ?? Date.now();
  const value: DoNotContactEntry = {
    at: new Date(now).toISOString(),
    source: entry.source,
    actor: entry.actor,
  };
  await docs.put(DO_NOT_CONTACT, doNotContactId(email), value, { now });
}

/** Removes an address from the list (the customer asked to hear from you again); true when listed. */
export async function removeDoNotContact(docs: DocumentStore, email: string): Promise<boolean> {
  return docs.delete(DO_NOT_CONTACT, doNotContactId(email));
}

export async function isDoNotContact(docs: DocumentStore, email: string): Promise<boolean> {
  return (await docs.get(DO_NOT_CONTACT, doNotContactId(email))) !== undefined;
}

/**
 * Why this message must not go to the customer, or undefined when it may. Do-not-contact always
 * wins; then an explicit refusal of consent; then, when the program requires consent, its absence.
 */
export async function contactRefusal(
  docs: DocumentStore | undefined,
  effect: CustomerEffect,
  feedback: Pick<Feedback, 'consent'> | undefined,
  policy: ContactPolicy = {},
): Promise<string | undefined> {
  if (docs && (await isDoNotContact(docs, effect.to.email)))
    return 'the customer is on the do-not-contact list';
  if (feedback?.consent === false) return 'the customer did not consent to be contacted';
  if (policy.requireConsent && feedback?.consent !== true) {
    return 'the program requires consent (contact.requireConsent) and the answer carries none';
  }
  return undefined;
}
