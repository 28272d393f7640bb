/** The five concerns a rule file can hold, one file each. */
export const RULE_KINDS = ['classify', 'route', 'alert', 'sla', 'escalate'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** A value read from a fact instead of written literally: `{ "fact": "segment" }`. */
export interface FactReference {
  fact: string;
  path?: string;
  params?: Record<string, unknown>;
}

/** A leaf condition: compare a fact (optionally at a JSONPath) with a value using an operator. */
export interface FactCondition {
  fact: string;
  operator: string;
  value: unknown;
  path?: string;
  params?: Record<string, unknown>;
  priority?: number;
  name?: string;
}
export interface AllCondition {
  all: Condition[];
  priority?: number;
  name?: string;
}
export interface AnyCondition {
  any: Condition[];
  priority?: number;
  name?: string;
}
export interface NotCondition {
  not: Condition;
  priority?: number;
  name?: string;
}
/** json-rules-engine 7 condition syntax. */
export type Condition = AllCondition | AnyCondition | NotCondition | FactCondition;
export type TopCondition = AllCondition | AnyCondition | NotCondition;

export interface RuleEventSpec {
  type: string;
  params?: Record<string, unknown>;
}

/** One rule: json-rules-engine's `conditions` / `event` / `priority` plus closedloop metadata. */
export interface Rule {
  id: string;
  name?: string;
  description?: string;
  /** false: the rule is kept in the file but never evaluated. Default true. */
  enabled?: boolean;
  tags?: string[];
  version?: number | string;
  /** Higher runs first. Missing or 0 means 1; decimals are truncated (json-rules-engine). */
  priority?: number;
  conditions: TopCondition;
  event: RuleEventSpec;
}

export type FactType = 'number' | 'string' | 'boolean' | 'array' | 'object' | 'any';

/** A fact a rule may name, with its type (for validation) and what it means (for docs). */
export interface FactDeclaration {
  type: FactType;
  description?: string;
}

/** One rule file (`route.json`, …). */
export interface RuleFile {
  $schema?: string;
  kind: RuleKind;
  /** The version of this file's rules; becomes part of the rule-set version. */
  version?: string;
  description?: string;
  /** Extra facts this file's rules may use, beyond the built-in catalogue. */
  facts?: Record<string, FactDeclaration>;
  rules: Rule[];
}

/** All the rule files of one directory, by kind. */
export interface RuleSet {
  /** Recorded with every decision. */
  version: string;
  files: Partial<Record<RuleKind, RuleFile>>;
  /** Where each file came from, for messages. */
  sources?: Partial<Record<RuleKind, string>>;
}

/** Facts handed to an engine: every top-level key is a fact (json-rules-engine `run(facts)`). */
export type Facts = Record<string, unknown>;

/** One event a rule emitted. */
export interface RuleEvent {
  ruleId: string;
  type: string;
  params: Record<string, unknown>;
  priority: number;
}

/** Events of one rule-priority group, highest priority first; within a group, declaration order. */
export interface EventGroup {
  priority: number;
  events: RuleEvent[];
}

export interface EvaluationResult {
  events: RuleEvent[];
  groups: EventGroup[];
  /** Ids of the rules that fired, in event order. */
  fired: string[];
}
