// Erasure (GDPR art. 17) and access (art. 15) for one customer, over any store: what
// `loop.privacy`, `closedloop privacy` and the privacy API routes call.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseOrThrow } from '../domain/parse.ts';
import { ClosedLoopError } from '../errors.ts';
import type { Store } from '../stores/store.ts';
import { isDoNotContact } from './contact.ts';
import type { CustomerRecords, ErasureCounts } from './customer-rows.ts';
import type { CustomerRef } from './redact.ts';

/** The documents kind holding erasure receipts. */
export const ERASURE_RECEIPTS = 'privacy.erasure';

/** What was erased, when and by whom: counts only, nothing that identifies the person. */
export interface ErasureReceipt {
  id: string;
  at: string;
  actor: string;
  /** How the person was named in the request (the value itself is not kept). */
  by: 'email' | 'customerId';
  store: string;
  counts: ErasureCounts;
}

export interface ErasureResult {
  /** False when nothing was held about the person (erasing twice): nothing changed, no receipt. */
  erased: boolean;
  counts: ErasureCounts;
  receipt?: ErasureReceipt;
}

/** Everything held about one person, as `privacy.export` returns it. */
export interface CustomerExport {
  exportedAt: string;
  store: string;
  records: CustomerRecords;
  /** Their addresses on the do-not-contact list. */
  doNotContact: string[];
  /** Extra sections (do-not-contact entries, Temporal histories…), keyed by name. */
  [section: string]: unknown;
}

export const CustomerRefSchema = z.union([
  z.object({ email: z.email().max(320) }).strict(),
  z.object({ customerId: z.string().min(1).max(200) }).strict(),
]);

/** Checks `{ email }` or `{ customerId }`, with an error naming the field and the fix. */
export function parseCustomerRef(input: unknown): CustomerRef {
  if (input && typeof input === 'object' && 'email' in input && 'customerId' in input) {
    throw new ClosedLoopError('INVALID_INPUT', 'Name the person by email or by customerId, not both', {
      issues: [{ path: 'customerId', message: 'give either email or customerId' }],
    });
  }
  return parseOrThrow(CustomerRefSchema, input, 'INVALID_INPUT', 'person ({ email } or { customerId })');
}

const ActorSchema = z.object({ actor: z.string().min(1).max(200) });

/**
 * Erases one customer from the store and records a receipt (documents kind `privacy.erasure`).
 * Running loops are closed without contacting the customer. Erasing again finds nothing, changes
 * nothing and records nothing.
 */
export async function eraseCustomer(
  store: Store,
  person: CustomerRef,
  options: { actor: string; now?: number },
): Promise<ErasureResult> {
  const ref = parseCustomerRef(person);
  const { actor } = parseOrThrow(ActorSchema, { actor: options.actor }, 'INVALID_INPUT', 'options');
  const now = options.now ?? Date.now();
  const counts = await store.eraseCustomer(ref, { now });
  const erased = counts.feedback + counts.cases + counts.loops + counts.deliveries > 0;
  if (!erased) return { erased, counts };
  const at = new Date(now).toISOString();
  const receipt: ErasureReceipt = {
    id: `er_${at.replace(/[-:.]/g, '')}_${randomBytes(4).toString('hex')}`,
    at,
    actor,
    by: 'email' in ref ? 'email' : 'customerId',
    store: store.kind,
    counts,
  };
  await store.documents.put(ERASURE_RECEIPTS, receipt.id, receipt, { expectedVersion: 0, now });
  return { erased, counts, receipt };
}

/** Everything the store holds about one customer, as JSON-ready records. */
export async function exportCustomer(
  store: Store,
  person: CustomerRef,
  options: { now?: number } = {},
): Promise<CustomerExport> {
  const ref = parseCustomerRef(person);
  const records = await store.findCustomer(ref);
  const emails = new Set<string>();
  if ('email' in ref) emails.add(ref.email.toLowerCase());
  for (const f of records.feedback) if (f.customer.email) emails.add(f.customer.email.toLowerCase());
  const listed: string[] = [];
  for (const e of emails) if (await isDoNotContact(store.documents, e)) listed.push(e);
  return {
    exportedAt: new Date(options.now ?? Date.now()).toISOString(),
    store: store.kind,
    records,
    doNotContact: listed,
  };
}

/** The erasure receipts, oldest first. */
export async function listErasureReceipts(store: Store): Promise<ErasureReceipt[]> {
  return (await store.documents.list<ErasureReceipt>(ERASURE_RECEIPTS)).map((d) => d.value);
}
