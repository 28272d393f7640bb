import { z } from 'zod';
import type { Connector } from '../connector.ts';
import { type Case, CaseStatusSchema, PrioritySchema } from '../domain/case.ts';
import { type Decider, type Decision, DecisionSchema } from '../domain/decision.ts';
import { defaultDecider } from '../domain/default-decider.ts';
import { type Feedback, type FeedbackInput, FeedbackInputSchema } from '../domain/feedback.ts';

type FeedbackInputParsed = ReturnType<typeof FeedbackInputSchema.parse>;

import { parseOrThrow } from '../domain/parse.ts';
import { Directory, type Person, type Segment, SegmentTree } from '../domain/people.ts';
import { ClosedLoopError } from '../errors.ts';
import { type LoopSnapshot, startAndStep, stepLoop, stepLoopOrThrow } from '../machine/loop.ts';
import { createLoopMachine } from '../machine/machine.ts';
import type { LoopEnv, LoopEvent, TimerName } from '../machine/types.ts';
import { sqliteStore } from '../stores/sqlite.ts';
import type { CaseQuery, LoopRecord, Store } from '../stores/store.ts';
import { type Clock, systemClock } from './clock.ts';
import { casesToCsv } from './csv.ts';
import { type DeliveryOptions, deliveriesFor, EffectRunner } from './delivery.ts';
import { idsFor } from './ids.ts';
import { TimerRunner } from './timers.ts';
import type {
  ActorOptions,
  CaptureOptions,
  CaptureResult,
  ClosedLoop,
  ClosedLoopEventName,
  ClosedLoopEvents,
} from './types.ts';

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
}

const QuerySchema = z.object({
  status: z.union([CaseStatusSchema, z.array(CaseStatusSchema)]).optional(),
  priority: z.union([PrioritySchema, z.array(PrioritySchema)]).optional(),
  segment: z.union([z.string(), z.array(z.string())]).optional(),
  owner: z.union([z.string(), z.array(z.string())]).optional(),
  search: z.string().max(320).optional(),
  sort: z.enum(['createdAt', 'updatedAt', 'priority']).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.int().min(0).max(10_000).optional(),
  offset: z.int().min(0).optional(),
});
const ActorOptionsSchema = z.object({
  actor: z.string().min(1).max(200),
  note: z.string().max(5000).optional(),
});

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
  const decider = options.decider ?? defaultDecider();
  const connectors = options.connectors ?? [];
  const names = new Set<string>();
  for (const c of connectors) {
    if (names.has(c.name))
      throw new ClosedLoopError(
        'INVALID_INPUT',
        `Two connectors are named "${c.name}": give each a unique name`,
      );
    names.add(c.name);
  }
  const clock = options.clock ?? systemClock;
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
  const onError =
    options.onError ??
    ((error: unknown, where: string) => {
      process.emitWarning(
        `closedloop: ${where} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    });

  const handlers = new Map<ClosedLoopEventName, Set<(p: never) => void>>();
  function emit<E extends ClosedLoopEventName>(event: E, payload: ClosedLoopEvents[E]) {
    for (const h of handlers.get(event) ?? []) {
      try {
        (h as (p: ClosedLoopEvents[E]) => void)(payload);
      } catch (e) {
        onError(e, `handler for ${event}`);
      }
    }
  }

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

  let closed = false;
  const ensureOpen = () => {
    if (closed)
      throw new ClosedLoopError(
        'CLOSED',
        'This closed loop was closed: create a new one with createClosedLoop()',
      );
  };

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
      failed(d, attempts, error, willRetry) {
        emit('effect.failed', { effect: d.effect, connector: d.connector, attempts, error, willRetry });
      },
    },
    options.delivery,
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

  function announce(before: LoopSnapshot | undefined, after: LoopSnapshot, event: LoopEvent) {
    const c = after.context.case;
    if (c && !before?.context.case) emit('case.created', { case: c });
    else if (c && before?.context.case && c.version !== before.context.case.version) {
      emit('case.updated', { case: c, event: event.type, actor: 'actor' in event ? event.actor : 'system' });
      if (event.type === 'TIMER_FIRED' && (event.timer === 'firstResponse' || event.timer === 'resolution')) {
        emit('sla.breached', { case: c, kind: event.timer });
      }
    }
    if (after.state === 'learned' && before?.state !== 'learned')
      emit('loop.learned', { loopId: after.context.loopId, caseId: c?.id });
  }

  /** Loads a loop, applies one event, commits. Refusals throw when `strict`, else are skipped. */
  function step(loopId: string, makeEvent: () => LoopEvent, strict: boolean): Promise<LoopSnapshot> {
    return withLock(loopId, async () => {
      const rec = await store.getLoop(loopId);
      if (!rec) throw new ClosedLoopError('LOOP_NOT_FOUND', `No loop "${loopId}"`, { details: { loopId } });
      const event = makeEvent();
      const result = strict
        ? stepLoopOrThrow(machine, env, rec.snapshot, event)
        : stepLoop(machine, rec.snapshot, event);
      if (!result.accepted) return rec.snapshot;
      await commit(rec.version, result.snapshot, result.effects);
      announce(rec.snapshot, result.snapshot, event);
      return result.snapshot;
    });
  }

  function checkDecision(decision: Decision) {
    const c = decision.case;
    if (!c) return;
    if (!segments.has(c.segment)) {
      throw new ClosedLoopError(
        'INVALID_DECISION',
        `Decider ${decider.version} routed to segment "${c.segment}", which is not configured; known: ${segments
          .all()
          .map((s) => s.id)
          .join(', ')}`,
        { issues: [{ path: 'case.segment', message: 'unknown segment' }] },
      );
    }
    if (c.owner !== undefined && !directory.has(c.owner)) {
      throw new ClosedLoopError(
        'INVALID_DECISION',
        `Decider ${decider.version} assigned owner "${c.owner}", who is not in the directory`,
        {
          issues: [{ path: 'case.owner', message: 'unknown person' }],
        },
      );
    }
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

  async function decide(feedback: Feedback, now: number): Promise<Decision> {
    const decided = await decider.decide(feedback, { segments, now: new Date(now) });
    const decision = parseOrThrow(
      DecisionSchema,
      decided,
      'INVALID_DECISION',
      `decision from decider ${decider.version}`,
    );
    checkDecision(decision);
    return decision;
  }

  /** The same response again, with more in it: store it and let the loop classify it again. */
  async function updateFeedback(
    existing: LoopRecord,
    parsed: FeedbackInputParsed,
    feedbackId: string,
  ): Promise<CaptureResult> {
    const before = existing.snapshot.context.feedback;
    const feedback: Feedback = { ...parsed, id: before.id, receivedAt: before.receivedAt };
    if (JSON.stringify(feedback) === JSON.stringify(before)) return resultOf(existing, true, feedbackId);
    const now = clock.now();
    const event: LoopEvent = {
      type: 'FEEDBACK_UPDATED',
      at: iso(now),
      feedback,
      decision: await decide(feedback, now),
    };
    const result = stepLoop(machine, existing.snapshot, event);
    if (!result.accepted) return resultOf(existing, true, feedbackId);
    await commit(existing.version, result.snapshot, result.effects, feedback);
    announce(existing.snapshot, result.snapshot, event);
    return resultOf(result, true, feedbackId, true);
  }

  async function capture(input: FeedbackInput, options: CaptureOptions = {}): Promise<CaptureResult> {
    ensureOpen();
    const parsed = parseOrThrow(FeedbackInputSchema, input, 'INVALID_FEEDBACK', 'feedback');
    const ids = idsFor(parsed.source);
    const result = await withLock(ids.loopId, async () => {
      const existing = await store.getLoop(ids.loopId);
      if (existing) {
        return options.onDuplicate === 'update'
          ? updateFeedback(existing, parsed, ids.feedbackId)
          : resultOf(existing, true, ids.feedbackId);
      }
      const now = clock.now();
      const feedback: Feedback = { ...parsed, id: ids.feedbackId, receivedAt: parsed.receivedAt ?? iso(now) };
      const decision = await decide(feedback, now);
      const event: LoopEvent = { type: 'DECIDED', decision, at: iso(now) };
      const stepped = startAndStep(machine, { loopId: ids.loopId, caseId: ids.caseId, feedback }, event);
      try {
        await commit(undefined, stepped.snapshot, stepped.effects, feedback);
      } catch (e) {
        // Another process captured the same response first: that is a duplicate, not an error.
        const other =
          e instanceof ClosedLoopError && e.code === 'CONFLICT' ? await store.getLoop(ids.loopId) : undefined;
        if (other) return resultOf(other, true, ids.feedbackId);
        throw e;
      }
      emit('feedback.captured', {
        loopId: ids.loopId,
        feedbackId: ids.feedbackId,
        state: stepped.snapshot.state,
      });
      announce(undefined, stepped.snapshot, event);
      return resultOf(stepped, false, ids.feedbackId);
    });
    if (!result.duplicate && parsed.inReplyTo !== undefined) {
      await recordResurvey(parsed.inReplyTo, {
        feedbackId: ids.feedbackId,
        nps: parsed.nps,
        csat: parsed.csat,
      }).catch((e) => {
        // An answer to a loop that is not waiting for one (or is unknown) stays a plain answer.
        const plain =
          e instanceof ClosedLoopError && (e.code === 'MOVE_REFUSED' || e.code === 'LOOP_NOT_FOUND');
        if (!plain) onError(e, 're-survey link');
      });
    }
    return result;
  }

  async function recordResurvey(loopId: string, answer: { feedbackId: string; nps?: number; csat?: number }) {
    ensureOpen();
    await step(loopId, () => ({ type: 'RESURVEY_ANSWERED', at: iso(), ...answer }), true);
  }

  async function loopOfCase(caseId: string): Promise<string> {
    ensureOpen();
    const c = await store.getCase(caseId);
    if (!c) {
      throw new ClosedLoopError(
        'CASE_NOT_FOUND',
        `No case "${caseId}". Find cases with cases.list({ search: "<case id or customer email>" })`,
        {
          details: { caseId },
        },
      );
    }
    return c.loopId;
  }

  async function caseEvent(
    caseId: string,
    opts: ActorOptions,
    make: (at: string, actor: string) => LoopEvent,
  ): Promise<Case> {
    const o = parseOrThrow(ActorOptionsSchema, opts, 'INVALID_INPUT', 'options');
    const loopId = await loopOfCase(caseId);
    const snap = await step(loopId, () => make(iso(), o.actor), true);
    return snap.context.case!;
  }

  let commentSeq = 0;
  const timers = new TimerRunner(
    store,
    clock,
    // Every state takes a timer; one that no longer means anything is dropped by the machine.
    async (t) => {
      await step(t.loopId, () => ({ type: 'TIMER_FIRED', timer: t.name, at: iso(t.dueAt) }), false);
    },
    onError,
  );

  let started = false;
  function start() {
    if (started) return;
    started = true;
    runner.wake();
    timers.reschedule();
  }
  if (options.autoStart !== false) start();

  return {
    store,
    capture,
    recordResurvey,
    cases: {
      async get(caseId) {
        await loopOfCase(caseId);
        return (await store.getCase(caseId))!;
      },
      async list(query: CaseQuery = {}) {
        ensureOpen();
        const q = parseOrThrow(QuerySchema, query, 'INVALID_INPUT', 'case query');
        const { status: _status, ...rest } = q;
        const [page, countsByStatus] = await Promise.all([
          store.listCases(q),
          store.countCasesByStatus(rest),
        ]);
        return { ...page, countsByStatus };
      },
      update: (caseId, changes, opts) =>
        caseEvent(caseId, opts, (at, actor) => ({
          type: 'UPDATE',
          actor,
          at,
          note: opts.note,
          changes: parseOrThrow(
            z
              .object({
                status: CaseStatusSchema.optional(),
                priority: PrioritySchema.optional(),
                segment: z.string().min(1).optional(),
                rootCause: z.string().min(1).max(2000).optional(),
              })
              .strict(),
            changes,
            'INVALID_INPUT',
            'case update',
          ),
        })),
      reassign: (caseId, owner, opts) =>
        caseEvent(caseId, opts, (at, actor) => ({ type: 'REASSIGN', actor, at, owner, note: opts.note })),
      comment: (caseId, body, opts) =>
        caseEvent(caseId, opts, (at, actor) => ({
          type: 'COMMENT',
          actor,
          at,
          body,
          commentId: `cm_${clock.now().toString(36)}_${(++commentSeq).toString(36)}`,
        })),
      resolve: (caseId, resolution, opts) =>
        caseEvent(caseId, opts, (at, actor) => ({
          type: 'RESOLVE',
          actor,
          at,
          rootCause: resolution.rootCause,
          note: opts.note,
        })),
      inform: (caseId, message, opts) =>
        caseEvent(caseId, opts, (at, actor) => ({
          type: 'INFORM_CUSTOMER',
          actor,
          at,
          message: message.message,
          gesture: message.gesture,
        })),
      async export(format, query = {}) {
        ensureOpen();
        const q = parseOrThrow(
          QuerySchema,
          { ...query, limit: undefined, offset: undefined },
          'INVALID_INPUT',
          'case query',
        );
        const { cases } = await store.listCases(q);
        if (format === 'json') return `${JSON.stringify(cases, null, 2)}\n`;
        if (format === 'csv') return casesToCsv(cases);
        throw new ClosedLoopError(
          'INVALID_INPUT',
          `Unknown export format "${String(format)}": use "csv" or "json"`,
        );
      },
    },
    on(event, handler) {
      const set = handlers.get(event) ?? new Set();
      handlers.set(event, set);
      set.add(handler as (p: never) => void);
      return () => set.delete(handler as (p: never) => void);
    },
    async idle() {
      for (;;) {
        await Promise.all([...inFlight]);
        await runner.idle();
        const next = await store.nextDeliveryAt();
        if (inFlight.size === 0 && (next === undefined || next > clock.now())) return;
        if (next !== undefined && next <= clock.now()) runner.wake();
        await new Promise((r) => setImmediate(r));
      }
    },
    start,
    fireDueTimers: () => timers.fireDue(),
    getLoop: async (loopId) => structuredClone(await store.getLoop(loopId)),
    async close() {
      if (closed) return;
      closed = true;
      timers.stop();
      await Promise.all([...inFlight]);
      await runner.stop();
      await Promise.all(connectors.map((c) => c.close?.()));
      await store.close();
    },
  };
}
