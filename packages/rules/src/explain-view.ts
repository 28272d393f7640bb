import type { DecisionInput } from '@closedloop/core';
import type { ConditionTrace, RuleTrace } from './trace.ts';
import type { RuleKind, RuleSet } from './types.ts';
import { RULE_KINDS } from './types.ts';
import { ruleInWords, type WordsContext } from './words.ts';

/** One leaf condition as an explain view shows it. */
export interface ConditionView {
  /** Where it sits in the rule, e.g. `conditions.all[1]`. */
  path: string;
  fact: string;
  factPath?: string;
  operator: string;
  value: unknown;
  /** The fact value seen. */
  seen: unknown;
  held: boolean;
  /** Not evaluated: an earlier condition already decided the group. */
  skipped?: true;
  error?: string;
}

/** One rule as an explain view shows it. */
export interface RuleView {
  kind: RuleKind;
  id: string;
  name?: string;
  words: string;
  /** Its event counted: the conditions held and no earlier rule's event won over it. */
  fired: boolean;
  /** The conditions held, but this earlier rule's event won. */
  shadowedBy?: string;
  event: { type: string; params: Record<string, unknown> };
  conditions: ConditionView[];
}

function leaves(c: ConditionTrace, path: string, out: ConditionView[]): void {
  if (c.kind === 'fact') {
    out.push({
      path,
      fact: c.fact,
      ...(c.path ? { factPath: c.path } : {}),
      operator: c.operator,
      value: c.value,
      seen: c.factValue,
      held: c.evaluated && c.result,
      ...(c.evaluated ? {} : { skipped: true as const }),
      ...(c.error ? { error: c.error } : {}),
    });
    return;
  }
  if (c.kind === 'not') {
    leaves(c.condition, `${path}.not`, out);
    return;
  }
  c.conditions.forEach((child, i) => {
    leaves(child, `${path}.${c.kind}[${i}]`, out);
  });
}

/**
 * The explanation of one decision as data for a screen: per rule its words, whether it fired or
 * was shadowed, and each condition held or failed with the value seen.
 *
 * @example
 * const { decision, traces } = decider.explain(feedback, context);
 * explainView(decider.ruleSet, decision, traces, { segments: names });
 */
export function explainView(
  ruleSet: RuleSet,
  decision: DecisionInput,
  traces: Partial<Record<RuleKind, RuleTrace[]>>,
  words: WordsContext = {},
): { decision: DecisionInput; rules: RuleView[] } {
  const rules: RuleView[] = [];
  for (const kind of RULE_KINDS) {
    for (const t of traces[kind] ?? []) {
      const rule = ruleSet.files[kind]?.rules.find((r) => r.id === t.ruleId);
      const conditions: ConditionView[] = [];
      leaves(t.conditions, 'conditions', conditions);
      rules.push({
        kind,
        id: t.ruleId,
        ...(t.name ? { name: t.name } : {}),
        words: rule ? ruleInWords(rule, words) : '',
        fired: t.fired && t.shadowedBy === undefined,
        ...(t.shadowedBy !== undefined ? { shadowedBy: t.shadowedBy } : {}),
        event: t.event,
        conditions,
      });
    }
  }
  return { decision, rules };
}
