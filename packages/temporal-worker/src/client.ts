// The Temporal runtime's client: the same `ClosedLoop` interface as the embedded runtime, so a
// user switches runtimes by changing one line.
import {
  type ActorOptions,
  type CaptureResult,
  type Case,
  type CaseQuery,
  type CaseStatus,
  type ClosedLoop,
  ClosedLoopError,
  type ClosedLoopEventName,
  type ClosedLoopEvents,
  casesToCsv,
  compareCases,
  type Feedback,
  type FeedbackInput,
  FeedbackInputSchema,
  idsFor,
  matchesQuery,
} from '@closedloop/core';
import type { LoopSnapshot } from '@closedloop/core/machine';
import {
  Client,
  type Connection,
  type DataConverter,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  captureUpdate,
  commandUpdate,
  FailureType,
  LOOP_WORKFLOW_TYPE,
  type LoopCommand,
  type LoopWorkflowInput,
  snapshotQuery,
} from './workflows/definitions.ts';

export interface TemporalClosedLoopOptions {
  connection: Connection;
  namespace?: string;
  taskQueue: string;
  /** Pass `{ payloadCodecs: [aesGcmCodec(keys)] }` so customer data is encrypted. */
  dataConverter?: DataConverter;
  /** Keep the ClosedLoop* search attributes current and list through them (default true). */
  searchAttributes?: boolean;
  /** Continue-as-new threshold handed to new loops (history events). */
  maxHistoryEvents?: number;
  /** How soon a delivery on a dead worker is retried elsewhere (default '30s'). */
  deliveryHeartbeatTimeout?: string;
}

/** Workflow id of a loop: `closedloop-<12 hex>`, derived from the feedback's idempotency key. */
export function workflowIdOf(ref: { loopId?: string; caseId?: string }): string {
  if (ref.loopId?.startsWith('loop_')) return `closedloop-${ref.loopId.slice(5, 17)}`;
  if (ref.caseId?.startsWith('CS-')) return `closedloop-${ref.caseId.slice(3).toLowerCase()}`;
  return `closedloop-${(ref.loopId ?? ref.caseId ?? '').toLowerCase()}`;
}

const STATUSES: CaseStatus[] = ['new', 'open', 'escalated', 'resolved'];
const asList = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];
/** The same filters and order as the embedded stores. */
const matches = (c: Case, q: CaseQuery): boolean => matchesQuery(c, q);
const compare = (q: CaseQuery) => compareCases(q);
const quote = (s: string) => `'${s.replace(/['\\]/g, '')}'`;

/** Turns a workflow's refusal into the same `ClosedLoopError` the embedded runtime throws. */
function translate(error: unknown, caseId?: string): unknown {
  if (error instanceof WorkflowNotFoundError) {
    return new ClosedLoopError(
      'CASE_NOT_FOUND',
      `No case "${caseId}". Find cases with cases.list({ search: "<case id or customer email>" })`,
      {
        details: { caseId },
      },
    );
  }
  let cause: unknown = error instanceof WorkflowUpdateFailedError ? error.cause : error;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === FailureType.MOVE_REFUSED) {
      return new ClosedLoopError('MOVE_REFUSED', cause.message, {
        details: (cause.details?.[0] ?? {}) as Record<string, unknown>,
        cause,
      });
    }
    if (cause.type === FailureType.INVALID_DECISION)
      return new ClosedLoopError('INVALID_DECISION', cause.message, { cause });
  }
  if (error instanceof WorkflowUpdateFailedError && /completed|closed/i.test(String(cause))) {
    return new ClosedLoopError(
      'MOVE_REFUSED',
      `Case ${caseId} refused the change: the loop is closed (learned)`,
      {
        details: { caseId, reason: 'the loop is closed (learned)', allowed: [] },
        cause: error,
      },
    );
  }
  return error;
}

/**
 * The closed loop on Temporal: one durable workflow per feedback loop, run by `closedloop-worker`.
 * Same interface as `createClosedLoop` (embedded).
 *
 * @example
 * const connection = await Connection.connect({ address: 'localhost:7233' });
 * const loop = createTemporalClosedLoop({ connection, namespace: 'default', taskQueue: 'closedloop' });
 * const { case: c } = await loop.capture({ source: { tool: 'typeform', responseId: 'r1' },
 *   customer: { email: 'ana@example.com', segment: 'spain' }, nps: 3 });
 */
export function createTemporalClosedLoop(options: TemporalClosedLoopOptions): ClosedLoop {
  const client = new Client({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    dataConverter: options.dataConverter,
  });
  const searchAttributes = options.searchAttributes ?? true;
  const handlers = new Map<ClosedLoopEventName, Set<(p: never) => void>>();
  function emit<E extends ClosedLoopEventName>(event: E, payload: ClosedLoopEvents[E]) {
    for (const h of handlers.get(event) ?? []) {
      try {
        (h as (p: ClosedLoopEvents[E]) => void)(payload);
      } catch (e) {
        process.emitWarning(
          `closedloop: handler for ${event} failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  }
  let closed = false;
  const ensureOpen = () => {
    if (closed)
      throw new ClosedLoopError(
        'CLOSED',
        'This closed loop was closed: create a new one with createTemporalClosedLoop()',
      );
  };

  async function snapshotOf(caseId: string): Promise<LoopSnapshot> {
    ensureOpen();
    try {
      const snap = await client.workflow.getHandle(workflowIdOf({ caseId })).query(snapshotQuery);
      if (snap?.context.case?.id === caseId) return snap;
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
    throw translate(new WorkflowNotFoundError('not found', workflowIdOf({ caseId }), undefined), caseId);
  }

  async function command(caseId: string, opts: ActorOptions, cmd: LoopCommand): Promise<Case> {
    if (!opts || typeof opts.actor !== 'string' || opts.actor === '') {
      throw new ClosedLoopError(
        'INVALID_INPUT',
        'options.actor is required: the person id making the change',
        {
          issues: [{ path: 'actor', message: 'required' }],
        },
      );
    }
    const before = await snapshotOf(caseId);
    let after: LoopSnapshot;
    try {
      after = await client.workflow
        .getHandle(workflowIdOf({ caseId }))
        .executeUpdate(commandUpdate, { args: [cmd] });
    } catch (e) {
      throw translate(e, caseId);
    }
    const c = after.context.case!;
    if (c.version !== before.context.case?.version)
      emit('case.updated', { case: c, event: cmd.type, actor: opts.actor });
    if (after.state === 'learned' && before.state !== 'learned')
      emit('loop.learned', { loopId: after.context.loopId, caseId: c.id });
    return c;
  }

  /**
   * When the worker failed the loop's workflow task because it has no key for our payloads, a
   * `ClosedLoopError` naming the key id (the task failure is in the history, in clear text).
   */
  async function missingKeyError(workflowId: string, cause: unknown): Promise<ClosedLoopError | undefined> {
    try {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      for (const ev of history.events ?? []) {
        const message = ev.workflowTaskFailedEventAttributes?.failure?.message ?? '';
        const m = /No decryption key "([^"]{0,100})"/.exec(message);
        if (m)
          return new ClosedLoopError(
            'CONFIGURATION',
            `The worker has no encryption key "${m[1]}", which this client encrypts with: give the worker ` +
              'the same keys (worker config "encryption.keys" or CLOSEDLOOP_ENCRYPTION_KEYS)',
            { details: { keyId: m[1], workflowId }, cause },
          );
      }
    } catch {
      // No history to read: the original error stands.
    }
    return undefined;
  }

  async function capture(
    input: FeedbackInput,
    captureOptions: Parameters<ClosedLoop['capture']>[1] = {},
  ): Promise<CaptureResult> {
    ensureOpen();
    const parsed = FeedbackInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new ClosedLoopError(
        'INVALID_FEEDBACK',
        `Invalid feedback: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        },
      );
    }
    const ids = idsFor(parsed.data.source);
    const feedback: Feedback = {
      ...parsed.data,
      id: ids.feedbackId,
      receivedAt: parsed.data.receivedAt ?? new Date().toISOString(),
    };
    const workflowId = workflowIdOf({ loopId: ids.loopId });
    const wfInput: LoopWorkflowInput = {
      loopId: ids.loopId,
      caseId: ids.caseId,
      feedback,
      searchAttributes,
      maxHistoryEvents: options.maxHistoryEvents,
      deliveryHeartbeatTimeout: options.deliveryHeartbeatTimeout,
    };
    let reply: { snapshot: LoopSnapshot; duplicate: boolean; updated?: boolean };
    try {
      reply = await client.workflow.executeUpdateWithStart(captureUpdate, {
        args: [captureOptions.onDuplicate === 'update' ? { update: feedback } : {}],
        startWorkflowOperation: new WithStartWorkflowOperation(LOOP_WORKFLOW_TYPE, {
          workflowId,
          taskQueue: options.taskQueue,
          args: [wfInput],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      });
    } catch (e) {
      // The worker could not decrypt what we sent: say which key it lacks.
      const keyError = await missingKeyError(workflowId, e);
      if (keyError) throw keyError;
      // The loop ran to its end already (a redelivery of an old response): answer from it.
      const snap = await client.workflow
        .getHandle(workflowId)
        .query(snapshotQuery)
        .catch(() => undefined);
      if (!snap) throw translate(e);
      reply = { snapshot: snap, duplicate: true };
    }
    const ctx = reply.snapshot.context;
    if (!reply.duplicate && parsed.data.inReplyTo !== undefined) {
      // The answer to a re-survey: record it on the loop it was sent from (as the embedded runtime).
      await this_
        .recordResurvey(parsed.data.inReplyTo, {
          feedbackId: ids.feedbackId,
          nps: parsed.data.nps,
          csat: parsed.data.csat,
        })
        .catch(() => undefined);
    }
    if (!reply.duplicate) {
      emit('feedback.captured', {
        loopId: ids.loopId,
        feedbackId: ids.feedbackId,
        state: reply.snapshot.state,
      });
      if (ctx.case) emit('case.created', { case: ctx.case });
      if (reply.snapshot.state === 'learned')
        emit('loop.learned', { loopId: ids.loopId, caseId: ctx.case?.id });
    }
    return {
      loopId: ids.loopId,
      feedbackId: ids.feedbackId,
      duplicate: reply.duplicate,
      updated: reply.updated ?? false,
      state: reply.snapshot.state,
      classification: ctx.classification,
      case: ctx.case,
    };
  }

  async function listCases(query: CaseQuery): Promise<Case[]> {
    ensureOpen();
    const clauses = [`WorkflowType = '${LOOP_WORKFLOW_TYPE}'`, `TaskQueue = ${quote(options.taskQueue)}`];
    if (searchAttributes) {
      clauses.push('ClosedLoopCaseId IS NOT NULL');
      const inList = (name: string, v: string | string[] | undefined) => {
        const l = asList(v);
        if (l) clauses.push(`${name} IN (${l.map(quote).join(', ')})`);
      };
      inList('ClosedLoopPriority', query.priority);
      inList('ClosedLoopSegment', query.segment);
      inList('ClosedLoopOwner', query.owner);
    }
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query: clauses.join(' AND ') })) ids.push(wf.workflowId);
    const cases: Case[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < ids.length; i += 32) {
      const batch = await Promise.all(
        ids.slice(i, i + 32).map((id) =>
          client.workflow
            .getHandle(id)
            .query(snapshotQuery)
            .catch(() => undefined),
        ),
      );
      for (const snap of batch) {
        const c = snap?.context.case;
        if (c && !seen.has(c.id)) {
          seen.add(c.id);
          cases.push(c);
        }
      }
    }
    return cases;
  }

  const this_: ClosedLoop = {
    capture,
    async recordResurvey(loopId, answer) {
      ensureOpen();
      try {
        await client.workflow.getHandle(workflowIdOf({ loopId })).executeUpdate(commandUpdate, {
          args: [{ type: 'RESURVEY_ANSWERED', ...answer }],
        });
      } catch (e) {
        if (e instanceof WorkflowNotFoundError)
          throw new ClosedLoopError('LOOP_NOT_FOUND', `No loop "${loopId}"`, { details: { loopId } });
        throw translate(e);
      }
    },
    cases: {
      async get(caseId) {
        return (await snapshotOf(caseId)).context.case!;
      },
      async list(query = {}) {
        const all = await listCases({ ...query, status: undefined });
        const countsByStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>;
        const { status: _s, ...rest } = query;
        for (const c of all) if (matches(c, rest)) countsByStatus[c.status]++;
        const matching = all.filter((c) => matches(c, query)).sort(compare(query));
        const offset = query.offset ?? 0;
        const page = matching.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
        return { cases: page, total: matching.length, countsByStatus };
      },
      update: (caseId, changes, opts) =>
        command(caseId, opts, { type: 'UPDATE', actor: opts?.actor, changes, note: opts?.note }),
      reassign: (caseId, owner, opts) =>
        command(caseId, opts, { type: 'REASSIGN', actor: opts?.actor, owner, note: opts?.note }),
      comment: (caseId, body, opts) =>
        command(caseId, opts, {
          type: 'COMMENT',
          actor: opts?.actor,
          body,
          commentId: `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
        }),
      resolve: (caseId, resolution, opts) =>
        command(caseId, opts, {
          type: 'RESOLVE',
          actor: opts?.actor,
          rootCause: resolution.rootCause,
          note: opts?.note,
        }),
      inform: (caseId, message, opts) =>
        command(caseId, opts, {
          type: 'INFORM_CUSTOMER',
          actor: opts?.actor,
          message: message.message,
          gesture: message.gesture,
          ...(message.template !== undefined ? { template: message.template } : {}),
          ...(message.language !== undefined ? { language: message.language } : {}),
        }),
      async export(format, query = {}) {
        const { cases } = await this.list({ ...query, limit: undefined, offset: undefined });
        return format === 'csv' ? casesToCsv(cases) : JSON.stringify(cases, null, 2);
      },
    },
    on(event, handler) {
      const set = handlers.get(event) ?? new Set();
      handlers.set(event, set);
      set.add(handler as (p: never) => void);
      return () => set.delete(handler as (p: never) => void);
    },
    async close() {
      closed = true;
    },
  };
  return this_;
}
