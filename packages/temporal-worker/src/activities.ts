// Activities: the decision (rules) and the delivery of effects through connectors. They run in
// the worker process with full Node.js; the workflow imports their types only.
import {
  ClosedLoopError,
  type Connector,
  type ContactPolicy,
  checkedDecision,
  contactRefusal,
  type Decider,
  type Decision,
  DeliveryError,
  Directory,
  defaultDecider,
  deliverWithin,
  type Effect,
  type Feedback,
  isCustomerEffect,
  type Person,
  redactAddresses,
  type Segment,
  SegmentTree,
  type Store,
} from '@closedloop/core';
import type { LoopSnapshot } from '@closedloop/core/machine';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { writeMirror } from './mirror.ts';
import { FailureType, type Org } from './workflows/definitions.ts';

export interface ActivityDeps {
  /** Classifies and routes feedback; its `version` is recorded with the decision in history. */
  decider?: Decider;
  connectors?: readonly Connector[];
  directory: readonly Person[];
  segments: readonly Segment[];
  /**
   * A store (e.g. `postgresStore`) that receives a copy of every loop's feedback, case and
   * snapshot as it changes, for analytics and reports (docs/temporal.md "Mirror"). Loops decided
   * by a worker with a mirror are mirrored; Temporal stays the source of truth.
   */
  mirror?: Store;
  /** Who may be contacted (docs/privacy.md); the do-not-contact list is read from the mirror's documents. */
  contact?: ContactPolicy;
  /**
   * How long one delivery to one connector may take (default 30 s): the connector's abort signal
   * fires then, and the delivery is retried as a transient failure. Keep it under the activity's
   * 2-minute start-to-close timeout.
   */
  deliveryTimeoutMs?: number;
}

export interface LoopActivities {
  /** Decides what to do with the feedback; returns the organisation the machine routes with. */
  decide(feedback: Feedback, now: string): Promise<{ decision: Decision; org: Org; mirror?: boolean }>;
  /**
   * The connectors that take this effect. A message to the customer is first screened
   * (do-not-contact list, the answer's `consent`): a refused one goes to none and `suppressed`
   * says why.
   */
  route(effect: Effect, consent?: boolean): Promise<{ connectors: string[]; suppressed?: string }>;
  /**
   * Hands an effect to one connector (one activity per effect and connector, retried on its own).
   * The connector dedupes by `effect.key`, the idempotency key.
   */
  deliverTo(effect: Effect, connector: string): Promise<void>;
  /**
   * Loops scheduled before delivery per connector: route, then every connector in turn. Kept so
   * their histories replay; new loops use `route` and `deliverTo`.
   */
  deliver(effect: Effect, consent?: boolean): Promise<{ connectors: string[]; suppressed?: string }>;
  /**
   * Writes the loop as it is now into the mirror store. Idempotent and ordered by the loop's
   * version: a snapshot older than (or as old as) the stored one changes nothing.
   */
  mirrorLoop(snapshot: LoopSnapshot, at: string): Promise<{ written: boolean }>;
}

/**
 * The loop's activities, with their dependencies injected (Temporal samples' `createActivities`).
 *
 * @example
 * const activities = createActivities({ directory, segments, connectors: [email] });
 * await Worker.create({ taskQueue: 'closedloop', activities, workflowsPath });
 */
export function createActivities(deps: ActivityDeps): LoopActivities {
  const directory = new Directory(deps.directory);
  const segments = new SegmentTree(deps.segments, directory);
  const decider = deps.decider ?? defaultDecider();
  const connectors = deps.connectors ?? [];
  const org: Org = { people: [...deps.directory], segments: [...deps.segments] };
  const mirror = deps.mirror;
  let mirrorReady: Promise<void> | undefined;
  const deliveryTimeoutMs = deps.deliveryTimeoutMs ?? 30_000;

  async function route(effect: Effect, consent?: boolean) {
    if (isCustomerEffect(effect)) {
      const refusal = await contactRefusal(
        mirror?.documents,
        effect,
        consent === undefined ? undefined : { consent },
        deps.contact,
      );
      if (refusal !== undefined) return { connectors: [], suppressed: refusal };
    }
    return { connectors: connectors.filter((c) => c.capabilities.includes(effect.type)).map((c) => c.name) };
  }

  /** One attempt of one delivery, heartbeating while the connector works, within its deadline. */
  async function deliverOne(connector: Connector, effect: Effect) {
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat(), 1000);
    try {
      await deliverWithin(
        connector,
        effect,
        { attempt: ctx.info.attempt, signal: ctx.cancellationSignal },
        deliveryTimeoutMs,
      );
    } catch (e) {
      // The failure is recorded in the workflow history: no recipient address in it.
      const message = `${connector.name} could not deliver ${effect.type} ${effect.key}: ${redactAddresses(e instanceof Error ? e.message : String(e))}`;
      if (e instanceof DeliveryError) {
        throw ApplicationFailure.create({
          type: 'DELIVERY_FAILED',
          message,
          nonRetryable: !e.retryable,
          nextRetryDelay: e.retryAfterMs,
        });
      }
      throw ApplicationFailure.create({ type: 'DELIVERY_FAILED', message });
    } finally {
      clearInterval(beat);
    }
  }

  return {
    async decide(feedback, now) {
      const raw = await decider.decide(feedback, { segments, now: new Date(now) });
      let decision: Decision;
      try {
        decision = checkedDecision(raw, decider.version, { segments, directory });
      } catch (e) {
        if (!(e instanceof ClosedLoopError)) throw e;
        throw ApplicationFailure.create({
          type: FailureType.INVALID_DECISION,
          message: e.message,
          nonRetryable: true,
        });
      }
      return mirror ? { decision, org, mirror: true } : { decision, org };
    },
    async mirrorLoop(snapshot, at) {
      if (!mirror) {
        throw ApplicationFailure.create({
          type: FailureType.NO_MIRROR,
          message:
            'This worker has no mirror store: give every worker of the task queue the same `mirror` option',
          nonRetryable: true,
        });
      }
      mirrorReady ??= mirror.init().catch((e: unknown) => {
        mirrorReady = undefined;
        throw e;
      });
      await mirrorReady;
      return { written: await writeMirror(mirror, snapshot, at) };
    },
    route,
    async deliverTo(effect, name) {
      const connector = connectors.find((c) => c.name === name);
      if (!connector) {
        throw ApplicationFailure.create({
          type: 'DELIVERY_FAILED',
          message: `connector "${name}" is not configured on this worker: give every worker of the task queue the same connectors`,
          nonRetryable: true,
        });
      }
      await deliverOne(connector, effect);
    },
    async deliver(effect, consent) {
      const routed = await route(effect, consent);
      if (routed.suppressed === undefined)
        for (const name of routed.connectors)
          await deliverOne(connectors.find((c) => c.name === name)!, effect);
      return routed;
    },
  };
}
