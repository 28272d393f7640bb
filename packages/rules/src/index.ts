// @closedloop/rules: the public API at a glance.

export type {
  BacktestExample,
  BacktestField,
  BacktestOptions,
  BacktestReport,
  OpenCaseView,
  RetroactiveChange,
} from './backtest.ts';
export { BACKTEST_FIELDS, backtest, backtestStream, formatBacktest, planRetroactive } from './backtest.ts';
export type { CatalogueContext, CatalogueFact, RulesCatalogue } from './catalogue.ts';
export { rulesCatalogue } from './catalogue.ts';
export type { CompiledRules, CompileOptions } from './compile.ts';
export { compileRules } from './compile.ts';
export type { RulesDecider, RulesDeciderOptions } from './decider.ts';
export { createRulesDecider } from './decider.ts';
export type { EvaluateContext, Explanation, RulesEngine, RulesEngineOptions } from './engine.ts';
export { createRulesEngine } from './engine.ts';
export type { RuleIssue } from './errors.ts';
export { RulesError, RulesErrorCode } from './errors.ts';
export { formatExplanation } from './explain.ts';
export type { ConditionView, RuleView } from './explain-view.ts';
export { explainView } from './explain-view.ts';
export { FEEDBACK_FACTS, feedbackFacts } from './facts.ts';
export { readFeedbackFile } from './feedback-file.ts';
export type { RuleDiff, RuleFileIssue, RuleFiles } from './files.ts';
export { checkRuleFiles, diffRuleFiles, issueOfFile, pointerToPath, textsOfFiles } from './files.ts';
export type { FixtureCase, FixtureFile, FixtureResult } from './fixtures.ts';
export { runFixtureFile, runFixtures } from './fixtures.ts';
export { FIRST_WINS as FIRST_WINS_EVENTS, KIND_EVENTS } from './kinds.ts';
export type { RuleSetCheck, RuleTexts } from './load.ts';
export { checkRuleTexts, loadRuleSet, readRuleTexts } from './load.ts';
export type { OperatorContext, OperatorDefinition } from './operators.ts';
export { CX_OPERATORS, defineOperator, JSON_RULES_ENGINE_OPERATORS } from './operators.ts';
export { RULES_JSON_SCHEMA } from './schema.ts';
export { shadowedBy } from './shadow.ts';
export type { ConditionTrace, RuleTrace } from './trace.ts';
export type {
  AllCondition,
  AnyCondition,
  Condition,
  EvaluationResult,
  EventGroup,
  FactCondition,
  FactDeclaration,
  FactReference,
  Facts,
  FactType,
  NotCondition,
  Rule,
  RuleEvent,
  RuleEventSpec,
  RuleFile,
  RuleKind,
  RuleSet,
  TopCondition,
} from './types.ts';
export { RULE_KINDS } from './types.ts';
export type { ValidateOptions, ValidationResult } from './validate.ts';
export { bareRules, validateRuleFile } from './validate.ts';
export type { RuleVersion, RuleVersionSummary, RuleVersions } from './versions.ts';
export { RULES_DOCUMENT, ruleVersions } from './versions.ts';
export type { WatchOptions } from './watch.ts';
export { watchRules } from './watch.ts';
export type { WordsContext } from './words.ts';
export { conditionInWords, FACT_LABELS, ruleInWords } from './words.ts';
