// @closedloop/rules: the public API at a glance.
export type { CompiledRules, CompileOptions } from './compile.ts';
export { compileRules } from './compile.ts';
export type { EvaluateContext, Explanation, RulesEngine, RulesEngineOptions } from './engine.ts';
export { createRulesEngine } from './engine.ts';
export type { RuleIssue } from './errors.ts';
export { RulesError, RulesErrorCode } from './errors.ts';
export { formatExplanation } from './explain.ts';
export type { OperatorContext, OperatorDefinition } from './operators.ts';
export { CX_OPERATORS, defineOperator, JSON_RULES_ENGINE_OPERATORS } from './operators.ts';
export type { ConditionTrace, RuleTrace } from './trace.ts';
export type {
  Condition,
  EvaluationResult,
  EventGroup,
  FactDeclaration,
  FactReference,
  Facts,
  FactType,
  Rule,
  RuleEvent,
  RuleFile,
  RuleKind,
  RuleSet,
} from './types.ts';
export { RULE_KINDS } from './types.ts';
