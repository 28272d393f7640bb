import type { Decider, DecisionContext, DecisionInput, EscalationStep, Feedback } from '@closedloop/core';
import { createRulesEngine, type RulesEngine } from './engine.ts';
import { feedbackFacts } from './facts.ts';
import { loadRuleSet } from './load.ts';
import type { OperatorDefinition } from './operators.ts';
import { shadowedBy } from './shadow.ts';
import type { RuleTrace } from './trace.ts';
import type { RuleEvent, RuleKind, RuleSet } from './types.ts';
import { RULE_KINDS } from './types.ts';

export interface RulesDeciderOptions {
  /** Custom operators the rules use. */
  operators?: readonly OperatorDefinition[];
  /** Open cases per person, for `"assign": "leastLoaded"` pools; without it, least-loaded falls back to round-robin. */
  loadOf?: (personId: string) => number;
  /**
   * Extra facts for the rules (declared under "facts" in the rule files), e.g. from a CRM. They
   * override catalogue facts of the same name.
   */
  facts?: (feedback: Feedback) => Record<string, unknown>;
}

/** A `Decider` backed by rule files, whose rules can be swapped while it runs. */
export interface RulesDecider extends Decider {
  readonly ruleSet: RuleSet;
  /** Replaces the rules atomically: decisions already started finish on the old rules. */
  swap(ruleSet: RuleSet): void;
  /** The decision plus, per kind, why each rule fired or not. */
  explain(
    feedback: Feedback,
    context: DecisionContext,
  ): { decision: DecisionInput; traces: Partial<Record<RuleKind, RuleTrace[]>> };
}

type Priority = 'low' | 'medium' | 'high' | 'critical';

interface Loaded {
  ruleSet: RuleSet;
  engines: Partial<Record<RuleKind, RulesEngine>>;
}

/**
 * Builds core's `Decider` from a rule set (or a rule directory): classify, then route, alert, SLA
 * and escalation rules, each evaluated over the feedback's facts.
 *
 * @example
 * const decider = createRulesDecider('examples/rules/detractor-cases');
 * const loop = createClosedLoop({ decider, store, connectors });
 */
export function createRulesDecider(
  ruleSetOrDir: RuleSet | string,
  options: RulesDeciderOptions = {},
): RulesDecider {
  const compile = (ruleSet: RuleSet): Loaded => {
    const engines: Loaded['engines'] = {};
    for (const kind of RULE_KINDS) {
      const file = ruleSet.files[kind];
      if (file)
        engines[kind] = createRulesEngine(file, {
          operators: options.operators ?? [],
          allowUndefinedFacts: true,
        });
    }
    return { ruleSet, engines };
  };
  let current = compile(
    typeof ruleSetOrDir === 'string'
      ? loadRuleSet(ruleSetOrDir, { operators: options.operators ?? [] })
      : ruleSetOrDir,
  );
  const turns = new Map<string, number>();

  const pick = (ruleId: string, pool: string[], how: unknown): string => {
    if (how === 'leastLoaded' && options.loadOf) {
      let best = pool[0]!;
      let bestLoad = options.loadOf(best);
      for (const p of pool.slice(1)) {
        const load = options.loadOf(p);
        if (load < bestLoad) {
          best = p;
          bestLoad = load;
        }
      }
      return best;
    }
    const turn = turns.get(ruleId) ?? 0;
    turns.set(ruleId, turn + 1);
    return pool[turn % pool.length]!;
  };

  const run = (
    loaded: Loaded,
    feedback: Feedback,
    context: DecisionContext,
    traces?: Partial<Record<RuleKind, RuleTrace[]>>,
  ) => {
    const ctx = { now: context.now, segments: context.segments };
    const fired: string[] = [];
    const evaluate = (kind: RuleKind, facts: Record<string, unknown>): RuleEvent[] => {
      const engine = loaded.engines[kind];
      if (!engine) return [];
      // A rule whose event lost to an earlier rule's (a second openCase, …) did not fire.
      if (traces) {
        const explained = engine.explain(facts, ctx);
        const shadowed = shadowedBy(explained.events);
        traces[kind] = explained.rules.map((t) =>
          shadowed.has(t.ruleId) ? { ...t, shadowedBy: shadowed.get(t.ruleId)! } : t,
        );
        fired.push(...explained.fired.filter((id) => !shadowed.has(id)));
        return explained.events;
      }
      const result = engine.evaluate(facts, ctx);
      const shadowed = shadowedBy(result.events);
      fired.push(...result.fired.filter((id) => !shadowed.has(id)));
      return result.events;
    };
    const first = (events: RuleEvent[], type: string) => events.find((e) => e.type === type);

    const extra = options.facts?.(feedback) ?? {};
    const base = { ...feedbackFacts(feedback), ...extra };
    const classified = evaluate('classify', base);
    const topics = unique(classified.filter((e) => e.type === 'addTopic').map((e) => String(e.params.topic)));
    const flags = unique(
      classified.filter((e) => e.type === 'flag').map((e) => e.params.flag as 'red' | 'yellow'),
    );
    const segment =
      (first(classified, 'setSegment')?.params.segment as string | undefined) ?? feedback.customer.segment;
    const valueBand = first(classified, 'setValueBand')?.params.band as string | undefined;
    const facts = {
      ...feedbackFacts(feedback, {
        topics,
        flags,
        ...(segment ? { segment } : {}),
        ...(valueBand ? { valueBand } : {}),
      }),
      ...extra,
    };
    const classification: DecisionInput['classification'] = {
      ...(base.npsCategory ? { npsCategory: base.npsCategory as 'promoter' } : {}),
      ...(base.csatCategory ? { csatCategory: base.csatCategory as 'satisfied' } : {}),
      flags,
      topics,
      ...(segment ? { segment } : {}),
      ...(valueBand ? { valueBand } : {}),
    };

    const routed = evaluate('route', facts);
    const decision: DecisionInput = {
      ruleSetVersion: loaded.ruleSet.version,
      classification,
      alerts: [],
      firedRules: fired,
    };
    const open = first(routed, 'openCase');
    if (open) {
      const p = open.params;
      // The rule's segment, else the classified one if the tree knows it, else the first root segment.
      const known = segment !== undefined && context.segments.has(segment) ? segment : undefined;
      const caseSegment =
        (p.segment as string | undefined) ??
        known ??
        context.segments.all().find((s) => s.parent === undefined)?.id ??
        'default';
      const pool = p.pool as string[] | undefined;
      const owner = (p.owner as string | undefined) ?? (pool ? pick(open.ruleId, pool, p.assign) : undefined);
      decision.case = { segment: caseSegment, priority: p.priority as Priority, ...(owner ? { owner } : {}) };
    }
    const thank = first(routed, 'thankCustomer');
    if (thank) decision.thankCustomer = { template: String(thank.params.template) };
    const resurvey = first(routed, 'resurvey');
    if (resurvey) decision.resurvey = { afterDays: Number(resurvey.params.afterDays) };

    for (const e of evaluate('alert', facts)) {
      decision.alerts!.push({
        ruleId: e.ruleId,
        channel: String(e.params.channel),
        template: String(e.params.template),
        recipients: [...((e.params.recipients as string[] | undefined) ?? [])],
        params: { ...((e.params.params as Record<string, unknown> | undefined) ?? {}) },
      });
    }
    const sla = first(evaluate('sla', facts), 'setSla');
    if (sla) decision.sla = structuredClone(sla.params) as DecisionInput['sla'];
    const chain = first(evaluate('escalate', facts), 'escalationChain');
    if (chain) decision.escalation = expandChain(chain, loaded.ruleSet);
    return decision;
  };

  return {
    get version() {
      return current.ruleSet.version;
    },
    get ruleSet() {
      return current.ruleSet;
    },
    swap(ruleSet) {
      current = compile(ruleSet);
    },
    decide(feedback, context) {
      return run(current, feedback, context);
    },
    explain(feedback, context) {
      const traces: Partial<Record<RuleKind, RuleTrace[]>> = {};
      const decision = run(current, feedback, context, traces);
      return { decision, traces };
    },
  };
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** The steps of an escalation chain, following `then` links to other escalate rules. */
function expandChain(event: RuleEvent, ruleSet: RuleSet): EscalationStep[] {
  const rules = ruleSet.files.escalate?.rules ?? [];
  const steps: EscalationStep[] = [];
  const seen = new Set<string>();
  let params: Record<string, unknown> | undefined = event.params;
  let id: string | undefined = event.ruleId;
  while (params && id !== undefined && !seen.has(id)) {
    seen.add(id);
    for (const s of (params.steps as Partial<EscalationStep>[]) ?? []) {
      steps.push({
        raisePriority: s.raisePriority ?? true,
        escalate: s.escalate ?? false,
        notify: [...(s.notify ?? ['owner', 'segmentManagers'])],
        ...(s.rearmMinutes === undefined ? {} : { rearmMinutes: s.rearmMinutes }),
      });
    }
    id = typeof params.then === 'string' ? params.then : undefined;
    params = rules.find((r) => r.id === id)?.event.params;
  }
  return steps;
}
