// Erasing one customer from stored records (GDPR art. 17): pure functions over feedback, cases,
// loop snapshots and outbox rows. Scores, segments, topics, statuses and times stay, so every
// count and score in the learn figures is the same before and after; the customer's email, name,
// id, comment and free-text answers go, and staff text keeps its words with theirs redacted.
import type { Case } from '../domain/case.ts';
import type { Effect } from '../domain/effect.ts';
import type { Feedback } from '../domain/feedback.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { Delivery, LoopRecord } from '../stores/store.ts';

/** Who to erase or export: by email (case-insensitive) or by the customer id from the survey tool. */
export type CustomerRef = { email: string } | { customerId: string };

/** What replaces a customer's words and identifiers. */
export const ERASED = '[erased]';
/** What replaces a customer's email where a valid address is required (a case's customerEmail). */
export const ERASED_EMAIL = 'erased@erased.invalid';

/** Everything that identifies one person, gathered from their stored feedback. */
export interface PersonIdentifiers {
  /** Lower case. */
  emails: Set<string>;
  customerIds: Set<string>;
  names: Set<string>;
  /** Their comments and free-text answers. */
  texts: Set<string>;
}

export function emptyIdentifiers(ref: CustomerRef): PersonIdentifiers {
  const ids: PersonIdentifiers = {
    emails: new Set(),
    customerIds: new Set(),
    names: new Set(),
    texts: new Set(),
  };
  if ('email' in ref) ids.emails.add(ref.email.trim().toLowerCase());
  else ids.customerIds.add(ref.customerId);
  return ids;
}

/** Does this feedback belong to the person? */
export function feedbackMatches(f: Feedback, ids: PersonIdentifiers): boolean {
  const c = f.customer;
  return (
    (c.email !== undefined && ids.emails.has(c.email.toLowerCase())) ||
    (c.id !== undefined && ids.customerIds.has(c.id))
  );
}

/** Adds what a matching feedback tells about the person; true when something was new. */
export function learnIdentifiers(f: Feedback, ids: PersonIdentifiers): boolean {
  const before = ids.emails.size + ids.customerIds.size + ids.names.size + ids.texts.size;
  const c = f.customer;
  if (c.email) ids.emails.add(c.email.toLowerCase());
  if (c.id) ids.customerIds.add(c.id);
  if (c.name?.trim()) {
    ids.names.add(c.name.trim());
    for (const part of c.name.trim().split(/\s+/)) if (part.length >= 3) ids.names.add(part);
  }
  if (f.comment?.trim()) ids.texts.add(f.comment);
  for (const a of f.answers ?? [])
    if (typeof a.answer === 'string' && a.answer.trim()) ids.texts.add(a.answer);
  return ids.emails.size + ids.customerIds.size + ids.names.size + ids.texts.size !== before;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The person's identifiers and words in a piece of text, replaced by `[erased]`. */
export function redactText(text: string, ids: PersonIdentifiers): string {
  if (ids.texts.has(text)) return ERASED;
  let out = text;
  for (const t of ids.texts) if (t.length >= 12) out = out.split(t).join(ERASED);
  for (const e of ids.emails) out = out.replace(new RegExp(escapeRegExp(e), 'gi'), ERASED);
  for (const id of ids.customerIds) if (id.length >= 3) out = out.split(id).join(ERASED);
  // Longest names first, so "Ana García" goes whole before "Ana".
  for (const n of [...ids.names].sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(n)}(?![\\p{L}\\p{N}])`, 'giu'), ERASED);
  }
  return out;
}

/** Any JSON value with the person's identifiers and words redacted in every string. */
export function redactDeep<T>(value: T, ids: PersonIdentifiers): T {
  if (typeof value === 'string') return redactText(value, ids) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, ids)) as T;
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  // A recipient or customer object of theirs: the address goes, the name with it.
  const theirs =
    (typeof obj.email === 'string' && ids.emails.has(obj.email.toLowerCase())) ||
    (typeof obj.customerEmail === 'string' && ids.emails.has(obj.customerEmail.toLowerCase())) ||
    (typeof obj.customerId === 'string' && ids.customerIds.has(obj.customerId));
  for (const [k, v] of Object.entries(obj)) {
    if (theirs && (k === 'name' || k === 'customerName' || k === 'customerId')) continue;
    if (theirs && (k === 'email' || k === 'customerEmail') && typeof v === 'string') {
      out[k] = ids.emails.has(v.toLowerCase()) ? ERASED_EMAIL : redactText(v, ids);
      continue;
    }
    out[k] = redactDeep(v, ids);
  }
  return out as T;
}

/** The feedback without the person: scores, segment, topics and times stay. */
export function eraseFeedback(f: Feedback, ids: PersonIdentifiers, at: string): Feedback {
  const { comment: _comment, answers, customer, ...rest } = f;
  const kept: Feedback['customer'] = { anonymous: customer.anonymous };
  if (customer.segment !== undefined) kept.segment = customer.segment;
  const out: Feedback = { ...redactDeep(rest, ids), customer: kept, erasedAt: f.erasedAt ?? at };
  const numeric = (answers ?? []).filter((a) => typeof a.answer !== 'string');
  if (answers) out.answers = numeric.map((a) => ({ ...a, question: redactText(a.question, ids) }));
  return out;
}

/** The case without the person: staff comments and the log keep their text, redacted. */
export function eraseCase(c: Case, ids: PersonIdentifiers, at: string, audit = true): Case {
  const { customerName: _name, customerId: _id, ...rest } = c;
  const out: Case = {
    ...redactDeep(rest, ids),
    // A customer known by id only had no address to replace.
    ...(c.customerEmail !== undefined ? { customerEmail: ERASED_EMAIL } : {}),
    feedbackComment: '',
    version: c.version + 1,
    updatedAt: at,
  };
  if (audit) {
    out.audit = [
      ...out.audit,
      { at, actor: 'system', action: 'erased', note: "the customer's personal data was erased" },
    ];
  }
  return out;
}

const ENDED = new Set(['learned']);

/**
 * The loop without the person. A running loop is closed (`learned`, outcome `erased`) with no
 * timers left, so nothing more reaches the customer; its version moves on, so a step computed
 * from the old snapshot cannot be committed over it.
 */
export function eraseLoop(rec: LoopRecord, ids: PersonIdentifiers, at: string): LoopRecord {
  const ctx = rec.snapshot.context;
  const running = !ENDED.has(String(rec.snapshot.state));
  const context = {
    ...redactDeep(ctx, ids),
    feedback: eraseFeedback(ctx.feedback, ids, at),
    version: ctx.version + 1,
    pending: [],
    timers: {},
  };
  if (ctx.case) context.case = eraseCase(ctx.case, ids, at);
  if (running) context.outcome = { reason: 'erased' as const };
  const snapshot = { state: running ? 'learned' : rec.snapshot.state, context } as LoopSnapshot;
  return { loopId: rec.loopId, snapshot, version: context.version, updatedAt: at };
}

/** True when the loop was still running before erasure. */
export const wasRunning = (rec: LoopRecord) => !ENDED.has(String(rec.snapshot.state));

/** An outbox row without the person; one not sent yet is never sent. */
export function eraseDelivery(d: Delivery, ids: PersonIdentifiers): Delivery {
  const effect = redactDeep(d.effect, ids) as Effect;
  if ('case' in effect && effect.case) {
    const { customerName: _n, customerId: _id, ...summary } = effect.case;
    (effect as { case: unknown }).case = {
      ...summary,
      ...(summary.customerEmail !== undefined ? { customerEmail: ERASED_EMAIL } : {}),
      feedbackComment: '',
    };
  }
  const out: Delivery = { ...d, effect };
  if (d.lastError !== undefined) out.lastError = redactText(d.lastError, ids);
  if (d.status === 'pending') {
    out.status = 'dead';
    out.lastError = "not sent: the customer's personal data was erased";
  }
  return out;
}
