// Retention (GDPR art. 5(1)(e)): personal data is kept only as long as the policy says, then
// anonymised in place. Scores, segments, topics, statuses and times stay, so every learn figure
// is the same before and after. Loops still running are left alone until they end.
import { ClosedLoopError } from '../errors.ts';
import type { Store } from '../stores/store.ts';
import type { CustomerTx } from './customer-rows.ts';
import {
  eraseCase,
  eraseDelivery,
  eraseFeedback,
  eraseLoop,
  learnIdentifiers,
  type PersonIdentifiers,
} from './redact.ts';

/** How long each kind of personal data is kept: ISO-8601 durations such as `P18M`, `P2Y`, `P90D`. */
export interface RetentionPolicy {
  /** Comments and free-text answers, counted from when the answer was received. */
  comments?: string;
  /** The customer's email, name and id (and with them everything personal), from when received. */
  identity?: string;
  /** Everything personal about a resolved case, from when it was resolved. */
  closedCases?: string;
  /** Outbox rows (the messages sent, with their recipients), from when they were queued. */
  logs?: string;
}

export interface RetentionOptions {
  now?: number;
  /** Report what would be anonymised, change nothing. */
  dryRun?: boolean;
  /** Loops per transaction. Default 200. */
  batchSize?: number;
  /** Stop after this many batches (the next run resumes where this one stopped). */
  maxBatches?: number;
}

export interface RetentionReport {
  dryRun: boolean;
  /** Loops looked at in this run. */
  scanned: number;
  /** Loops whose comments, identity, closed case or outbox rows were (or would be) anonymised. */
  anonymised: { comments: number; identity: number; closedCases: number; logs: number };
  /** True when the run reached the last loop; false when it stopped at `maxBatches`. */
  complete: boolean;
}

/** The documents kind/id where an interrupted run's position is kept. */
const CURSOR = { kind: 'privacy.retention', id: 'cursor' };

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** `now` minus an ISO-8601 duration, in calendar terms (UTC). */
export function subtractDuration(now: number, duration: string, field = 'duration'): number {
  const m = DURATION.exec(duration);
  if (!m || duration === 'P' || duration.endsWith('T')) {
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `retention.${field}: "${duration}" is not an ISO-8601 duration; write e.g. "P18M" (18 months), "P2Y" or "P90D"`,
      { issues: [{ path: field, message: 'an ISO-8601 duration such as P18M' }] },
    );
  }
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as number[];
  const t = new Date(now);
  t.setUTCFullYear(t.getUTCFullYear() - y!, t.getUTCMonth() - mo!, t.getUTCDate() - w! * 7 - d!);
  return t.getTime() - ((h! * 60 + mi!) * 60 + s!) * 1000;
}

/** Checks a policy; an error names the field and the fix. */
export function parseRetentionPolicy(input: unknown): RetentionPolicy {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ClosedLoopError('INVALID_INPUT', 'retention: give an object such as { "comments": "P18M" }');
  }
  const out: RetentionPolicy = {};
  for (const [k, v] of Object.entries(input)) {
    if (!['comments', 'identity', 'closedCases', 'logs'].includes(k)) {
      throw new ClosedLoopError(
        'INVALID_INPUT',
        `retention.${k}: unknown kind; use comments, identity, closedCases or logs`,
        { issues: [{ path: k, message: 'unknown kind' }] },
      );
    }
    if (typeof v !== 'string') {
      throw new ClosedLoopError('INVALID_INPUT', `retention.${k}: write a duration such as "P18M"`, {
        issues: [{ path: k, message: 'a string' }],
      });
    }
    subtractDuration(0, v, k);
    out[k as keyof RetentionPolicy] = v;
  }
  return out;
}

const ENDED = 'learned';

/**
 * Anonymises what the policy says has expired, in batches of loops (one transaction each). Safe
 * to stop at any point: the position is kept in `store.documents`, and the next run resumes
 * there; anonymising again changes nothing. With `dryRun`, counts what would go.
 */
export async function runRetention(
  store: Store,
  policy: RetentionPolicy,
  options: RetentionOptions = {},
): Promise<RetentionReport> {
  const p = parseRetentionPolicy(policy);
  const now = options.now ?? Date.now();
  const batchSize = options.batchSize ?? 200;
  const dryRun = options.dryRun === true;
  const cut = (k: keyof RetentionPolicy) =>
    p[k] === undefined ? undefined : subtractDuration(now, p[k]!, k);
  const cutoffs = {
    comments: cut('comments'),
    identity: cut('identity'),
    closedCases: cut('closedCases'),
    logs: cut('logs'),
  };
  const at = new Date(now).toISOString();
  const report: RetentionReport = {
    dryRun,
    scanned: 0,
    anonymised: { comments: 0, identity: 0, closedCases: 0, logs: 0 },
    complete: false,
  };
  const saved = dryRun ? undefined : await store.documents.get<{ after: string }>(CURSOR.kind, CURSOR.id);
  let after = saved?.value.after;
  let changedAny = false;
  for (let batch = 0; options.maxBatches === undefined || batch < options.maxBatches; batch++) {
    const { last, size, changed } = await store.withCustomerRows((tx) =>
      retainBatch(tx, after, batchSize, cutoffs, at, dryRun, report),
    );
    report.scanned += size;
    changedAny ||= changed;
    if (size < batchSize || last === undefined) {
      report.complete = true;
      if (!dryRun && saved) await store.documents.delete(CURSOR.kind, CURSOR.id);
      break;
    }
    after = last;
    if (!dryRun) await store.documents.put(CURSOR.kind, CURSOR.id, { after });
  }
  // Leave no anonymised text in free pages or dead row versions.
  if (changedAny && !dryRun) await store.withCustomerRows(async () => undefined, { scrub: true });
  return report;
}

async function retainBatch(
  tx: CustomerTx,
  after: string | undefined,
  limit: number,
  cutoffs: Record<keyof RetentionPolicy, number | undefined>,
  at: string,
  dryRun: boolean,
  report: RetentionReport,
): Promise<{ last: string | undefined; size: number; changed: boolean }> {
  const loops = await tx.loopPage(after, limit);
  let changed = false;
  for (const rec of loops) {
    if (rec.snapshot.state !== ENDED) continue;
    const fb = rec.snapshot.context.feedback;
    const [stored] = await tx.feedbackByIds([fb.id]);
    const feedback = stored ?? fb;
    const received = Date.parse(feedback.receivedAt);
    const [c] = await tx.casesOfLoops([rec.loopId]);
    const resolved = c?.resolvedAt ? Date.parse(c.resolvedAt) : undefined;
    const ids: PersonIdentifiers = {
      emails: new Set(),
      customerIds: new Set(),
      names: new Set(),
      texts: new Set(),
    };
    learnIdentifiers(feedback, ids);
    const before = (t: number | undefined, cutoff: number | undefined) =>
      t !== undefined && cutoff !== undefined && t < cutoff;
    const whole =
      feedback.erasedAt === undefined &&
      (before(received, cutoffs.identity)
        ? 'identity'
        : before(resolved, cutoffs.closedCases)
          ? 'closedCases'
          : undefined);
    if (whole) {
      report.anonymised[whole]++;
      changed = true;
      if (!dryRun) {
        await tx.writeFeedback(eraseFeedback(feedback, ids, at));
        const erased = eraseLoop(rec, ids, at);
        await tx.writeLoop(erased);
        if (c) await tx.writeCase(erased.snapshot.context.case ?? eraseCase(c, ids, at));
        for (const d of await tx.deliveriesOf([rec.loopId])) await tx.writeDelivery(eraseDelivery(d, ids));
      }
    } else if (ids.texts.size > 0 && before(received, cutoffs.comments)) {
      report.anonymised.comments++;
      changed = true;
      if (!dryRun) await dropComments(tx, rec, feedback, c, ids, at);
    }
    if (cutoffs.logs !== undefined) {
      const old = (await tx.deliveriesOf([rec.loopId])).filter(
        (d) =>
          d.status !== 'pending' && Date.parse(d.effect.createdAt) < cutoffs.logs! && !isScrubbed(d.effect),
      );
      if (old.length > 0) {
        report.anonymised.logs++;
        changed = true;
        if (!dryRun) for (const d of old) await tx.writeDelivery({ ...d, effect: scrubEffect(d.effect) });
      }
    }
  }
  return { last: loops.at(-1)?.loopId, size: loops.length, changed };
}

/** Only the comment and free-text answers go (identity stays, until its own time comes). */
async function dropComments(
  tx: CustomerTx,
  rec: Parameters<typeof eraseLoop>[0],
  feedback: Parameters<typeof eraseFeedback>[0],
  c: Parameters<typeof eraseCase>[0] | undefined,
  ids: PersonIdentifiers,
  at: string,
) {
  const textsOnly: PersonIdentifiers = {
    emails: new Set(),
    customerIds: new Set(),
    names: new Set(),
    texts: ids.texts,
  };
  const strip = <F extends typeof feedback>(f: F): F => {
    const { comment: _c, answers, ...rest } = f;
    const kept = answers?.filter((a) => typeof a.answer !== 'string');
    return { ...rest, ...(kept?.length ? { answers: kept } : {}) } as F;
  };
  await tx.writeFeedback(strip(feedback));
  const ctx = rec.snapshot.context;
  const caseOut = c && {
    ...c,
    feedbackComment: '',
    comments: c.comments,
    version: c.version + 1,
    updatedAt: at,
  };
  const snapshot = {
    ...rec.snapshot,
    context: {
      ...ctx,
      feedback: strip(ctx.feedback),
      version: ctx.version + 1,
      ...(ctx.case
        ? { case: { ...ctx.case, feedbackComment: '', version: ctx.case.version + 1, updatedAt: at } }
        : {}),
    },
  } as typeof rec.snapshot;
  // Alerts quote the comment: redact it wherever it appears.
  const redacted = JSON.parse(JSON.stringify(snapshot), (_k, v) =>
    typeof v === 'string' && textsOnly.texts.has(v) ? '' : v,
  ) as typeof snapshot;
  await tx.writeLoop({ loopId: rec.loopId, snapshot: redacted, version: ctx.version + 1, updatedAt: at });
  if (caseOut) await tx.writeCase(redacted.context.case ?? caseOut);
}

type AnyEffect = Parameters<typeof eraseDelivery>[0]['effect'];
const isScrubbed = (e: AnyEffect) => (e as { retained?: boolean }).retained === true;

/** An outbox row past its time keeps what happened, not to whom or what it said. */
function scrubEffect(e: AnyEffect): AnyEffect {
  return {
    type: e.type,
    key: e.key,
    loopId: e.loopId,
    ...(e.caseId ? { caseId: e.caseId } : {}),
    createdAt: e.createdAt,
    retained: true,
  } as unknown as AnyEffect;
}
