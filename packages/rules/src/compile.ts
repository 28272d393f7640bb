import { RulesError } from './errors.ts';
import type { OperatorContext, OperatorDefinition, OperatorFn } from './operators.ts';
import { OperatorRegistry } from './operators.ts';
import { parsePath, resolvePath } from './path.ts';
import type { ConditionTrace, RuleTrace } from './trace.ts';
import type {
  Condition,
  EvaluationResult,
  EventGroup,
  FactReference,
  Facts,
  Rule,
  RuleEvent,
} from './types.ts';

export interface CompileOptions {
  /** Custom operators, added to the built-in and CX ones. */
  operators?: readonly OperatorDefinition[];
  /** As json-rules-engine's option: a fact missing from the facts reads as undefined instead of failing. */
  allowUndefinedFacts?: boolean;
}

interface Node {
  /** `full`: evaluate every condition of a priority set, as json-rules-engine does, so errors surface. */
  holds(facts: Facts, full: boolean, ctx: OperatorContext): boolean;
  trace(facts: Facts, ctx: OperatorContext, evaluated: boolean): { result: boolean; trace: ConditionTrace };
  /** Can throw for reasons other than an undefined fact (so it is never skipped). */
  mayThrow: boolean;
  priority: number;
}

interface CompiledRule {
  rule: Rule;
  priority: number;
  root: Node;
  event: RuleEvent;
  /**
   * A cheap pre-check: the rule's top-level `all` requires `facts[gateFact] === gateValue`. Used only
   * when every fact is present and nothing in the rule can throw, so skipping changes no outcome.
   */
  gateFact: string | undefined;
  gateValue: unknown;
}

/** A top-level `all` leaf `{ fact, operator: 'equal', value: <primitive> }` without path: the rule's gate. */
function gateOf(conditions: Rule['conditions'], root: Node): { fact: string; value: unknown } | undefined {
  if (root.mayThrow || Object.hasOwn(conditions, 'any') || !Object.hasOwn(conditions, 'all'))
    return undefined;
  for (const c of (conditions as { all: Condition[] }).all) {
    if (
      !Object.hasOwn(c, 'fact') ||
      Object.hasOwn(c, 'any') ||
      Object.hasOwn(c, 'all') ||
      Object.hasOwn(c, 'not')
    )
      continue;
    const leaf = c as Extract<Condition, { fact: string }>;
    const v = leaf.value;
    if (leaf.operator === 'equal' && leaf.path === undefined && (v === null || typeof v !== 'object')) {
      return { fact: leaf.fact, value: v };
    }
  }
  return undefined;
}

/** Rules compiled to closures, grouped by priority. */
export interface CompiledRules {
  readonly rules: readonly Rule[];
  /** Every fact id the rules read. */
  readonly factIds: ReadonlySet<string>;
  evaluate(facts: Facts, context?: Partial<OperatorContext>): EvaluationResult;
  trace(facts: Facts, context?: Partial<OperatorContext>): RuleTrace[];
}

/** json-rules-engine's rule priority: missing or 0 is 1, decimals truncate, negatives are refused. */
export function rulePriority(priority: unknown): number {
  const p = Number.parseInt(String(priority || 1), 10);
  if (p <= 0) throw new RulesError('INVALID_RULES', `Priority must be greater than zero, not ${p}`);
  return p;
}
const conditionPriority = (p: unknown): number => Number.parseInt(String(p), 10) || 1;

const isFactRef = (v: unknown): v is FactReference =>
  v !== null && typeof v === 'object' && Object.hasOwn(v, 'fact');

/**
 * Compiles rules to closures (no `eval`, no `new Function`) that decide exactly as json-rules-engine 7,
 * except that events within one priority group come in declaration order.
 *
 * @example
 * const compiled = compileRules(file.rules);
 * compiled.evaluate({ nps: 3 }).events;
 */
export function compileRules(rules: readonly Rule[], options: CompileOptions = {}): CompiledRules {
  const registry = new OperatorRegistry(options.operators);
  const allowUndefined = options.allowUndefinedFacts === true;
  const factIds = new Set<string>();

  const reader = (id: string, path: string | undefined) => {
    factIds.add(id);
    const segments = path ? parsePath(path) : undefined;
    if (path && !segments) {
      throw new RulesError('INVALID_RULES', `Unsupported path "${path}": use $.a.b, $.a[0] or $['a b']`);
    }
    return (facts: Facts): unknown => {
      if (!Object.hasOwn(facts, id)) {
        if (allowUndefined) return undefined;
        throw new RulesError('UNDEFINED_FACT', `Undefined fact: ${id}`);
      }
      const v = facts[id];
      return segments ? resolvePath(v, segments) : v;
    };
  };

  const leaf = (c: Extract<Condition, { fact: string }>): Node => {
    const op: OperatorFn | undefined = registry.resolve(c.operator);
    if (!op) throw new RulesError('UNKNOWN_OPERATOR', `Unknown operator: ${c.operator}`);
    const readFact = reader(c.fact, c.path);
    const ref = isFactRef(c.value) ? c.value : undefined;
    const readValue = ref ? reader(ref.fact, ref.path) : undefined;
    const literal = c.value;
    const base = registry.base(c.operator)?.name;
    const builtIn = base !== undefined && registry.definition(base) !== undefined && !isCustom(base);
    const mayThrow =
      ref !== undefined ||
      !builtIn ||
      registry.isDecorated(c.operator) ||
      ((base === 'in' || base === 'notIn') && typeof literal !== 'string' && !Array.isArray(literal)) ||
      // A literal the operator does not expect (a rule that skipped validation) may make it throw.
      (base !== 'in' && base !== 'notIn' && registry.definition(base!)?.checkValue?.(literal) !== undefined);
    const compare = (fact: unknown, value: unknown, ctx: OperatorContext): boolean => {
      try {
        return op(fact, value, ctx);
      } catch (cause) {
        throw new RulesError(
          'OPERATOR_FAILED',
          `Operator "${c.operator}" failed on fact "${c.fact}": ${(cause as Error).message}`,
          { cause },
        );
      }
    };
    const holdsLeaf: Node['holds'] = readValue
      ? (facts, _full, ctx) => {
          const value = readValue(facts);
          return compare(readFact(facts), value, ctx);
        }
      : (facts, _full, ctx) => compare(readFact(facts), literal, ctx);
    return {
      mayThrow,
      priority: conditionPriority(c.priority),
      holds: holdsLeaf,
      trace(facts, ctx, evaluated) {
        const t: ConditionTrace = {
          kind: 'fact',
          fact: c.fact,
          ...(c.path === undefined ? {} : { path: c.path }),
          operator: c.operator,
          value: c.value,
          factValue: undefined,
          valueResult: undefined,
          evaluated,
          result: false,
        };
        if (!evaluated) return { result: false, trace: t };
        try {
          t.valueResult = readValue ? readValue(facts) : literal;
          t.factValue = readFact(facts);
          t.result = compare(t.factValue, t.valueResult, ctx) === true;
        } catch (e) {
          t.error = (e as Error).message;
        }
        return { result: t.result, trace: t };
      },
    };
  };

  const group = (kind: 'all' | 'any', children: Node[], priority: number): Node => {
    const isAll = kind === 'all';
    const byPriority = new Map<number, Node[]>();
    for (const child of children)
      byPriority.set(child.priority, [...(byPriority.get(child.priority) ?? []), child]);
    const sets = [...byPriority.entries()].sort((a, b) => b[0] - a[0]).map(([, set]) => set);
    const only = children.length === 1 ? children[0]! : undefined;
    const mayThrow = children.some((c) => c.mayThrow);
    return {
      priority,
      mayThrow,
      holds(facts, full, ctx) {
        if (only) return only.holds(facts, full, ctx) === true;
        if (children.length === 0) return true;
        let result = isAll;
        for (const set of sets) {
          if (result !== isAll) break;
          let setResult = isAll;
          for (const child of set) {
            if (setResult !== isAll && !full && !child.mayThrow) continue;
            const r = child.holds(facts, full, ctx) === true;
            if (r !== isAll) setResult = r;
          }
          result = setResult;
        }
        return result;
      },
      trace(facts, ctx, evaluated) {
        const traces = new Map<Node, ConditionTrace>();
        let result = isAll;
        if (only) {
          const t = only.trace(facts, ctx, evaluated);
          traces.set(only, t.trace);
          result = t.result;
        } else {
          for (const set of sets) {
            const run = evaluated && result === isAll;
            let setResult = isAll;
            for (const child of set) {
              const t = child.trace(facts, ctx, run);
              traces.set(child, t.trace);
              if (run && t.result !== isAll) setResult = t.result;
            }
            if (run) result = setResult;
          }
        }
        if (children.length === 0) result = true;
        const conditions = children.map((c) => traces.get(c)!);
        return {
          result: evaluated && result,
          trace: { kind, evaluated, result: evaluated && result, conditions },
        };
      },
    };
  };

  const node = (c: Condition): Node => {
    if (Object.hasOwn(c, 'any')) {
      const g = c as { any: Condition[]; priority?: number };
      return group('any', g.any.map(node), conditionPriority(g.priority));
    }
    if (Object.hasOwn(c, 'all')) {
      const g = c as { all: Condition[]; priority?: number };
      return group('all', g.all.map(node), conditionPriority(g.priority));
    }
    if (Object.hasOwn(c, 'not')) {
      const g = c as { not: Condition; priority?: number };
      const inner = node(g.not);
      return {
        priority: conditionPriority(g.priority),
        mayThrow: inner.mayThrow,
        holds: (facts, full, ctx) => !inner.holds(facts, full, ctx),
        trace(facts, ctx, evaluated) {
          const t = inner.trace(facts, ctx, evaluated);
          const result = evaluated && !t.result;
          return { result, trace: { kind: 'not', evaluated, result, condition: t.trace } };
        },
      };
    }
    return leaf(c as Extract<Condition, { fact: string }>);
  };

  function isCustom(name: string): boolean {
    return (options.operators ?? []).some((o) => o.name === name);
  }

  const compiled: CompiledRule[] = rules
    .filter((r) => r.enabled !== false)
    .map((rule) => {
      const priority = rulePriority(rule.priority);
      const root = node(rule.conditions);
      const gate = gateOf(rule.conditions, root);
      return {
        rule,
        priority,
        root,
        gateFact: gate?.fact,
        gateValue: gate?.value,
        event: Object.freeze({
          ruleId: rule.id,
          type: rule.event.type,
          params: Object.freeze({ ...(rule.event.params ?? {}) }),
          priority,
        }),
      };
    });
  const byPriority = new Map<number, CompiledRule[]>();
  for (const r of compiled) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const ruleGroups = [...byPriority.entries()].sort((a, b) => b[0] - a[0]);
  const ids = [...factIds];

  const contextOf = (c: Partial<OperatorContext> | undefined): OperatorContext => ({
    now: c?.now ?? new Date(),
    ...(c?.segments ? { segments: c.segments } : {}),
  });

  return {
    rules,
    factIds,
    evaluate(facts, context) {
      const ctx = contextOf(context);
      let full = false;
      if (!allowUndefined) for (const id of ids) if (!Object.hasOwn(facts, id)) full = true;
      const groups: EventGroup[] = [];
      const events: RuleEvent[] = [];
      const fired: string[] = [];
      for (const [priority, group] of ruleGroups) {
        let out: RuleEvent[] | undefined;
        for (const r of group) {
          if (!full && r.gateFact !== undefined && facts[r.gateFact] !== r.gateValue) continue;
          if (r.root.holds(facts, full, ctx)) {
            out ??= [];
            out.push(r.event);
            events.push(r.event);
            fired.push(r.rule.id);
          }
        }
        if (out) groups.push({ priority, events: out });
      }
      return { events, groups, fired };
    },
    trace(facts, context) {
      const ctx = contextOf(context);
      const out: RuleTrace[] = [];
      for (const [, group] of ruleGroups) {
        for (const r of group) {
          const t = r.root.trace(facts, ctx, true);
          out.push({
            ruleId: r.rule.id,
            ...(r.rule.name === undefined ? {} : { name: r.rule.name }),
            priority: r.priority,
            fired: t.result,
            event: { type: r.event.type, params: r.event.params },
            conditions: t.trace,
          });
        }
      }
      return out;
    },
  };
}
