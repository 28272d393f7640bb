import type { Case, CaseStatus, Priority } from '../domain/case.ts';
import type { Effect } from '../domain/effect.ts';
import type { Feedback } from '../domain/feedback.ts';
import type { SqlExecutor } from '../learn/executor.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { TimerName } from '../machine/types.ts';
import type { CustomerRecords, CustomerTx, ErasureCounts } from '../privacy/customer-rows.ts';
import type { CustomerRef } from '../privacy/redact.ts';

/** A stored loop: its machine snapshot, and the version used for optimistic concurrency. */
export interface LoopRecord {
  loopId: string;
  snapshot: LoopSnapshot;
  /** Equals `snapshot.context.version`. */
  version: number;
  updatedAt: string;
}

/** One delivery of one effect through one connector: a row of the outbox. */
export interface Delivery {
  /** `${effect.key}@${connector}`: unique, so an effect is queued once per connector. */
  id: string;
  connector: string;
  effect: Effect;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  /** Epoch ms; the runner picks deliveries whose time has come. */
  nextAttemptAt: number;
  lastError?: string;
}

export interface TimerRow {
  loopId: string;
  name: TimerName;
  /** Epoch ms. */
  dueAt: number;
}

/**
 * Everything one step of a loop writes, committed in one transaction: all of it, or none of it.
 * `expectedVersion` is the loop's version the step started from (undefined for a new loop);
 * a mismatch fails the commit with a `CONFLICT` error and writes nothing.
 */
export interface StepWrite {
  loop: LoopRecord;
  expectedVersion: number | undefined;
  /** Present when the step captured feedback, or updated it (a later part of the same answer):
   * inserted, or replacing the stored feedback with the same id. */
  feedback?: Feedback;
  /** The loop's case after the step, when it has one. */
  case?: Case;
  /** The loop's full set of timers after the step (replaces the previous set). */
  timers: TimerRow[];
  /** New outbox rows; a row whose id exists already is ignored. */
  deliveries: Delivery[];
}

/** Columns a case list sorts by. Empty values (no name, no score, no SLA clock) sort last. */
export const CASE_SORT_COLUMNS = [
  'id',
  'status',
  'priority',
  'segment',
  'owner',
  'customerEmail',
  'customerName',
  'nps',
  'csat',
  'createdAt',
  'updatedAt',
  'slaDue',
] as const;
export type CaseSortColumn = (typeof CASE_SORT_COLUMNS)[number];

/** SLA states a case list filters by: a running clock due within {@link SLA_DUE_SOON_MS}, or breached. */
export const SLA_STATES = ['dueSoon', 'breached'] as const;
export type SlaState = (typeof SLA_STATES)[number];
/** "Due soon" means due within 4 hours. */
export const SLA_DUE_SOON_MS = 4 * 60 * 60 * 1000;

export interface CaseQuery {
  status?: CaseStatus | CaseStatus[];
  priority?: Priority | Priority[];
  /** Exact segment ids (the runtime widens each known segment to its subtree before asking the store). */
  segment?: string | string[];
  owner?: string | string[];
  /**
   * Matches a case id prefix, or part of the customer email or name, case-insensitively
   * (ASCII letters fold in every store).
   */
  search?: string;
  /**
   * `dueSoon`: an SLA clock still running (first response not yet given, or resolution, on a
   * case that is not resolved) is due at or after `now` and within 4 hours of it. `breached`: a
   * breach was recorded, or a running clock is past due at `now`.
   */
  sla?: SlaState;
  /** The instant `sla` is judged at (ISO, UTC). Default: the time of the call. */
  now?: string;
  /** Cases created at or after this instant (ISO, UTC). */
  from?: string;
  /** Cases created before this instant (ISO, UTC). */
  to?: string;
  /** Default `updatedAt` descending (newest activity first). `slaDue`: the earliest running SLA clock. */
  sort?: CaseSortColumn;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

/** A page of loops by when their feedback was received (see {@link Store.listLoops}). */
export interface LoopScan {
  /** ISO instant, inclusive: feedback received at or after it. */
  from?: string;
  /** ISO instant, exclusive. */
  to?: string;
  /** A loop id: only loops whose id sorts after it (the last id of the previous page). */
  after?: string;
  limit: number;
}

export interface CasePage {
  cases: Case[];
  /** How many cases match the query, ignoring limit and offset. */
  total: number;
}

export type DeliveryUpdate =
  | { id: string; status: 'delivered'; attempts: number }
  | { id: string; status: 'pending'; attempts: number; nextAttemptAt: number; lastError: string }
  | { id: string; status: 'dead'; attempts: number; lastError: string };

/**
 * Where the embedded runtime keeps feedback, loops, cases, timers and the outbox.
 * Implementations: {@link memoryStore}, {@link sqliteStore}, {@link postgresStore}; all pass the
 * same conformance suite.
 */
/** One small JSON document kept beside the loops (see {@link DocumentStore}). */
export interface DocumentRecord<T = unknown> {
  kind: string;
  id: string;
  value: T;
  /** 1 on the first write, +1 on each later one: for compare-and-set. */
  version: number;
  /** Epoch ms of the last write. */
  updatedAt: number;
}

/**
 * Small JSON documents that the runtime, `serve` and jobs keep in the same store as the loops,
 * so every process on a shared store sees them: API tokens, published rule versions,
 * do-not-contact entries, erasure receipts, job runs and leases. Keys are `(kind, id)`.
 * Not for customer-facing volumes: a kind is listed whole (or by id prefix).
 */
export interface DocumentStore {
  get<T = unknown>(kind: string, id: string): Promise<DocumentRecord<T> | undefined>;
  /** Documents of a kind, by id ascending; `prefix` keeps ids that start with it. */
  list<T = unknown>(
    kind: string,
    options?: { prefix?: string; limit?: number },
  ): Promise<DocumentRecord<T>[]>;
  /**
   * Writes a document. With `expectedVersion` the write is a compare-and-set: `0` means "must
   * not exist yet", `n` means "must still be at version n"; otherwise it throws a
   * `ClosedLoopError` with code `CONFLICT` and writes nothing.
   */
  put<T = unknown>(
    kind: string,
    id: string,
    value: T,
    options?: { expectedVersion?: number; now?: number },
  ): Promise<DocumentRecord<T>>;
  /** Deletes a document; true when one was there. */
  delete(kind: string, id: string): Promise<boolean>;
}

/**
 * A claim on work (a delivery, a timer) by one process, until a time. Lease times are wall-clock
 * epoch ms (`Date.now()`), so processes agree on them even when the runtime's clock is scaled.
 */
export interface Lease {
  /** Who claims: the replica's id. */
  owner: string;
  /** Now, on the lease timeline: a lease that ended at or before this is free. */
  now: number;
  /** When this claim ends unless released sooner. */
  until: number;
}

export interface Store {
  readonly kind: string;
  /** The store's tables for analytics and reports (SQLite, PostgreSQL); none in memory. */
  readonly sql?: SqlExecutor;
  /** True when several processes may use the store at once (PostgreSQL): they claim work with leases. */
  readonly shared?: boolean;
  /** Small JSON documents beside the loops (tokens, rule versions, receipts, leases). */
  readonly documents: DocumentStore;
  /** Creates tables if needed. Idempotent. */
  init(): Promise<void>;
  commit(step: StepWrite): Promise<void>;
  getLoop(loopId: string): Promise<LoopRecord | undefined>;
  getFeedback(id: string): Promise<Feedback | undefined>;
  getCase(caseId: string): Promise<Case | undefined>;
  /**
   * Loops whose feedback was received in `[from, to)`, by loop id ascending, `limit` at a time
   * after `after`: for rule backtests and per-rule counts over stored decisions.
   */
  listLoops(scan: LoopScan): Promise<LoopRecord[]>;
  listCases(query?: CaseQuery): Promise<CasePage>;
  countCasesByStatus(query?: Omit<CaseQuery, 'status'>): Promise<Record<CaseStatus, number>>;
  /** Timers due at or before `now`, earliest first. */
  dueTimers(now: number, limit: number): Promise<TimerRow[]>;
  nextTimerDueAt(): Promise<number | undefined>;
  /** Pending deliveries whose `nextAttemptAt` ≤ now, oldest first. */
  dueDeliveries(now: number, limit: number): Promise<Delivery[]>;
  /**
   * Claims up to `limit` due pending deliveries (as {@link dueDeliveries}) that no other owner holds
   * a live lease on, for `lease.owner` until `lease.until`; oldest first. Two processes claiming at
   * once get disjoint rows. {@link updateDelivery} records the outcome and releases the claim.
   */
  claimDeliveries(now: number, limit: number, lease: Lease): Promise<Delivery[]>;
  nextDeliveryAt(): Promise<number | undefined>;
  /** Records a delivery's outcome and, in the same write, releases any claim on it. */
  updateDelivery(update: DeliveryUpdate): Promise<void>;
  /**
   * Claims up to `limit` timers due at or before `now` that no other owner holds a live lease on;
   * earliest first. The step that fires a timer replaces it (and so its claim).
   */
  claimTimers(now: number, limit: number, lease: Lease): Promise<TimerRow[]>;
  /** Releases every claim `owner` holds (a graceful shutdown), so others take the work at once. */
  releaseClaims(owner: string): Promise<void>;
  listDeliveries(filter?: { loopId?: string; status?: Delivery['status'] }): Promise<Delivery[]>;
  /**
   * Everything stored about one customer (GDPR art. 15): their feedback (matched by email,
   * case-insensitively, or customer id, and then by every email and id that feedback names), its
   * loops, cases and outbox rows.
   */
  findCustomer(ref: CustomerRef): Promise<CustomerRecords>;
  /**
   * Erases one customer (GDPR art. 17) in one transaction: their email, name, id, comments and
   * free-text answers leave feedback, cases, case logs, loop snapshots and outbox rows (staff
   * text stays, with their identifiers redacted); scores, segments and times stay. Running loops
   * are closed and their timers dropped; unsent outbox rows become dead. Then the freed space is
   * scrubbed where the store can (SQLite: secure delete, WAL checkpoint, VACUUM; PostgreSQL:
   * VACUUM of the touched tables). Finding nothing changes nothing.
   */
  eraseCustomer(ref: CustomerRef, options: { now: number }): Promise<ErasureCounts>;
  /**
   * Runs `fn` in one transaction over the customer rows (privacy jobs such as retention); with
   * `scrub`, the freed space is scrubbed afterwards as after an erasure. `fn` may run again when
   * the store retries a transaction that lost a race, so it must only use `tx`.
   */
  withCustomerRows<T>(fn: (tx: CustomerTx) => Promise<T>, options?: { scrub?: boolean }): Promise<T>;
  close(): Promise<void>;
}

/** Priority rank for sorting: critical first when descending. */
export const PRIORITY_RANK: Record<Priority, number> = { low: 0, medium: 1, high: 2, critical: 3 };
