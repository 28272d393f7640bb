import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Connector } from '../connector.ts';
import type { Decider, Decision } from '../domain/decision.ts';
import { defaultDecider } from '../domain/default-decider.ts';
import type { Feedback } from '../domain/feedback.ts';
import { Directory, type Person, type Segment, SegmentTree } from '../domain/people.ts';
import { ClosedLoopError } from '../errors.ts';
import { type LoopSnapshot, startAndStep, stepLoop, stepLoopOrThrow } from '../machine/loop.ts';
import { createLoopMachine } from '../machine/machine.ts';
import type { LoopEnv, LoopEvent, TimerName } from '../machine/types.ts';
import { type ContactPolicy, contactRefusal, isCustomerEffect } from '../privacy/contact.ts';
import {
  type CustomerExport,
  type ErasureResult,
  eraseCustomer,
  exportCustomer,
} from '../privacy/privacy.ts';
import type { CustomerRef } from '../privacy/redact.ts';
import { sqliteStore } from '../stores/sqlite.ts';
import type { CaseQuery, LoopRecord, Store } from '../stores/store.ts';
import {
  announce,
  type CheckedFeedback,
  caseNotFound,
  createLoopApi,
  createLoopEvents,
  type LoopBackend,
  warnOnError,
} from './api.ts';
import { checkConnectors } from './check-connectors.ts';
import { type Clock, systemClock } from './clock.ts';
import { checkedDecision } from './decisions.ts';
import { type DeliveryOptions, deliveriesFor, EffectRunner } from './delivery.ts';
import type { idsFor } from './ids.ts';
import { TimerRunner } from './timers.ts';
import type { CaptureOptions, CaptureResult, ClosedLoop } from './types.ts';

export interface ClosedLoopOptions {
  /** A store, or a SQLite file path. Default: `closedloop.sqlite` in the working directory. */
  store?: Store | string;
  /** Classifies and routes feedback. Default: {@link defaultDecider}. */
  decider?: Decider;
  /** People who own cases and receive notifications. */
  directory: readonly Person[];
  /** The segment tree with each segment's managers (seed 001). */
  segments: readonly Segment[];
  /** Where effects go: email, chat, CRM, … Each gets the effects its capabilities name. */
  connectors?: readonly Connector[];
  clock?: Clock;
  delivery?: DeliveryOptions;
  /** Deliver the outbox and fire timers from the start (default true); else call `start()`. */
  autoStart?: boolean;
  /** Called when an event handler throws. Default: a one-line warning without payload data. */
  onError?: (error: unknown, where: string) => void;
  /**
   * Who may be contacted: messages to customers (inform, thank-you, re-survey) are checked against
   * the do-not-contact list and the answer's consent just before sending; staff mail never is.
   */
  contact?: ContactPolicy;
  /** This process among several on one shared store (PostgreSQL). */
  replica?: ReplicaOptions;
}

export interface ReplicaOptions {
  /** Names this process in claims (`claimed_by`) and `/healthz`. Default: host, pid and a random part. */
  id?: string;
  /**
   * On a shared store, how often (real ms) to look for work other processes queued or left
   * behind (deliveries, timers, an expired lease). Default 1000.
   */
  pollMs?: number;
  /** How long a claim on a due timer lasts before another process may fire it (wall ms). Default 60 s. */
  timerLeaseMs?: number;
}

/** What this process holds of the shared work, for health checks. */
export interface ReplicaStatus {
  id: string;
  /** Whether the store is shared by several processes (work is claimed with leases). */
  shared: boolean;
  leases: { deliveries: number; timers: number };
}

/** The embedded runtime: `ClosedLoop` plus controls for tests and tools. */
export interface EmbeddedClosedLoop extends ClosedLoop {
  readonly store: Store;
  /** Starts delivering the outbox and firing timers (when created with `autoStart: false`). */
  start(): void;
  /** Resolves when the outbox has nothing due and no step is running. */
  idle(): Promise<void>;
  /** Fires every timer due now (the timer runner does this on its own). */
  fireDueTimers(): Promise<number>;
  /** The stored loop, with its machine snapshot. */
  getLoop(loopId: string): Promise<LoopRecord | undefined>;
  /** This process's id and the claims it holds now. */
  replica(): ReplicaStatus;
  /** The version every decision records now (the decider's, or the one given to `useDecider`). */
  readonly deciderVersion: string;
  /**
   * Swaps the decider atomically: captures already deciding finish with the old one, every later
   * one uses the new one and records `version` (default: the decider's own) as its rule-set version.
   *
   * @example
   * loop.useDecider(createRulesDecider(ruleSet), { version: 'v3' });
   */
  useDecider(decider: Decider, options?: { version?: string }): void;
  /** Erasure (GDPR art. 17) and access (art. 15) for one customer. */
  readonly privacy: PrivacyApi;
}

export interface PrivacyApi {
  /**
   * Erases the customer's email, name, id, comments and free-text answers everywhere in the
   * store (scores stay), closes their running loops without contacting them, and records a
   * receipt. Erasing again is a no-op.
   */
  erase(person: CustomerRef, options: { actor: string }): Promise<ErasureResult>;
  /** Everything held about the customer, as JSON-ready records. */
  export(person: CustomerRef): Promise<CustomerExport>;
}

/**
 * Runs the closed feedback loop in this process: capture → classify → assign → act → inform →
 * learn, on a durable store. Every step commits feedback, case, log, timers and outbox in one
 * transaction; a restart resumes timers and undelivered effects.
 *
 * @example
 * const loop = createClosedLoop({ store: 'data/cx.sqlite', directory, segments, connectors: [email] });
 * const { case: c } = await loop.capture({ source: { tool: 'typeform', responseId: 'r1' },
 *   customer: { email: 'ana@example.com', segment: 'spain' }, nps: 3, comment: 'Late delivery' });
 * await loop.cases.update(c!.id, { status: 'open' }, { actor: 'ana' });
 */
export function createClosedLoop(options: ClosedLoopOptions): EmbeddedClosedLoop {
  const directory = new Directory(options.directory);
  const segments = new SegmentTree(options.segments, directory);
  const env: LoopEnv = { directory, segments };
  const machine = createLoopMachine(env);
  const store =
    typeof options.store === 'string' || options.store === undefined
      ? sqliteStore({ path: options.store ?? 'closedloop.sqlite' })
      : options.store;
  let decider = options.decider ?? defaultDecider();
  let pinnedVersion: string | undefined;
  const connectors = checkConnectors(options.connectors ?? []);
  const clock = options.clock ?? systemClock;
  const replicaId = options.replica?.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  // Several steps in the same millisecond share one timestamp string (a hot path when capturing).
  let isoMs = Number.NaN;
  let isoText = '';
  const iso = (ms = clock.now()) => {
    if (ms !== isoMs) {
      isoText = new Date(ms).toISOString();
      isoMs = ms;
    }
    return isoText;
  };
  const onError = options.onError ?? warnOnError;
  const events = createLoopEvents(onError);
  const emit = events.emit;

  // One step at a time per loop; steps of different loops run concurrently.
  const locks = new Map<string, Promise<unknown>>();
  const inFlight = new Set<Promise<unknown>>();
  function withLock<T>(loopId: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(loopId);
    // No step of this loop under way (the common case): start now rather than a tick later.
    const run = previous ? previous.then(fn, fn) : fn();
    const tail = run.catch(() => undefined);
    locks.set(loopId, tail);
    inFlight.add(tail);
    void tail.then(() => {
      inFlight.delete(tail);
      if (locks.get(loopId) === tail) locks.delete(loopId);
    });
    return run;
  }

  const runner = new EffectRunner(
    store,
    connectors,
    clock,
    {
      delivered(d, attempts) {
        emit('effect.delivered', { effect: d.effect, connector: d.connector, attempts });
        if (d.effect.type === 'informCustomer' && d.effect.caseId !== undefined) {
          const at = iso();
          void step(d.effect.loopId, () => ({ type: 'CUSTOMER_INFORMED', at }), false).catch((e) =>
            onError(e, 'customer informed'),
          );
        }
      },
      failed(d, attempts, error, willRetry, reason) {
        emit('effect.failed', {
          effect: d.effect,
          connector: d.connector,
          attempts,
          error,
          willRetry,
          ...(reason ? { reason } : {}),
        });
      },
      async screen(d) {
        if (!isCustomerEffect(d.effect)) return undefined;
        const rec = await store.getLoop(d.effect.loopId);
        return contactRefusal(store.documents, d.effect, rec?.snapshot.context.feedback, options.contact);
      },
      suppressed(d, reason) {
        const effect = d.effect.type as 'informCustomer' | 'sendResurvey';
        const at = iso();
        void step(d.effect.loopId, () => ({ type: 'CONTACT_SUPPRESSED', at, effect, reason }), false).catch(
          (e) => onError(e, 'contact suppressed'),
        );
      },
    },
    options.delivery,
    replicaId,
  );

  async function commit(
    expectedVersion: number | undefined,
    after: LoopSnapshot,
    effects: LoopSnapshot['context']['pending'],
    feedback?: Feedback,
  ) {
    const now = clock.now();
    const stored: LoopSnapshot = { state: after.state, context: { ...after.context, pending: [] } };
    await store.commit({
      loop: {
        loopId: after.context.loopId,
        snapshot: stored,
        version: after.context.version,
        updatedAt: iso(now),
      },
      expectedVersion,
      feedback,
      case: after.context.case,
      timers: Object.entries(after.context.timers).map(([name, due]) => ({
        loopId: after.context.loopId,
        name: name as TimerName,
        dueAt: Date.parse(due),
      })),
      deliveries: deliveriesFor(effects, connectors, now),
    });
    if (started) {
      runner.wake();
      timers.reschedule();
    }
  }

  /** Loads a loop, applies one event, commits. Refusals throw when `strict`, else are skipped. */
  function step(
    loopId: string,
    makeEvent: () => LoopEvent,
    strict: boolean,
    applies?: (snapshot: LoopSnapshot) => boolean,
  ): Promise<LoopSnapshot> {
    return withLock(loopId, async () => {
      const rec = await store.getLoop(loopId);
      if (!rec) throw new ClosedLoopError('LOOP_NOT_FOUND', `No loop "${loopId}"`, { details: { loopId } });
      if (applies && !applies(rec.snapshot)) return rec.snapshot;
      const event = makeEvent();
      const result = strict
        ? stepLoopOrThrow(machine, env, rec.snapshot, event)
        : stepLoop(machine, rec.snapshot, event);
      if (!result.accepted) return rec.snapshot;
      await commit(rec.version, result.snapshot, result.effects);
      announce(events, rec.snapshot, result.snapshot, event);
      return result.snapshot;
    });
  }

  function resultOf(
    rec: { snapshot: LoopSnapshot },
    duplicate: boolean,
    feedbackId: string,
    updated = false,
  ): CaptureResult {
    const ctx = rec.snapshot.context;
    return {
      loopId: ctx.loopId,
      feedbackId,
      duplicate,
      updated,
      state: rec.snapshot.state,
      classification: ctx.classification,
      case: ctx.case,
    };
  }

  async function decide(feedback: Feedback, now: number, learnOnly = false): Promise<Decision> {
    // Read once: a swap while this decision runs does not mix two deciders.
    const using = decider;
    const version = pinnedVersion;
    const decided = await using.decide(feedback, { segments, now: new Date(now) });
    const decision = checkedDecision(
      version === undefined ? decided : { ...decided, ruleSetVersion: version },
      using.version,
      env,
    );
    if (learnOnly)
      return { ...decision, case: undefined, alerts: [], thankCustomer: undefined, resurvey: undefined };
    return decision;
  }

  /** The same response again, with more in it: store it and let the loop classify it again. */
  async function updateFeedback(
    existing: LoopRecord,
    parsed: CheckedFeedback,
    feedbackId: string,
    learnOnly: boolean,
  ): Promise<CaptureResult> {
    const before = existing.snapshot.context.feedback;
    const feedback: Feedback = { ...parsed, id: before.id, receivedAt: before.receivedAt };
    if (JSON.stringify(feedback) === JSON.stringify(before)) return resultOf(existing, true, feedbackId);
    const now = clock.now();
    const event: LoopEvent = {
      type: 'FEEDBACK_UPDATED',
      at: iso(now),
      feedback,
      decision: await decide(feedback, now, learnOnly),
    };
    const result = stepLoop(machine, existing.snapshot, event);
    if (!result.accepted) return resultOf(existing, true, feedbackId);
    await commit(existing.version, result.snapshot, result.effects, feedback);
    announce(events, existing.snapshot, result.snapshot, event);
    return resultOf(result, true, feedbackId, true);
  }

  async function capture(
    parsed: CheckedFeedback,
    ids: ReturnType<typeof idsFor>,
    options: CaptureOptions,
  ): Promise<CaptureResult> {
    const once = async (): Promise<CaptureResult> => {
      const existing = await store.getLoop(ids.loopId);
      if (existing) {
        return options.onDuplicate === 'update'
          ? updateFeedback(existing, parsed, ids.feedbackId, options.learnOnly === true)
          : resultOf(existing, true, ids.feedbackId);
      }
      const now = clock.now();
      const feedback: Feedback = { ...parsed, id: ids.feedbackId, receivedAt: parsed.receivedAt ?? iso(now) };
      const decision = await decide(feedback, now, options.learnOnly === true);
      const event: LoopEvent = { type: 'DECIDED', decision, at: iso(now) };
      const stepped = startAndStep(machine, { loopId: ids.loopId, caseId: ids.caseId, feedback }, event);
      await commit(undefined, stepped.snapshot, stepped.effects, feedback);
      emit('feedback.captured', {
        loopId: ids.loopId,
        feedbackId: ids.feedbackId,
        state: stepped.snapshot.state,
      });
      announce(events, undefined, stepped.snapshot, event);
      return resultOf(stepped, false, ids.feedbackId);
    };
    return withLock(ids.loopId, async () => {
      // Another process (a replica given the same webhook redelivery) wrote this loop between our
      // read and our write: read it again, so the answer is a duplicate (or an update), not an error.
      for (let attempt = 1; ; attempt++) {
        try {
          return await once();
        } catch (e) {
          if (attempt >= 4 || !(e instanceof ClosedLoopError && e.code === 'CONFLICT')) throw e;
        }
      }
    });
  }

  async function recordResurvey(loopId: string, answer: { feedbackId: string; nps?: number; csat?: number }) {
    await step(loopId, () => ({ type: 'RESURVEY_ANSWERED', at: iso(), ...answer }), true);
  }

  async function loopOfCase(caseId: string): Promise<string> {
    const c = await store.getCase(caseId);
    if (!c) throw caseNotFound(caseId);
    return c.loopId;
  }

  const timers = new TimerRunner(
    store,
    clock,
    // Every state takes a timer; one that no longer means anything is dropped by the machine.
    async (t) => {
      // Only the timer as it is still set: one already fired (by another process whose claim
      // ran out meanwhile) or moved is not fired again.
      await step(
        t.loopId,
        () => ({ type: 'TIMER_FIRED', timer: t.name, at: iso(t.dueAt) }),
        false,
        (snapshot) => {
          const due = snapshot.context.timers[t.name];
          return due !== undefined && Date.parse(due) === t.dueAt;
        },
      );
    },
    onError,
    replicaId,
    options.replica?.timerLeaseMs,
  );

  let started = false;
  // On a shared store other processes queue work too, and one may die holding some: look for it.
  let poll: NodeJS.Timeout | undefined;
  function start() {
    if (started) return;
    started = true;
    runner.wake();
    timers.reschedule();
    if (store.shared) {
      poll = setInterval(() => {
        runner.wake();
        void timers.fireDue();
      }, options.replica?.pollMs ?? 1000);
      poll.unref();
    }
  }
  if (options.autoStart !== false) start();

  /** A checked query as the store takes it: each known segment widened to its subtree, `now` from the clock. */
  function storeQuery(query: CaseQuery): CaseQuery {
    const q = { ...query };
    if (q.segment !== undefined) {
      const ids = new Set<string>();
      for (const id of Array.isArray(q.segment) ? q.segment : [q.segment]) {
        ids.add(id);
        if (segments.has(id)) for (const d of segments.descendants(id)) ids.add(d);
      }
      q.segment = [...ids];
    }
    if (q.sla !== undefined && q.now === undefined) q.now = new Date(clock.now()).toISOString();
    return q;
  }

  const backend: LoopBackend = {
    capture,
    recordResurvey,
    async applyToCase(caseId, command) {
      const loopId = await loopOfCase(caseId);
      const snap = await step(loopId, () => ({ ...command, at: iso() }) as LoopEvent, true);
      return snap.context.case!;
    },
    getCase: (caseId) => store.getCase(caseId),
    async listCases(query) {
      const q = storeQuery(query);
      const { status: _status, ...rest } = q;
      const [page, countsByStatus] = await Promise.all([store.listCases(q), store.countCasesByStatus(rest)]);
      return { ...page, countsByStatus };
    },
    async close() {
      if (poll) clearInterval(poll);
      timers.stop();
      await timers.idle();
      await Promise.all([...inFlight]);
      // Lets deliveries in flight finish, then releases every claim this process still holds.
      await runner.stop();
      await Promise.all(connectors.map((c) => c.close?.()));
      await store.close();
    },
  };
  const { loop, ensureOpen } = createLoopApi(backend, {
    createdBy: 'createClosedLoop',
    events,
    onError,
    now: () => clock.now(),
  });

  return {
    ...loop,
    store,
    async idle() {
      for (;;) {
        await Promise.all([...inFlight]);
        await runner.idle();
        const next = await store.nextDeliveryAt();
        if (inFlight.size === 0 && (next === undefined || next > clock.now())) return;
        if (next !== undefined && next <= clock.now()) runner.wake();
        // On a shared store a due row may be another process's to send: wait for it, do not spin.
        await new Promise((r) => (store.shared ? setTimeout(r, 25) : setImmediate(r)));
      }
    },
    privacy: {
      async erase(person, opts) {
        ensureOpen();
        const result = await eraseCustomer(store, person, { actor: opts?.actor, now: clock.now() });
        if (started) timers.reschedule();
        return result;
      },
      async export(person) {
        ensureOpen();
        return exportCustomer(store, person, { now: clock.now() });
      },
    },
    start,
    fireDueTimers: () => timers.fireDue(),
    getLoop: async (loopId) => structuredClone(await store.getLoop(loopId)),
    replica: () => ({
      id: replicaId,
      shared: store.shared === true,
      leases: { deliveries: runner.held, timers: timers.held },
    }),
    get deciderVersion() {
      return pinnedVersion ?? decider.version;
    },
    useDecider(next, opts = {}) {
      ensureOpen();
      decider = next;
      pinnedVersion = opts.version;
    },
  };
}
