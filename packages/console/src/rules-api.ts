// Types of the Rules API (contracts: GET /v1/rules, catalogue, validate, explain, backtest, versions).
export const RULE_KINDS = ['classify', 'route', 'alert', 'sla', 'escalate'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface RuleFile {
  kind?: string;
  version?: string;
  description?: string;
  rules: RuleJson[];
  [key: string]: unknown;
}
export interface RuleJson {
  id: string;
  name?: string;
  description?: string;
  enabled?: boolean;
  tags?: string[];
  priority?: number;
  conditions: unknown;
  event: { type: string; params?: Record<string, unknown> };
  [key: string]: unknown;
}
export type Files = Partial<Record<RuleKind, RuleFile>>;

export interface RulesOverview {
  source: 'store' | 'folder';
  readOnly: boolean;
  running: { version: string; publishedAt?: string; publishedBy?: string; comment?: string };
  files: Files;
  sets: {
    kind: RuleKind;
    rules: {
      id: string;
      name?: string;
      words: string;
      event: { type: string; params?: Record<string, unknown> };
      enabled: boolean;
      tags: string[];
      priority?: number;
      lastChange?: { by: string; at: string };
      fired: { d7: number; d30: number };
    }[];
  }[];
}

export interface Catalogue {
  facts: {
    name: string;
    label: string;
    type: 'number' | 'string' | 'boolean' | 'array' | 'date';
    operators: string[];
    values?: { value: string | number | boolean; label: string }[];
    description?: string;
    needsPath?: boolean;
  }[];
  segments: { id: string; name: string; parent?: string }[];
  people: { id: string; name: string }[];
  templates: { id: string; languages: string[] }[];
  topics: string[];
  eventTypes: Record<string, string[]>;
}

export interface ValidationIssue {
  kind?: string;
  path: string;
  message: string;
  hint?: string;
  line?: number;
  column?: number;
}

export interface Explanation {
  decision: Record<string, unknown>;
  rules: {
    kind: string;
    id: string;
    words: string;
    fired: boolean;
    shadowedBy?: string;
    conditions: {
      path: string;
      fact: string;
      operator: string;
      value: unknown;
      seen: unknown;
      held: boolean;
    }[];
  }[];
}

export interface BacktestJob {
  status: 'running' | 'done' | 'failed';
  progress: { done: number; total: number };
  result?: {
    total: number;
    changed: number;
    byRule: { kind: string; id: string; before: number; after: number }[];
    changes: { feedbackId: string; field: string; before: unknown; after: unknown; ruleId?: string }[];
  };
  error?: string;
}

export interface VersionInfo {
  version: string;
  publishedAt: string;
  publishedBy: string;
  comment: string;
  current: boolean;
}
