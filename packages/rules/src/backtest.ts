import type { DecisionInput, Feedback, SegmentTree } from '@closedloop/core';
import { createRulesDecider, type RulesDeciderOptions } from './decider.ts';
import type { RuleSet } from './types.ts';

/** The parts of a decision a backtest compares. */
export const BACKTEST_FIELDS = [
  'case',
  'segment',
  'owner',
  'priority',
  'alerts',
  'flags',
  'topics',
  'sla',
  'escalation',
  'thankCustomer',
  'resurvey',
] as const;
export type BacktestField = (typeof BACKTEST_FIELDS)[number];

export interface BacktestExample {
  feedbackId: string;
  before: unknown;
  after: unknown;
}

export interface BacktestReport {
  oldVersion: string;
  newVersion: string;
  total: number;
  /** Feedback whose decision differs in any compared field. */
  changed: number;
  totals: { casesOld: number; casesNew: number; alertsOld: number; alertsNew: number };
  /** Per compared field: how many decisions changed it, with examples. */
  fields: { field: BacktestField; count: number; examples: BacktestExample[] }[];
  /** Per rule: how often it fired under each version, with feedback ids where that changed. */
  rules: {
    ruleId: string;
    firedOld: number;
    firedNew: number;
    gained: number;
    lost: number;
    examples: string[];
  }[];
}

export interface BacktestOptions extends RulesDeciderOptions {
  segments: SegmentTree;
  /** Called after each feedback, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
  /** Examples kept per field and per rule. Default 3. */
  examples?: number;
}

/** The owner capture gives a case: the decided one, else the segment's first manager. */
function effectiveOwner(d: DecisionInput, segments: SegmentTree): string | undefined {
  if (!d.case) return undefined;
  if (d.case.owner !== undefined) return d.case.owner;
  return segments.has(d.case.segment) ? segments.managers(d.case.segment)[0] : undefined;
}

function view(d: DecisionInput, field: BacktestField, segments: SegmentTree): unknown {
  switch (field) {
    case 'case':
      return d.case !== undefined;
    case 'segment':
      return d.case?.segment;
    case 'owner':
      return effectiveOwner(d, segments);
    case 'priority':
      return d.case?.priority;
    case 'alerts':
      return (d.alerts ?? []).map(
        (a) => `${a.ruleId}:${a.channel}:${a.template}:${a.recipients?.join('+') ?? ''}`,
      );
    case 'flags':
      return d.classification.flags ?? [];
    case 'topics':
      return d.classification.topics ?? [];
    default:
      return d[field];
  }
}

/**
 * Runs two versions of a rule set over past feedback and reports what would change: cases created,
 * routes, priorities, alerts, per rule, with examples. Each feedback is decided at its own `receivedAt`.
 *
 * @example
 * const report = backtest(loadRuleSet('rules'), loadRuleSet('rules-next'), feedbacks, { segments });
 * console.log(formatBacktest(report));
 */
export function backtest(
  oldSet: RuleSet,
  newSet: RuleSet,
  feedbacks: readonly Feedback[],
  options: BacktestOptions,
): BacktestReport {
  const run = backtestRun(oldSet, newSet, options);
  for (const feedback of feedbacks) run.add(feedback, feedbacks.length);
  return run.report();
}

/**
 * Like {@link backtest}, over feedback that arrives one by one: pages read from a store, lines of
 * a large export. Pass `total` when known so progress can show it.
 *
 * @example
 * async function* fromStore() { for (const id of ids) yield (await store.getFeedback(id))!; }
 * const report = await backtestStream(oldSet, newSet, fromStore(), { segments, total: ids.length });
 */
export async function backtestStream(
  oldSet: RuleSet,
  newSet: RuleSet,
  feedbacks: AsyncIterable<Feedback> | Iterable<Feedback>,
  options: BacktestOptions & { total?: number },
): Promise<BacktestReport> {
  const run = backtestRun(oldSet, newSet, options);
  for await (const feedback of feedbacks) run.add(feedback, options.total);
  return run.report();
}

function backtestRun(oldSet: RuleSet, newSet: RuleSet, options: BacktestOptions) {
  const keep = options.examples ?? 3;
  const before = createRulesDecider(oldSet, options);
  const after = createRulesDecider(newSet, options);
  const fields = new Map(
    BACKTEST_FIELDS.map((f) => [f, { field: f, count: 0, examples: [] as BacktestExample[] }]),
  );
  const rules = new Map<string, BacktestReport['rules'][number]>();
  const rule = (id: string) => {
    let r = rules.get(id);
    if (!r) {
      r = { ruleId: id, firedOld: 0, firedNew: 0, gained: 0, lost: 0, examples: [] };
      rules.set(id, r);
    }
    return r;
  };
  const totals = { casesOld: 0, casesNew: 0, alertsOld: 0, alertsNew: 0 };
  let changed = 0;
  let done = 0;
  const add = (feedback: Feedback, total: number | undefined) => {
    const context = { segments: options.segments, now: new Date(feedback.receivedAt) };
    const a = before.decide(feedback, context) as DecisionInput;
    const b = after.decide(feedback, context) as DecisionInput;
    totals.casesOld += a.case ? 1 : 0;
    totals.casesNew += b.case ? 1 : 0;
    totals.alertsOld += a.alerts?.length ?? 0;
    totals.alertsNew += b.alerts?.length ?? 0;
    let differs = false;
    for (const f of BACKTEST_FIELDS) {
      // Route fields compare only when both versions open a case; "case" counts the rest.
      if ((f === 'segment' || f === 'owner' || f === 'priority') && !(a.case && b.case)) continue;
      const x = view(a, f, options.segments);
      const y = view(b, f, options.segments);
      if (JSON.stringify(x) === JSON.stringify(y)) continue;
      differs = true;
      const entry = fields.get(f)!;
      entry.count++;
      if (entry.examples.length < keep) entry.examples.push({ feedbackId: feedback.id, before: x, after: y });
    }
    if (differs) changed++;
    const oldFired = new Set(a.firedRules ?? []);
    const newFired = new Set(b.firedRules ?? []);
    for (const id of oldFired) rule(id).firedOld++;
    for (const id of newFired) rule(id).firedNew++;
    for (const id of new Set([...oldFired, ...newFired])) {
      const r = rule(id);
      if (oldFired.has(id) === newFired.has(id)) continue;
      if (newFired.has(id)) r.gained++;
      else r.lost++;
      if (r.examples.length < keep) r.examples.push(feedback.id);
    }
    done++;
    options.onProgress?.(done, total ?? done);
  };
  const report = (): BacktestReport => ({
    oldVersion: oldSet.version,
    newVersion: newSet.version,
    total: done,
    changed,
    totals,
    fields: [...fields.values()].filter((f) => f.count > 0),
    rules: [...rules.values()]
      .filter((r) => r.gained + r.lost > 0)
      .sort((x, y) => y.gained + y.lost - (x.gained + x.lost)),
  });
  return { add, report };
}

/**
 * Renders a backtest report as text.
 *
 * @example
 * process.stdout.write(formatBacktest(report));
 */
export function formatBacktest(report: BacktestReport): string {
  const lines = [
    `Backtest ${report.oldVersion} -> ${report.newVersion} over ${report.total} feedback: ${report.changed} decision(s) would change.`,
    `Cases: ${report.totals.casesOld} -> ${report.totals.casesNew}. Alerts: ${report.totals.alertsOld} -> ${report.totals.alertsNew}.`,
  ];
  if (report.fields.length > 0) lines.push('', 'What changes:');
  for (const f of report.fields) {
    lines.push(`  ${f.field}: ${f.count}`);
    for (const e of f.examples)
      lines.push(
        `    e.g. ${e.feedbackId}: ${JSON.stringify(e.before) ?? 'none'} -> ${JSON.stringify(e.after) ?? 'none'}`,
      );
  }
  if (report.rules.length > 0) lines.push('', 'Per rule (fired before -> after):');
  for (const r of report.rules) {
    lines.push(
      `  ${r.ruleId}: ${r.firedOld} -> ${r.firedNew} (+${r.gained} / -${r.lost}); e.g. ${r.examples.join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** An open case as a retroactive run sees it. */
export interface OpenCaseView {
  caseId: string;
  feedback: Feedback;
  segment: string;
  owner?: string;
  priority: 'low' | 'medium' | 'high' | 'critical';
}

/** A change a retroactive run would make to one open case; the caller applies it and writes it to the case's audit log. */
export interface RetroactiveChange {
  caseId: string;
  field: 'segment' | 'owner' | 'priority';
  before: string | undefined;
  after: string | undefined;
  /** Rule-set version and the route rules that decided it, for the audit entry. */
  reason: string;
}

/**
 * Re-decides open cases under a changed rule set and lists the re-routes and re-prioritisations.
 * This package knows no store: apply the changes through the case API, which writes the audit log.
 *
 * @example
 * for (const change of planRetroactive(newSet, openCases, { segments })) {
 *   await loop.cases.update(change.caseId, { [change.field]: change.after }, { actor, note: change.reason });
 * }
 */
export function planRetroactive(
  ruleSet: RuleSet,
  cases: readonly OpenCaseView[],
  options: RulesDeciderOptions & { segments: SegmentTree; now?: Date },
): RetroactiveChange[] {
  const decider = createRulesDecider(ruleSet, options);
  const out: RetroactiveChange[] = [];
  for (const c of cases) {
    const d = decider.decide(c.feedback, {
      segments: options.segments,
      now: options.now ?? new Date(),
    }) as DecisionInput;
    if (!d.case) continue;
    const reason = `rules ${ruleSet.version}: ${(d.firedRules ?? []).join(', ')}`;
    const next = { segment: d.case.segment, owner: d.case.owner, priority: d.case.priority };
    for (const field of ['segment', 'owner', 'priority'] as const) {
      if (field === 'owner' && next.owner === undefined) continue;
      if (next[field] !== c[field])
        out.push({ caseId: c.caseId, field, before: c[field], after: next[field], reason });
    }
  }
  return out;
}
