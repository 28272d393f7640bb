// Crypto-shredding for Temporal histories: payloads that carry a customer's data are encrypted
// with a data key of that customer, kept wrapped by the master key in a key table the clients and
// workers share (a store's documents, normally the PostgreSQL mirror's). Erasing the customer
// destroys the key: their histories can no longer be decoded by anyone, while the rest of the
// history (other customers, payloads without customer data) reads as before.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  type CustomerRef,
  type DocumentStore,
  type ErasureResult,
  eraseCustomer,
  idsFor,
  parseCustomerRef,
  type Store,
} from '@closedloop/core';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { workflowIdOf } from './client.ts';
import { aesGcmCodec, type EncryptionKeys } from './codec.ts';

const { temporal } = proto;
const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Documents kinds of the key table. */
export const DATA_KEYS = 'privacy.dataKey';
const KEY_REFS = 'privacy.dataKeyRef';

interface DataKeyDoc {
  /** The data key wrapped (AES-256-GCM) by the master key `master`; absent once destroyed. */
  wrapped?: string;
  master?: string;
  destroyedAt?: string;
}

/** The customer a data key belongs to, as a one-way digest of their lower-cased email. */
export function subjectOf(email: string): string {
  return `sha256:${createHash('sha256').update(`closedloop.subject\u0000${email.trim().toLowerCase()}`).digest('hex')}`;
}

const seal = (key: Buffer, plain: Uint8Array) => {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
};
const open = (key: Buffer, data: Buffer) => {
  const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  d.setAuthTag(data.subarray(12, 28));
  return Buffer.concat([d.update(data.subarray(28)), d.final()]);
};

/** The customer a JSON value is about: a feedback's customer, a case's, or a loop already keyed. */
function customerOf(value: unknown): { email?: string; loopId?: string; feedbackLoop?: string } {
  const out: { email?: string; loopId?: string; feedbackLoop?: string } = {};
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number) => {
    if (depth > 8 || v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    const o = v as Record<string, unknown>;
    const customer = o.customer as { email?: unknown } | undefined;
    const source = o.source as { tool?: unknown; responseId?: unknown } | undefined;
    if (!out.email && customer && typeof customer.email === 'string') {
      out.email = customer.email;
      if (source && typeof source.tool === 'string' && typeof source.responseId === 'string') {
        out.feedbackLoop = idsFor({ tool: source.tool, responseId: source.responseId }).loopId;
      }
    }
    if (!out.email && typeof o.customerEmail === 'string') out.email = o.customerEmail;
    if (!out.loopId && typeof o.loopId === 'string') out.loopId = o.loopId;
    for (const child of Object.values(o)) walk(child, depth + 1);
  };
  walk(value, 0);
  return out;
}

export interface CustomerKeyCodecOptions {
  /** The master keys: they wrap the data keys and encrypt payloads without customer data. */
  master: EncryptionKeys;
  /** The key table (e.g. the mirror store's `documents`), the same for every client and worker. */
  keys: DocumentStore;
}

/**
 * A payload codec with a data key per customer. Use it in place of `aesGcmCodec` (with
 * `privateDataConverter`) on every client and worker; erase with {@link destroyCustomerKey}.
 */
export function customerKeyCodec(options: CustomerKeyCodecOptions): PayloadCodec {
  const masterCodec = aesGcmCodec(options.master);
  const masters = new Map(
    Object.entries(options.master.keys).map(([id, k]) => [
      id,
      typeof k === 'string' ? Buffer.from(k, 'base64') : Buffer.from(k),
    ]),
  );
  const docs = options.keys;

  async function subjectFor(value: unknown): Promise<string | undefined> {
    const c = customerOf(value);
    if (c.email) {
      const subject = subjectOf(c.email);
      // Later payloads of the same loop name only the loop: remember whose it is.
      const loopId = c.feedbackLoop ?? c.loopId;
      if (loopId && !(await docs.get(KEY_REFS, loopId))) await docs.put(KEY_REFS, loopId, { subject });
      return subject;
    }
    if (c.loopId) return (await docs.get<{ subject: string }>(KEY_REFS, c.loopId))?.value.subject;
    return undefined;
  }

  async function dataKey(subject: string, create: boolean): Promise<Buffer | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const doc = await docs.get<DataKeyDoc>(DATA_KEYS, subject);
      if (doc?.value.wrapped && doc.value.master) {
        const master = masters.get(doc.value.master);
        if (!master) throw new Error(`No master key "${doc.value.master}" to unwrap a customer data key`);
        return open(master, Buffer.from(doc.value.wrapped, 'base64'));
      }
      // Destroyed (the customer was erased): nothing to decrypt with; new data gets a key that is
      // never stored, so it is unreadable at once.
      if (doc?.value.destroyedAt) return create ? randomBytes(32) : undefined;
      if (!create) return undefined;
      const key = randomBytes(32);
      const master = masters.get(options.master.current)!;
      try {
        await docs.put<DataKeyDoc>(
          DATA_KEYS,
          subject,
          { wrapped: seal(master, key).toString('base64'), master: options.master.current },
          { expectedVersion: 0 },
        );
        return key;
      } catch {
        // Another process created it meanwhile: read theirs.
      }
    }
    throw new Error('Could not create a customer data key');
  }

  return {
    async encode(payloads: Payload[]): Promise<Payload[]> {
      const out: Payload[] = [];
      for (const p of payloads) {
        let value: unknown;
        try {
          value = JSON.parse(dec.decode(p.data ?? new Uint8Array()));
        } catch {
          value = undefined;
        }
        const subject = value === undefined ? undefined : await subjectFor(value);
        if (!subject) {
          out.push(...(await masterCodec.encode([p])));
          continue;
        }
        const key = (await dataKey(subject, true))!;
        out.push({
          metadata: { [METADATA_ENCODING_KEY]: enc.encode(ENCODING), [KEY_ID]: enc.encode(`dk:${subject}`) },
          data: seal(key, temporal.api.common.v1.Payload.encode(p).finish()),
        });
      }
      return out;
    },
    async decode(payloads: Payload[]): Promise<Payload[]> {
      const out: Payload[] = [];
      for (const p of payloads) {
        const id = p.metadata?.[KEY_ID] ? dec.decode(p.metadata[KEY_ID]) : '';
        if (!id.startsWith('dk:')) {
          out.push(...(await masterCodec.decode([p])));
          continue;
        }
        const key = await dataKey(id.slice(3), false);
        if (!key) throw new Error('This payload belongs to an erased customer: its key was destroyed');
        out.push(temporal.api.common.v1.Payload.decode(open(key, Buffer.from(p.data ?? new Uint8Array()))));
      }
      return out;
    },
  };
}

/** Destroys a customer's data key (erasure): their payloads in every history become unreadable. */
export async function destroyCustomerKey(
  keys: DocumentStore,
  email: string,
  now = Date.now(),
): Promise<void> {
  const value: DataKeyDoc = { destroyedAt: new Date(now).toISOString() };
  await keys.put(DATA_KEYS, subjectOf(email), value);
}

export interface TemporalErasureOptions {
  client: Client;
  /** The mirror store: finds the person's loops, and is erased like any store. */
  mirror: Store;
  /** The key table the codec uses (default: the mirror's documents). */
  keys?: DocumentStore;
  actor: string;
  now?: number;
}

/**
 * Erases one customer on the Temporal runtime: their running loops are terminated (no further
 * customer contact), their data keys destroyed (every history of theirs becomes unreadable), and
 * the mirror erased with a receipt, as on the embedded runtime.
 */
export async function eraseCustomerOnTemporal(
  person: CustomerRef,
  options: TemporalErasureOptions,
): Promise<ErasureResult & { terminated: number }> {
  const ref = parseCustomerRef(person);
  const keys = options.keys ?? options.mirror.documents;
  const found = await options.mirror.findCustomer(ref);
  const emails = new Set<string>();
  if ('email' in ref) emails.add(ref.email.toLowerCase());
  for (const f of found.feedback) if (f.customer.email) emails.add(f.customer.email.toLowerCase());
  let terminated = 0;
  for (const loop of found.loops) {
    if (loop.snapshot.state === 'learned') continue;
    try {
      await options.client.workflow
        .getHandle(workflowIdOf({ loopId: loop.loopId }))
        .terminate("the customer's personal data was erased");
      terminated++;
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  }
  for (const email of emails) await destroyCustomerKey(keys, email, options.now);
  const result = await eraseCustomer(options.mirror, ref, {
    actor: options.actor,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  return { ...result, terminated };
}
