// Finding and erasing one customer's rows, the same on every store: a store supplies the reads and
// writes of one transaction (`CustomerTx`), this module decides what to read and what to write.
import type { Case } from '../domain/case.ts';
import type { Feedback } from '../domain/feedback.ts';
import type { Delivery, LoopRecord } from '../stores/store.ts';
import {
  type CustomerRef,
  emptyIdentifiers,
  eraseCase,
  eraseDelivery,
  eraseFeedback,
  eraseLoop,
  feedbackMatches,
  learnIdentifiers,
  type PersonIdentifiers,
  wasRunning,
} from './redact.ts';

/** Everything a store holds about one customer. */
export interface CustomerRecords {
  feedback: Feedback[];
  cases: Case[];
  loops: LoopRecord[];
  deliveries: Delivery[];
}

/** How many records an erasure changed (no personal data: only counts). */
export interface ErasureCounts {
  feedback: number;
  cases: number;
  loops: number;
  /** Loops that were still running and were closed without contacting the customer. */
  closedLoops: number;
  deliveries: number;
  /** Outbox rows not sent yet, which now never will be. */
  cancelledDeliveries: number;
}

/** The reads and writes of one store transaction. */
export interface CustomerTx {
  /** Feedback whose customer email (lower-cased) or customer id is in the lists. */
  feedbackOf(emails: string[], customerIds: string[]): Promise<Feedback[]>;
  /** Cases whose customer email (lower-cased) is in the list. */
  casesOf(emails: string[]): Promise<Case[]>;
  /** Loops whose snapshot holds one of these feedback ids, or whose id is in `loopIds`. */
  loopsOf(feedbackIds: string[], loopIds: string[]): Promise<LoopRecord[]>;
  casesOfLoops(loopIds: string[]): Promise<Case[]>;
  deliveriesOf(loopIds: string[]): Promise<Delivery[]>;
  /** Loops by id ascending, after `after` (exclusive): for jobs that walk every loop in batches. */
  loopPage(after: string | undefined, limit: number): Promise<LoopRecord[]>;
  feedbackByIds(ids: string[]): Promise<Feedback[]>;
  writeFeedback(f: Feedback): Promise<void>;
  writeCase(c: Case): Promise<void>;
  /** Replaces the loop row and drops its timers. */
  writeLoop(rec: LoopRecord): Promise<void>;
  writeDelivery(d: Delivery): Promise<void>;
}

const uniqueBy = <T>(items: T[], key: (t: T) => string): T[] => [
  ...new Map(items.map((i) => [key(i), i])).values(),
];

/** Finds one customer's records: by email or id, then by every email and id their feedback names. */
export async function findCustomer(
  tx: CustomerTx,
  ref: CustomerRef,
): Promise<{ ids: PersonIdentifiers; records: CustomerRecords }> {
  const ids = emptyIdentifiers(ref);
  let feedback: Feedback[] = [];
  // Each round may find another email or id of the same person; a person has few.
  for (let round = 0; round < 5; round++) {
    feedback = (await tx.feedbackOf([...ids.emails], [...ids.customerIds])).filter((f) =>
      feedbackMatches(f, ids),
    );
    let learned = false;
    for (const f of feedback) learned = learnIdentifiers(f, ids) || learned;
    if (!learned) break;
  }
  const casesByEmail = await tx.casesOf([...ids.emails]);
  const loops = await tx.loopsOf(
    feedback.map((f) => f.id),
    casesByEmail.map((c) => c.loopId),
  );
  const loopIds = loops.map((l) => l.loopId);
  const cases = uniqueBy([...casesByEmail, ...(await tx.casesOfLoops(loopIds))], (c) => c.id);
  const deliveries = await tx.deliveriesOf(loopIds);
  return { ids, records: { feedback, cases, loops, deliveries } };
}

/** Erases one customer's records inside the caller's transaction; counts what changed. */
export async function eraseCustomerRows(
  tx: CustomerTx,
  ref: CustomerRef,
  now: number,
): Promise<ErasureCounts> {
  const at = new Date(now).toISOString();
  const { ids, records } = await findCustomer(tx, ref);
  const counts: ErasureCounts = {
    feedback: 0,
    cases: 0,
    loops: 0,
    closedLoops: 0,
    deliveries: 0,
    cancelledDeliveries: 0,
  };
  for (const f of records.feedback) {
    await tx.writeFeedback(eraseFeedback(f, ids, at));
    counts.feedback++;
  }
  const erasedCases = new Map<string, Case>();
  for (const rec of records.loops) {
    const erased = eraseLoop(rec, ids, at);
    await tx.writeLoop(erased);
    counts.loops++;
    if (wasRunning(rec)) counts.closedLoops++;
    const c = erased.snapshot.context.case;
    if (c) erasedCases.set(c.id, c);
  }
  for (const c of records.cases) {
    await tx.writeCase(erasedCases.get(c.id) ?? eraseCase(c, ids, at));
    counts.cases++;
  }
  for (const d of records.deliveries) {
    if (d.status === 'pending') counts.cancelledDeliveries++;
    await tx.writeDelivery(eraseDelivery(d, ids));
    counts.deliveries++;
  }
  return counts;
}
