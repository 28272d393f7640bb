import { show } from './operators.ts';
import type { ConditionTrace, RuleTrace } from './trace.ts';

/**
 * Renders rule traces as text a person can read: one block per rule, ✔/✘ per condition, with the
 * fact values seen.
 *
 * @example
 * console.log(formatExplanation(engine.explain({ nps: 3, comment: 'muy caro' })));
 */
export function formatExplanation(traces: readonly RuleTrace[]): string {
  const lines: string[] = [];
  for (const t of traces) {
    const label = t.name ? `${t.ruleId} (${t.name})` : t.ruleId;
    if (t.shadowedBy !== undefined)
      lines.push(
        `⊘ shadowed: ${label}, priority ${t.priority}: its conditions held, but ${t.shadowedBy} came first with ${t.event.type}, so it did not fire`,
      );
    else
      lines.push(
        `${t.fired ? '✔ fired' : '✘ did not fire'}: ${label}, priority ${t.priority}` +
          (t.fired ? ` -> ${t.event.type} ${show(t.event.params)}` : ''),
      );
    conditionLines(t.conditions, '    ', lines);
  }
  return lines.join('\n');
}

function mark(c: ConditionTrace): string {
  if (!c.evaluated) return '·';
  return c.result ? '✔' : '✘';
}

function conditionLines(c: ConditionTrace, indent: string, lines: string[]): void {
  if (c.kind === 'fact') {
    const fact = c.path ? `${c.fact} ${c.path}` : c.fact;
    let line = `${indent}${mark(c)} ${fact} ${c.operator} ${show(c.value)}`;
    if (!c.evaluated) line += ' (skipped: decided by a higher-priority condition)';
    else if (c.error) line += ` (error: ${c.error})`;
    else {
      line += ` (fact was ${show(c.factValue)}`;
      line += show(c.valueResult) === show(c.value) ? ')' : `, value was ${show(c.valueResult)})`;
    }
    lines.push(line);
    return;
  }
  if (c.kind === 'not') {
    lines.push(`${indent}${mark(c)} not`);
    conditionLines(c.condition, `${indent}    `, lines);
    return;
  }
  lines.push(`${indent}${mark(c)} ${c.kind === 'all' ? 'all of' : 'any of'}`);
  for (const child of c.conditions) conditionLines(child, `${indent}    `, lines);
}
