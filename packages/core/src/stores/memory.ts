import type { Case, CaseStatus } from '../domain/case.ts';
import type { Feedback } from '../domain/feedback.ts';
import { ClosedLoopError } from '../errors.ts';
import { type CustomerTx, eraseCustomerRows, findCustomer } from '../privacy/customer-rows.ts';
import { memoryDocuments } from './documents.ts';
import { claimFrom, LeaseBook, timerKey, timerPrefix } from './leases.ts';
import { compareCases, emptyCounts, matchesQuery } from './query.ts';
import type {
  CasePage,
  CaseQuery,
  Delivery,
  DeliveryUpdate,
  LoopRecord,
  StepWrite,
  Store,
  TimerRow,
} from './store.ts';

// Records are written once and never changed in place (each step builds new objects), so the
// store keeps references; what it hands out is copied, so a caller's edits cannot reach it.
const copy = <T>(v: T): T => structuredClone(v);

/**
 * A store in memory: for tests and for trying closedloop out. Everything is lost when the
 * process ends.
 *
 * @example
 * const loop = createClosedLoop({ store: memoryStore(), segments, directory });
 */
export function memoryStore(): Store {
  const loops = new Map<string, LoopRecord>();
  const feedback = new Map<string, Feedback>();
  const cases = new Map<string, Case>();
  const timers = new Map<string, TimerRow[]>();
  const deliveries = new Map<string, Delivery>();
  const leases = new LeaseBook();
  let closed = false;
  let erasing: Promise<void> | undefined;
  const open = () => {
    if (closed) throw new ClosedLoopError('CLOSED', 'The memory store is closed');
  };

  const lower = (s: string | undefined) => s?.toLowerCase();
  const tx: CustomerTx = {
    async feedbackOf(emails, customerIds) {
      return [...feedback.values()].filter(
        (f) =>
          emails.includes(lower(f.customer.email) ?? '\u0000') ||
          (f.customer.id !== undefined && customerIds.includes(f.customer.id)),
      );
    },
    async casesOf(emails) {
      return [...cases.values()].filter((c) => emails.includes(lower(c.customerEmail) ?? '\u0000'));
    },
    async loopsOf(feedbackIds, loopIds) {
      return [...loops.values()].filter(
        (l) => loopIds.includes(l.loopId) || feedbackIds.includes(l.snapshot.context.feedback.id),
      );
    },
    async casesOfLoops(loopIds) {
      return [...cases.values()].filter((c) => loopIds.includes(c.loopId));
    },
    async deliveriesOf(loopIds) {
      return [...deliveries.values()].filter((d) => loopIds.includes(d.effect.loopId));
    },
    async loopPage(after, limit) {
      return [...loops.values()]
        .filter((l) => after === undefined || l.loopId > after)
        .sort((a, b) => (a.loopId < b.loopId ? -1 : 1))
        .slice(0, limit);
    },
    async feedbackByIds(ids) {
      return ids.flatMap((id) => {
        const f = feedback.get(id);
        return f ? [f] : [];
      });
    },
    async writeFeedback(f) {
      feedback.set(f.id, f);
    },
    async writeCase(c) {
      cases.set(c.id, c);
    },
    async writeLoop(rec) {
      loops.set(rec.loopId, rec);
      timers.set(rec.loopId, []);
    },
    async writeDelivery(d) {
      deliveries.set(d.id, d);
    },
  };

  return {
    kind: 'memory',
    documents: memoryDocuments(open),
    async init() {},
    async commit(step: StepWrite) {
      open();
      while (erasing) await erasing;
      const current = loops.get(step.loop.loopId);
      if ((current?.version ?? undefined) !== step.expectedVersion) {
        throw new ClosedLoopError(
          'CONFLICT',
          `Loop ${step.loop.loopId} changed meanwhile (stored version ${current?.version ?? 'none'}, expected ${step.expectedVersion ?? 'none'}); retry`,
        );
      }
      loops.set(step.loop.loopId, step.loop);
      if (step.feedback) feedback.set(step.feedback.id, step.feedback);
      if (step.case) cases.set(step.case.id, step.case);
      timers.set(step.loop.loopId, step.timers);
      // A claim on a timer this step moved or dropped is released. With no claim held (always so
      // while capturing) the keys are not built: a step stays a handful of Map.set calls.
      if (leases.size > 0) leases.keepOnly(timerPrefix(step.loop.loopId), new Set(step.timers.map(timerKey)));
      for (const d of step.deliveries) if (!deliveries.has(d.id)) deliveries.set(d.id, d);
    },
    async getLoop(loopId) {
      open();
      // Not copied: the runtime reads loops on every step and never mutates them.
      return loops.get(loopId);
    },
    async listLoops(scan) {
      open();
      const from = scan.from === undefined ? -Infinity : Date.parse(scan.from);
      const to = scan.to === undefined ? Infinity : Date.parse(scan.to);
      return [...loops.values()]
        .filter((l) => {
          if (scan.after !== undefined && l.loopId <= scan.after) return false;
          const f = feedback.get(l.snapshot.context.feedback?.id);
          const at = f ? Date.parse(f.receivedAt) : Number.NaN;
          return at >= from && at < to;
        })
        .sort((a, b) => (a.loopId < b.loopId ? -1 : 1))
        .slice(0, scan.limit)
        .map((l) => copy(l));
    },
    async getFeedback(id) {
      open();
      const f = feedback.get(id);
      return f && copy(f);
    },
    async getCase(caseId) {
      open();
      const c = cases.get(caseId);
      return c && copy(c);
    },
    async listCases(query: CaseQuery = {}): Promise<CasePage> {
      open();
      const all = [...cases.values()].filter((c) => matchesQuery(c, query)).sort(compareCases(query));
      const offset = query.offset ?? 0;
      const page = query.limit === undefined ? all.slice(offset) : all.slice(offset, offset + query.limit);
      return { cases: page.map(copy), total: all.length };
    },
    async countCasesByStatus(query = {}) {
      open();
      const counts: Record<CaseStatus, number> = emptyCounts();
      for (const c of cases.values()) if (matchesQuery(c, query)) counts[c.status]++;
      return counts;
    },
    async dueTimers(now, limit) {
      open();
      return [...timers.values()]
        .flat()
        .filter((t) => t.dueAt <= now)
        .sort((a, b) => a.dueAt - b.dueAt || a.loopId.localeCompare(b.loopId))
        .slice(0, limit)
        .map(copy);
    },
    async claimTimers(now, limit, lease) {
      const due = await this.dueTimers(now, Number.MAX_SAFE_INTEGER);
      return claimFrom(due, limit, timerKey, leases, lease);
    },
    async nextTimerDueAt() {
      open();
      let min: number | undefined;
      for (const t of [...timers.values()].flat()) if (min === undefined || t.dueAt < min) min = t.dueAt;
      return min;
    },
    async dueDeliveries(now, limit) {
      open();
      return [...deliveries.values()]
        .filter((d) => d.status === 'pending' && d.nextAttemptAt <= now)
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt)
        .slice(0, limit)
        .map(copy);
    },
    async claimDeliveries(now, limit, lease) {
      const due = await this.dueDeliveries(now, Number.MAX_SAFE_INTEGER);
      return claimFrom(due, limit, (d) => d.id, leases, lease);
    },
    async nextDeliveryAt() {
      open();
      let min: number | undefined;
      for (const d of deliveries.values()) {
        if (d.status === 'pending' && (min === undefined || d.nextAttemptAt < min)) min = d.nextAttemptAt;
      }
      return min;
    },
    async updateDelivery(u: DeliveryUpdate) {
      open();
      const d = deliveries.get(u.id);
      if (!d) throw new ClosedLoopError('STORE', `Unknown delivery ${u.id}`);
      deliveries.set(u.id, { ...d, ...u });
      leases.release(u.id);
    },
    async listDeliveries(filter = {}) {
      open();
      return [...deliveries.values()]
        .filter(
          (d) =>
            (filter.loopId === undefined || d.effect.loopId === filter.loopId) &&
            (filter.status === undefined || d.status === filter.status),
        )
        .map(copy);
    },
    async releaseClaims(owner) {
      open();
      leases.releaseOwner(owner);
    },
    async findCustomer(ref) {
      open();
      return copy((await findCustomer(tx, ref)).records);
    },
    async eraseCustomer(ref, options) {
      open();
      return exclusive(() => eraseCustomerRows(tx, ref, options.now));
    },
    async withCustomerRows(fn) {
      open();
      return exclusive(() => fn(tx));
    },
    async close() {
      closed = true;
    },
  };

  // Commits wait while a privacy job reads and writes, so none lands half-way through it.
  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (erasing) await erasing;
    const run = fn();
    erasing = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await run;
    } finally {
      erasing = undefined;
    }
  }
}
