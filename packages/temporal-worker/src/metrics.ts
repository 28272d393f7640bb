// The worker's Prometheus metrics (prom-client: label values are escaped by the library).
import type { Worker } from '@temporalio/worker';
import { Counter, Gauge, Registry } from 'prom-client';
import type { LoopActivities } from './activities.ts';

/** The worker's metrics, in their own registry. */
export interface WorkerMetrics {
  readonly registry: Registry;
  decisions: Counter<'ruleset'>;
  decisionFailures: Counter;
  mirrorWrites: Counter;
  mirrorFailures: Counter;
  effectsDelivered: Counter<'type'>;
  effectFailures: Counter<'type'>;
  reportsSent: Counter<'cadence'>;
  reportFailures: Counter<'cadence'>;
  /** Reads the worker's state and status at each scrape. */
  watch(worker: Pick<Worker, 'getState' | 'getStatus'>): void;
}

/**
 * Creates the metrics the worker serves on /metrics.
 *
 * @example
 * const metrics = createWorkerMetrics();
 * metrics.reportsSent.inc({ cadence: 'weekly' });
 * const text = await metrics.registry.metrics();
 */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  let worker: Pick<Worker, 'getState' | 'getStatus'> | undefined;
  const started = Date.now();
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('closedloop_worker_up', 'Whether the worker is running (1) or not (0)', () =>
    worker?.getState() === 'RUNNING' ? 1 : 0,
  );
  gauge('closedloop_worker_uptime_seconds', 'Seconds since the worker started', () =>
    Math.round((Date.now() - started) / 1000),
  );
  gauge(
    'closedloop_worker_activities_in_flight',
    'Activities running now',
    () => worker?.getStatus().numInFlightActivities ?? 0,
  );
  gauge(
    'closedloop_worker_workflow_activations_in_flight',
    'Workflow activations running now',
    () => worker?.getStatus().numInFlightWorkflowActivations ?? 0,
  );
  gauge(
    'closedloop_worker_cached_workflows',
    'Workflows in the worker cache',
    () => worker?.getStatus().numCachedWorkflows ?? 0,
  );
  return {
    registry,
    decisions: counter('closedloop_decisions_total', 'Feedback decided, by rule set version', ['ruleset']),
    decisionFailures: counter('closedloop_decision_failures_total', 'Decisions that failed'),
    mirrorWrites: counter('closedloop_mirror_writes_total', 'Loops written to the mirror'),
    mirrorFailures: counter('closedloop_mirror_failures_total', 'Mirror writes that failed'),
    effectsDelivered: counter('closedloop_effects_delivered_total', 'Effects delivered, by type', ['type']),
    effectFailures: counter('closedloop_effect_failures_total', 'Effect deliveries that failed, by type', [
      'type',
    ]),
    reportsSent: counter('closedloop_reports_sent_total', 'Scheduled reports mailed, by cadence', [
      'cadence',
    ]),
    reportFailures: counter('closedloop_report_failures_total', 'Scheduled reports that failed, by cadence', [
      'cadence',
    ]),
    watch(w) {
      worker = w;
    },
  };
}

/** The loop activities, counted. */
export function instrument(activities: LoopActivities, metrics: WorkerMetrics): LoopActivities {
  return {
    async decide(feedback, now) {
      try {
        const r = await activities.decide(feedback, now);
        metrics.decisions.inc({ ruleset: r.decision.ruleSetVersion });
        return r;
      } catch (e) {
        metrics.decisionFailures.inc();
        throw e;
      }
    },
    async mirrorLoop(snapshot, at) {
      try {
        const r = await activities.mirrorLoop(snapshot, at);
        if (r.written) metrics.mirrorWrites.inc();
        return r;
      } catch (e) {
        metrics.mirrorFailures.inc();
        throw e;
      }
    },
    route: (effect, consent) => activities.route(effect, consent),
    async deliverTo(effect, connector) {
      try {
        await activities.deliverTo(effect, connector);
        metrics.effectsDelivered.inc({ type: effect.type });
      } catch (e) {
        metrics.effectFailures.inc({ type: effect.type });
        throw e;
      }
    },
    async deliver(effect, consent) {
      try {
        const r = await activities.deliver(effect, consent);
        metrics.effectsDelivered.inc({ type: effect.type });
        return r;
      } catch (e) {
        metrics.effectFailures.inc({ type: effect.type });
        throw e;
      }
    },
  };
}
