// The closed loop as a Temporal workflow: it hosts the same pure machine as the embedded runtime
// (`@closedloop/core/machine`). Decisions and effects are activities; SLA timers are Temporal
// timers at the due times the machine computed (business hours included); case changes arrive
// as validated Updates or as signals; the loop is read by a query.
import {
  createLoopMachine,
  Directory,
  type Effect,
  type LoopEvent,
  type LoopMachine,
  type LoopSnapshot,
  redactAddresses,
  refusalOf,
  refusedError,
  SegmentTree,
  startLoop,
  stepLoop,
  type TimerName,
} from '@closedloop/core/machine';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LoopActivities } from '../activities.ts';
import {
  type CaptureArgs,
  type CaptureReply,
  captureUpdate,
  commandSignal,
  commandUpdate,
  FailureType,
  type LoopCommand,
  type LoopWorkflowInput,
  mirrorSignal,
  type Org,
  SA,
  snapshotQuery,
} from './definitions.ts';

const { decide } = proxyActivities<LoopActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '1 minute', nonRetryableErrorTypes: ['INVALID_DECISION'] },
});
// The mirror retries until its database is back: a loop waits for its last write before it ends.
const { mirrorLoop } = proxyActivities<LoopActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [FailureType.NO_MIRROR],
  },
});
// Which connectors take an effect (and whether the customer may be contacted): a short lookup, so
// a local activity, run by the worker holding the workflow task and recorded as one marker. As a
// normal activity it cost a round trip through the server and about 6 history events per effect.
const routeOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
} as const;
const { route: routeHere } = proxyLocalActivities<LoopActivities>(routeOptions);
// Loops whose histories routed with a normal activity replay it (see deliverOne).
const { route } = proxyActivities<LoopActivities>(routeOptions);
const deliveryActivities = (heartbeatTimeout: string, activityId?: string) =>
  proxyActivities<LoopActivities>({
    ...(activityId === undefined ? {} : { activityId }),
    startToCloseTimeout: '2 minutes',
    // The deliver activity heartbeats while a connector works: a worker that died mid-delivery
    // is noticed after this long, and the delivery retried on another worker.
    heartbeatTimeout,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10 minutes',
      maximumAttempts: 50,
    },
  });

const iso = (ms: number) => new Date(ms).toISOString();

function refusalFailure(
  snapshot: LoopSnapshot,
  event: LoopEvent,
  refusal: { reason: string; allowed: string[] },
) {
  const error = refusedError(snapshot, event, refusal);
  return ApplicationFailure.create({
    type: FailureType.MOVE_REFUSED,
    message: error.message,
    nonRetryable: true,
    details: [error.details],
  });
}

/**
 * One feedback loop, from decision to learning. Started by `createTemporalClosedLoop().capture`
 * with update-with-start; its id derives from the feedback's idempotency key.
 */
export async function closedLoop(input: LoopWorkflowInput): Promise<LoopSnapshot> {
  const heartbeatTimeout = input.deliveryHeartbeatTimeout ?? '30s';
  const { deliver } = deliveryActivities(heartbeatTimeout);
  let org: Org | undefined = input.resume?.org;
  let machine: LoopMachine | undefined;
  let env: { segments: SegmentTree; directory: Directory } | undefined;
  let snapshot: LoopSnapshot | undefined = input.resume?.snapshot;
  let captures = input.resume?.captures ?? 0;
  const outbox: Effect[] = [...(input.resume?.outbox ?? [])];
  const inbox: LoopEvent[] = [];
  let inFlight = 0;
  let settled = 0;
  let failure: unknown;
  // Loops decided by a worker with a mirror store are copied there as they change (one write in
  // flight, always the latest snapshot). Decided without one: no activity, no history events.
  let mirror = input.resume?.mirror;
  let mirroring = false;
  const mirrorLatest = async () => {
    mirroring = true;
    try {
      while (mirror && snapshot && snapshot.context.version !== mirror.version) {
        const version = snapshot.context.version;
        await mirrorLoop(snapshot, iso(Date.now()));
        mirror.version = version;
      }
    } catch (e) {
      log.warn('mirror write failed: the loop is no longer mirrored', {
        loopId: input.loopId,
        error: String(e),
      });
      mirror = undefined;
    } finally {
      mirroring = false;
      settled++;
    }
  };
  const mirrorBehind = () =>
    mirror !== undefined && snapshot !== undefined && snapshot.context.version !== mirror.version;

  const setOrg = (o: Org) => {
    org = o;
    const directory = new Directory(o.people);
    env = { directory, segments: new SegmentTree(o.segments, directory) };
    machine = createLoopMachine(env);
  };
  if (org) setOrg(org);

  let published = '';
  const publish = () => {
    if (!input.searchAttributes || !snapshot) return;
    const ctx = snapshot.context;
    const c = ctx.case;
    const pairs: SearchAttributeUpdatePair[] = [
      { key: SA.state, value: snapshot.state },
      { key: SA.status, value: c?.status ?? null },
      { key: SA.priority, value: c?.priority ?? null },
      { key: SA.segment, value: c?.segment ?? ctx.classification?.segment ?? null },
      { key: SA.owner, value: c?.owner ?? null },
      { key: SA.npsCategory, value: ctx.classification?.npsCategory ?? null },
      { key: SA.caseId, value: c?.id ?? null },
    ];
    // Only when something listed changed: a comment writes no search-attribute event.
    const key = JSON.stringify(pairs.map((p) => p.value));
    if (key === published) return;
    published = key;
    upsertSearchAttributes(pairs);
  };

  /** Applies one event; returns whether the machine took it. */
  const apply = (event: LoopEvent): boolean => {
    if (!snapshot || !machine) return false;
    const result = stepLoop(machine, snapshot, event);
    if (!result.accepted) return false;
    snapshot = { state: result.snapshot.state, context: { ...result.snapshot.context, pending: [] } };
    outbox.push(...result.effects);
    publish();
    return true;
  };

  const eventOf = (command: LoopCommand): LoopEvent => ({ ...command, at: iso(Date.now()) }) as LoopEvent;

  const validate = (command: LoopCommand) => {
    if (!snapshot || !env) {
      throw ApplicationFailure.create({
        type: FailureType.NOT_DECIDED,
        message: `Loop ${input.loopId} is not decided yet: retry in a moment`,
      });
    }
    const event = eventOf(command);
    const refusal = refusalOf(env, snapshot.state, snapshot.context, event);
    if (refusal) throw refusalFailure(snapshot, event, refusal);
  };

  setHandler(snapshotQuery, () => snapshot);
  setHandler(captureUpdate, async (args?: CaptureArgs): Promise<CaptureReply> => {
    captures++;
    const duplicate = captures > 1;
    await condition(() => snapshot !== undefined || failure !== undefined);
    if (!snapshot) throw failure;
    const later = args?.update;
    if (!duplicate || !later) return { snapshot, duplicate, updated: false };
    // The survey tool sent more of the same answer: classify it again in the same loop.
    const before = snapshot.context.feedback;
    const feedback = { ...later, id: before.id, receivedAt: before.receivedAt };
    if (JSON.stringify(feedback) === JSON.stringify(before)) return { snapshot, duplicate, updated: false };
    const decided = await decide(feedback, iso(Date.now()));
    const updated = apply({
      type: 'FEEDBACK_UPDATED',
      at: iso(Date.now()),
      feedback,
      decision: decided.decision,
    });
    return { snapshot, duplicate, updated };
  });
  setHandler(
    commandUpdate,
    (command) => {
      const event = eventOf(command);
      if (!apply(event))
        throw refusalFailure(snapshot!, event, {
          reason: 'the loop machine did not take the event',
          allowed: [],
        });
      return snapshot!;
    },
    { validator: validate },
  );
  setHandler(commandSignal, (command) => {
    inbox.push(eventOf(command));
  });
  // A loop that began before its workers had a mirror: mirror it from now on (it writes its
  // current state at once). Histories without this signal replay unchanged.
  setHandler(mirrorSignal, () => {
    mirror ??= { version: -1 };
  });

  if (!snapshot) {
    try {
      const decided = await decide(input.feedback, iso(Date.now()));
      setOrg(decided.org);
      if (decided.mirror) mirror = { version: -1 };
      snapshot = startLoop(machine!, {
        loopId: input.loopId,
        caseId: input.caseId,
        feedback: input.feedback,
      });
      if (!apply({ type: 'DECIDED', decision: decided.decision, at: iso(Date.now()) })) {
        throw ApplicationFailure.create({
          type: FailureType.INVALID_DECISION,
          message: 'the machine refused the decision',
          nonRetryable: true,
        });
      }
    } catch (e) {
      failure = e;
      await condition(allHandlersFinished);
      throw e;
    }
  } else {
    publish();
  }

  /**
   * One activity per (effect, connector), each retried on its own with an id from the effect's
   * idempotency key and the connector: a retry never re-sends to a connector that succeeded, and
   * one connector giving up does not keep the effect from the others. Whether any took it.
   */
  const deliverEach = async (effect: Effect, connectors: string[]): Promise<boolean> => {
    const results = await Promise.allSettled(
      connectors.map((name) =>
        deliveryActivities(heartbeatTimeout, `${effect.key}@${name}`).deliverTo(effect, name),
      ),
    );
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        // Gave up (non-retryable, or out of attempts): the loop goes on, as the embedded runtime does.
        log.warn('effect delivery failed', {
          key: effect.key,
          type: effect.type,
          connector: connectors[i],
          error: redactAddresses(String(r.reason)),
        });
      }
    });
    return connectors.length === 0 || results.some((r) => r.status === 'fulfilled');
  };

  const deliverOne = async (effect: Effect) => {
    inFlight++;
    try {
      const consent = snapshot?.context.feedback.consent;
      let suppressed: string | undefined;
      if (patched('delivery-per-connector')) {
        const routed = patched('route-local-activity')
          ? await routeHere(effect, consent)
          : await route(effect, consent);
        suppressed = routed.suppressed;
        if (suppressed === undefined && !(await deliverEach(effect, routed.connectors))) return;
      } else {
        // Loops recorded before delivery per connector replay their one activity per effect.
        suppressed = (await deliver(effect, consent))?.suppressed;
      }
      if (suppressed !== undefined && (effect.type === 'informCustomer' || effect.type === 'sendResurvey')) {
        // Not sent (do-not-contact, no consent): the case log says why.
        inbox.push({
          type: 'CONTACT_SUPPRESSED',
          at: iso(Date.now()),
          effect: effect.type,
          reason: suppressed,
        });
      } else if (effect.type === 'informCustomer' && effect.caseId !== undefined) {
        inbox.push({ type: 'CUSTOMER_INFORMED', at: iso(Date.now()) });
      }
    } catch (e) {
      // Gave up (non-retryable, or out of attempts): the loop goes on, as the embedded runtime does.
      log.warn('effect delivery failed', {
        key: effect.key,
        type: effect.type,
        error: redactAddresses(String(e)),
      });
    } finally {
      inFlight--;
      settled++;
    }
  };

  // Each due time in the snapshot becomes one Temporal timer, armed once. A timer whose due time
  // changed (re-armed, cleared) still fires, and is ignored: only the current due time counts.
  const armed = new Set<string>();
  const fired: { name: TimerName; at: string }[] = [];
  const arm = () => {
    for (const [name, at] of Object.entries(snapshot!.context.timers)) {
      if (at === undefined || armed.has(`${name}@${at}`)) continue;
      armed.add(`${name}@${at}`);
      void sleep(Math.max(1, Date.parse(at) - Date.now())).then(() => {
        fired.push({ name: name as TimerName, at });
      });
    }
  };

  const maxHistory = input.maxHistoryEvents ?? 2000;
  const tooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistory;

  for (;;) {
    while (outbox.length > 0) void deliverOne(outbox.shift()!);
    if (!mirroring && mirrorBehind()) void mirrorLatest();
    while (inbox.length > 0) {
      const event = inbox.shift()!;
      if (!apply(event)) log.info('event refused', { loopId: input.loopId, event: event.type });
    }
    if (outbox.length > 0) continue;
    const idle = inFlight === 0 && !mirroring && !mirrorBehind();
    if (snapshot!.state === 'learned' && idle) break;
    if (idle && tooLong()) {
      await condition(allHandlersFinished);
      if (outbox.length === 0 && inbox.length === 0 && !mirrorBehind()) {
        return continueAsNew<typeof closedLoop>({
          ...input,
          resume: { snapshot: snapshot!, org: org!, captures, outbox: [], ...(mirror ? { mirror } : {}) },
        });
      }
      continue;
    }
    arm();
    const version = snapshot!.context.version;
    const seen = settled;
    await condition(
      () =>
        outbox.length > 0 ||
        inbox.length > 0 ||
        fired.length > 0 ||
        snapshot!.context.version !== version ||
        settled !== seen ||
        (!mirroring && mirrorBehind()),
    );
    while (fired.length > 0) {
      const t = fired.shift()!;
      if (snapshot!.context.timers[t.name] === t.at) apply({ type: 'TIMER_FIRED', timer: t.name, at: t.at });
    }
  }
  await condition(allHandlersFinished);
  // An update that arrived while the loop was ending: its change reaches the mirror too.
  if (mirrorBehind()) await mirrorLatest();
  return snapshot!;
}
