// The public `ClosedLoop` API, written once over a small backend. The embedded runtime (a store
// in this process) and the Temporal client (one workflow per loop) are two backends: what a user
// sees — input checks, errors, events, listing and export — is the same code on both.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Case, CaseStatusSchema, PrioritySchema } from '../domain/case.ts';
import { FeedbackInputSchema } from '../domain/feedback.ts';
import { parseOrThrow } from '../domain/parse.ts';
import { ClosedLoopError } from '../errors.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { LoopEvent, TimerName } from '../machine/types.ts';
import { compareCases, emptyCounts, matchesQuery } from '../stores/query.ts';
import { CASE_SORT_COLUMNS, type CasePage, type CaseQuery, SLA_STATES } from '../stores/store.ts';
import { casesToCsv } from './csv.ts';
import { idsFor } from './ids.ts';
import type {
  CaptureOptions,
  CaptureResult,
  ClosedLoop,
  ClosedLoopEventName,
  ClosedLoopEvents,
} from './types.ts';

/** Feedback as checked by `FeedbackInputSchema`. */
export type CheckedFeedback = z.output<typeof FeedbackInputSchema>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A change to a case as a user asks for it; the backend stamps it with its time (`at`). */
export type CaseCommand = DistributiveOmit<
  Extract<LoopEvent, { type: 'UPDATE' | 'REASSIGN' | 'COMMENT' | 'RESOLVE' | 'INFORM_CUSTOMER' }>,
  'at'
>;

/** Cases a query selects, with the counts by status of the same query without its status filter. */
export type CaseListing = CasePage & { countsByStatus: ReturnType<typeof emptyCounts> };

/** What a runtime provides: where loops live and how one is stepped. Inputs arrive checked. */
export interface LoopBackend {
  /** Starts the loop of this feedback, or answers from it when it was captured before. */
  capture(
    feedback: CheckedFeedback,
    ids: ReturnType<typeof idsFor>,
    options: CaptureOptions,
  ): Promise<CaptureResult>;
  /** Applies one change to the case's loop; a refusal is a `MOVE_REFUSED` error. */
  applyToCase(caseId: string, command: CaseCommand): Promise<Case>;
  recordResurvey(loopId: string, answer: { feedbackId: string; nps?: number; csat?: number }): Promise<void>;
  getCase(caseId: string): Promise<Case | undefined>;
  listCases(query: CaseQuery): Promise<CaseListing>;
  close(): Promise<void>;
}

/** The event emitter a runtime emits through (handlers run after the step committed). */
export interface LoopEvents {
  emit<E extends ClosedLoopEventName>(event: E, payload: ClosedLoopEvents[E]): void;
  on: ClosedLoop['on'];
}

/** An emitter whose throwing handlers are reported to `onError`, never to the runtime. */
export function createLoopEvents(onError: (error: unknown, where: string) => void): LoopEvents {
  const handlers = new Map<ClosedLoopEventName, Set<(p: never) => void>>();
  return {
    emit(event, payload) {
      for (const h of handlers.get(event) ?? []) {
        try {
          (h as (p: typeof payload) => void)(payload);
        } catch (e) {
          onError(e, `handler for ${event}`);
        }
      }
    },
    on(event, handler) {
      const set = handlers.get(event) ?? new Set();
      handlers.set(event, set);
      set.add(handler as (p: never) => void);
      return () => set.delete(handler as (p: never) => void);
    },
  };
}

/** The default `onError`: a one-line warning without payload data. */
export function warnOnError(error: unknown, where: string): void {
  process.emitWarning(
    `closedloop: ${where} failed: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/** Emits what one step changed: a case created or updated, an SLA breached, the loop learned. */
export function announce(
  events: LoopEvents,
  before: LoopSnapshot | undefined,
  after: LoopSnapshot,
  event: { type: LoopEvent['type']; actor?: string; timer?: TimerName },
): void {
  const c = after.context.case;
  if (c && !before?.context.case) events.emit('case.created', { case: c });
  else if (c && before?.context.case && c.version !== before.context.case.version) {
    events.emit('case.updated', { case: c, event: event.type, actor: event.actor ?? 'system' });
    if (event.type === 'TIMER_FIRED' && (event.timer === 'firstResponse' || event.timer === 'resolution')) {
      events.emit('sla.breached', { case: c, kind: event.timer });
    }
  }
  if (after.state === 'learned' && before?.state !== 'learned')
    events.emit('loop.learned', { loopId: after.context.loopId, caseId: c?.id });
}

/** The error for a case id that names no case. */
export function caseNotFound(caseId: string): ClosedLoopError {
  return new ClosedLoopError(
    'CASE_NOT_FOUND',
    `No case "${caseId}". Find cases with cases.list({ search: "<case id or customer email>" })`,
    { details: { caseId } },
  );
}

/** Filters, counts, sorts and pages cases in memory, as the stores do in their query language. */
export function listInMemory(all: readonly Case[], query: CaseQuery): CaseListing {
  const { status: _status, ...rest } = query;
  const countsByStatus = emptyCounts();
  for (const c of all) if (matchesQuery(c, rest)) countsByStatus[c.status]++;
  const matching = all.filter((c) => matchesQuery(c, query)).sort(compareCases(query));
  const offset = query.offset ?? 0;
  const end = query.limit === undefined ? undefined : offset + query.limit;
  return { cases: matching.slice(offset, end), total: matching.length, countsByStatus };
}

const Instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());
const QuerySchema = z
  .object({
    status: z.union([CaseStatusSchema, z.array(CaseStatusSchema)]).optional(),
    priority: z.union([PrioritySchema, z.array(PrioritySchema)]).optional(),
    segment: z.union([z.string(), z.array(z.string())]).optional(),
    owner: z.union([z.string(), z.array(z.string())]).optional(),
    search: z.string().max(320).optional(),
    sla: z.enum(SLA_STATES).optional(),
    now: Instant.optional(),
    from: Instant.optional(),
    to: Instant.optional(),
    sort: z.enum(CASE_SORT_COLUMNS).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    limit: z.int().min(0).max(10_000).optional(),
    offset: z.int().min(0).optional(),
  })
  .strict();
const ActorOptionsSchema = z.object({
  actor: z.string().min(1).max(200),
  note: z.string().max(5000).optional(),
});
const CaseUpdateSchema = z
  .object({
    status: CaseStatusSchema.optional(),
    priority: PrioritySchema.optional(),
    segment: z.string().min(1).optional(),
    rootCause: z.string().min(1).max(2000).optional(),
  })
  .strict();

export interface LoopApiOptions {
  /** The function that makes a new one (named in the error after `close()`). */
  createdBy: string;
  events: LoopEvents;
  onError: (error: unknown, where: string) => void;
  /** Time for comment ids (the runtime's clock). */
  now: () => number;
}

export interface LoopApi {
  loop: ClosedLoop;
  /** Throws `CLOSED` once `close()` was called. */
  ensureOpen(): void;
}

/** The `ClosedLoop` a user holds, over a runtime's backend. */
export function createLoopApi(backend: LoopBackend, options: LoopApiOptions): LoopApi {
  const { events, onError } = options;
  let closed = false;
  const ensureOpen = () => {
    if (closed) {
      throw new ClosedLoopError(
        'CLOSED',
        `This closed loop was closed: create a new one with ${options.createdBy}()`,
      );
    }
  };
  // Comment ids: unique across processes sharing the loops (replicas, Temporal clients).
  const origin = randomBytes(3).toString('hex');
  let commentSeq = 0;

  const recordResurvey: ClosedLoop['recordResurvey'] = async (loopId, answer) => {
    ensureOpen();
    await backend.recordResurvey(loopId, answer);
  };

  async function onCase(caseId: string, opts: unknown, make: (actor: string, note?: string) => CaseCommand) {
    ensureOpen();
    const o = parseOrThrow(ActorOptionsSchema, opts, 'INVALID_INPUT', 'options');
    return backend.applyToCase(caseId, make(o.actor, o.note));
  }

  async function list(query: CaseQuery = {}): Promise<CaseListing> {
    ensureOpen();
    return backend.listCases(parseOrThrow(QuerySchema, query, 'INVALID_INPUT', 'case query') as CaseQuery);
  }

  const loop: ClosedLoop = {
    async capture(input, captureOptions = {}) {
      ensureOpen();
      const parsed = parseOrThrow(FeedbackInputSchema, input, 'INVALID_FEEDBACK', 'feedback');
      const ids = idsFor(parsed.source);
      const result = await backend.capture(parsed, ids, captureOptions);
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
    },
    recordResurvey,
    cases: {
      async get(caseId) {
        ensureOpen();
        const c = await backend.getCase(caseId);
        if (!c) throw caseNotFound(caseId);
        return c;
      },
      list,
      update: (caseId, changes, opts) =>
        onCase(caseId, opts, (actor, note) => ({
          type: 'UPDATE',
          actor,
          note,
          changes: parseOrThrow(CaseUpdateSchema, changes, 'INVALID_INPUT', 'case update'),
        })),
      reassign: (caseId, owner, opts) =>
        onCase(caseId, opts, (actor, note) => ({ type: 'REASSIGN', actor, owner, note })),
      comment: (caseId, body, opts) =>
        onCase(caseId, opts, (actor) => ({
          type: 'COMMENT',
          actor,
          body,
          commentId: `cm_${options.now().toString(36)}_${origin}_${(++commentSeq).toString(36)}`,
        })),
      resolve: (caseId, resolution, opts) =>
        onCase(caseId, opts, (actor, note) => ({
          type: 'RESOLVE',
          actor,
          rootCause: resolution?.rootCause,
          note,
        })),
      inform: (caseId, message, opts) =>
        onCase(caseId, opts, (actor) => ({
          type: 'INFORM_CUSTOMER',
          actor,
          message: message?.message,
          gesture: message?.gesture,
          ...(message?.template !== undefined ? { template: message.template } : {}),
          ...(message?.language !== undefined ? { language: message.language } : {}),
        })),
      async export(format, query = {}) {
        ensureOpen();
        if (format !== 'csv' && format !== 'json') {
          throw new ClosedLoopError(
            'INVALID_INPUT',
            `Unknown export format "${String(format)}": use "csv" or "json"`,
            { issues: [{ path: 'format', message: 'use "csv" or "json"' }] },
          );
        }
        const { cases } = await list({ ...query, limit: undefined, offset: undefined });
        // JSON ends with a newline, as a file of its own (`closedloop export > cases.json`).
        return format === 'json' ? `${JSON.stringify(cases, null, 2)}\n` : casesToCsv(cases);
      },
    },
    on: events.on,
    async close() {
      if (closed) return;
      closed = true;
      await backend.close();
    },
  };
  return { loop, ensureOpen };
}
