import { FIRST_WINS } from './kinds.ts';
import type { RuleEvent } from './types.ts';

/**
 * Which fired rules lost to an earlier one: for event types where only the first counts
 * (`openCase`, `setSla`, …), every later event of that type is shadowed by the first.
 * Returns shadowed rule id → the winning rule's id.
 *
 * @example
 * shadowedBy(engine.evaluate(facts).events); // Map { 'detractor-case' => 'detractor-high-value' }
 */
export function shadowedBy(events: readonly RuleEvent[]): Map<string, string> {
  const winner = new Map<string, string>();
  const out = new Map<string, string>();
  for (const e of events) {
    if (!FIRST_WINS.has(e.type)) continue;
    const first = winner.get(e.type);
    if (first === undefined) winner.set(e.type, e.ruleId);
    else if (first !== e.ruleId) out.set(e.ruleId, first);
  }
  return out;
}
