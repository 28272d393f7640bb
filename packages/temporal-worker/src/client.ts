// The Temporal runtime's client: the same `ClosedLoop` interface as the embedded runtime, so a
// user switches runtimes by changing one line.
import {
  announce,
  type CaptureResult,
  type Case,
  type CaseCommand,
  type CaseQuery,
  type ClosedLoop,
  ClosedLoopError,
  caseNotFound,
  createLoopApi,
  createLoopEvents,
  type Feedback,
  type LoopBackend,
  listInMemory,
  warnOnError,
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
  /** Called when an event handler throws. Default: a one-line warning without payload data. */
  onError?: (error: unknown, where: string) => void;
}

/** Workflow id of a loop: `closedloop-<12 hex>`, derived from the feedback's idempotency key. */
export function workflowIdOf(ref: { loopId?: string; caseId?: string }): string {
  if (ref.loopId?.startsWith('loop_')) return `closedloop-${ref.loopId.slice(5, 17)}`;
  if (ref.caseId?.startsWith('CS-')) return `closedloop-${ref.caseId.slice(3).toLowerCase()}`;
  return `closedloop-${(ref.loopId ?? ref.caseId ?? '').toLowerCase()}`;
}

const asList = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];
const quote = (s: string) => `'${s.replace(/['\\]/g, '')}'`;

/** Turns a workflow's refusal into the same `ClosedLoopError` the embedded runtime throws. */
function translate(error: unknown, caseId?: string): unknown {
  if (error instanceof WorkflowNotFoundError) return caseNotFound(caseId ?? '');
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
  const events = createLoopEvents(options.onError ?? warnOnError);

  /** The loop of a case as it is now, or undefined when there is no such case. */
  async function snapshotOf(caseId: string): Promise<LoopSnapshot | undefined> {
    try {
      const snap = await client.workflow.getHandle(workflowIdOf({ caseId })).query(snapshotQuery);
      if (snap?.context.case?.id === caseId) return snap;
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
    return undefined;
  }

  async function applyToCase(caseId: string, cmd: CaseCommand): Promise<Case> {
    const before = await snapshotOf(caseId);
    if (!before) throw caseNotFound(caseId);
    let after: LoopSnapshot;
    try {
      after = await client.workflow
        .getHandle(workflowIdOf({ caseId }))
        .executeUpdate(commandUpdate, { args: [cmd] });
    } catch (e) {
      throw translate(e, caseId);
    }
    announce(events, before, after, cmd);
    return after.context.case!;
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

  const capture: LoopBackend['capture'] = async (parsed, ids, captureOptions) => {
    const feedback: Feedback = {
      ...parsed,
      id: ids.feedbackId,
      receivedAt: parsed.receivedAt ?? new Date().toISOString(),
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
    if (!reply.duplicate) {
      events.emit('feedback.captured', {
        loopId: ids.loopId,
        feedbackId: ids.feedbackId,
        state: reply.snapshot.state,
      });
      announce(events, undefined, reply.snapshot, { type: 'DECIDED' });
    }
    return {
      loopId: ids.loopId,
      feedbackId: ids.feedbackId,
      duplicate: reply.duplicate,
      updated: reply.updated ?? false,
      state: reply.snapshot.state,
      classification: ctx.classification,
      case: ctx.case,
    } satisfies CaptureResult;
  };

  /** The cases a query may select: narrowed by search attributes, filtered exactly by the API. */
  async function candidates(query: CaseQuery): Promise<Case[]> {
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

  const backend: LoopBackend = {
    capture,
    applyToCase,
    async recordResurvey(loopId, answer) {
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
    getCase: async (caseId) => (await snapshotOf(caseId))?.context.case,
    listCases: async (query) => listInMemory(await candidates({ ...query, status: undefined }), query),
    async close() {},
  };
  return createLoopApi(backend, {
    createdBy: 'createTemporalClosedLoop',
    events,
    onError: options.onError ?? warnOnError,
    now: () => Date.now(),
  }).loop;
}
