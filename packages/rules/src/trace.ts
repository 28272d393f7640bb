/** What one condition did during an explained evaluation. */
export type ConditionTrace =
  | {
      kind: 'fact';
      fact: string;
      path?: string;
      operator: string;
      /** The value as written in the rule (a `{ fact }` reference stays a reference). */
      value: unknown;
      /** The fact value seen (after `path`). */
      factValue: unknown;
      /** The right-hand value used (a referenced fact's value). */
      valueResult: unknown;
      /** false when a short-circuit skipped the condition. */
      evaluated: boolean;
      result: boolean;
      /** Why the condition could not be evaluated (undefined fact, operator failure). */
      error?: string;
    }
  | { kind: 'all' | 'any'; evaluated: boolean; result: boolean; conditions: ConditionTrace[] }
  | { kind: 'not'; evaluated: boolean; result: boolean; condition: ConditionTrace };

/** Why one rule fired or not. */
export interface RuleTrace {
  ruleId: string;
  name?: string;
  priority: number;
  /** The conditions held (true also for a shadowed rule: see `shadowedBy`). */
  fired: boolean;
  /** Set when the rule's conditions held but its event lost to this earlier rule's. */
  shadowedBy?: string;
  event: { type: string; params: Record<string, unknown> };
  conditions: ConditionTrace;
}
