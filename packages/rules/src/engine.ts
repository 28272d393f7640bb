import type { CompiledRules, CompileOptions } from './compile.ts';
import { compileRules } from './compile.ts';
import type { OperatorContext } from './operators.ts';
import type { RuleTrace } from './trace.ts';
import type { EvaluationResult, Facts, Rule, RuleFile } from './types.ts';

export type RulesEngineOptions = CompileOptions;

/** Decision context for one evaluation: the time (for `withinDays`) and segment tree (for `inSegmentSubtree`). */
export type EvaluateContext = Partial<OperatorContext>;

/** Explained evaluation: the events plus, per rule, which conditions held and the values seen. */
export interface Explanation extends EvaluationResult {
  rules: RuleTrace[];
  /** Set when the evaluation itself fails (an undefined fact, an operator error): no events then. */
  error?: { code: string; message: string };
}

export interface RulesEngine {
  readonly rules: readonly Rule[];
  /** Runs the rules over one set of facts. Throws `RulesError` (UNDEFINED_FACT, OPERATOR_FAILED) as json-rules-engine would reject. */
  evaluate(facts: Facts, context?: EvaluateContext): EvaluationResult;
  /** Like `evaluate`, with a trace per rule. */
  explain(facts: Facts, context?: EvaluateContext): Explanation;
}

/**
 * Compiles a rule file (or a list of rules) into an engine that decides as json-rules-engine 7 does.
 *
 * @example
 * const engine = createRulesEngine({ kind: 'alert', rules: [
 *   { id: 'red', conditions: { all: [{ fact: 'nps', operator: 'lessThanInclusive', value: 3 }] },
 *     event: { type: 'alert', params: { channel: 'slack', template: 'red' } } },
 * ] });
 * engine.evaluate({ nps: 2 }).fired; // ['red']
 */
export function createRulesEngine(
  rules: RuleFile | readonly Rule[],
  options: RulesEngineOptions = {},
): RulesEngine {
  const list = Array.isArray(rules) ? (rules as readonly Rule[]) : (rules as RuleFile).rules;
  const compiled: CompiledRules = compileRules(list, options);
  return {
    rules: list,
    evaluate: (facts, context) => compiled.evaluate(facts, context),
    explain(facts, context) {
      try {
        return { ...compiled.evaluate(facts, context), rules: compiled.trace(facts, context) };
      } catch (e) {
        const error = { code: (e as { code?: string }).code ?? 'ERROR', message: (e as Error).message };
        return { events: [], groups: [], fired: [], rules: compiled.trace(facts, context), error };
      }
    },
  };
}
