// json-rules-engine conditions ⇄ react-querybuilder queries, one to one: `all` is a group with
// combinator "and", `any` a group with "or", `not` a group marked `not` holding the one condition
// it negates. Leaves keep fact, operator, value, path and params as they are.
import type { RuleGroupType, RuleType } from 'react-querybuilder';

type JreValue = unknown;
interface JreLeaf {
  fact: string;
  operator: string;
  value: JreValue;
  path?: string;
  params?: Record<string, unknown>;
}
export type JreCondition =
  | JreLeaf
  | { all: JreCondition[]; name?: string; priority?: number }
  | { any: JreCondition[]; name?: string; priority?: number }
  | { not: JreCondition; name?: string; priority?: number };
/** A rule's top-level conditions: always all, any or not. */
export type JreTop = Exclude<JreCondition, JreLeaf>;

type Group = RuleGroupType & { name?: string; priority?: number };
/** `factPath`: json-rules-engine's `path` (react-querybuilder keeps `path` for its own use). */
type Leaf = RuleType & { factPath?: string; params?: Record<string, unknown> };

function extras(c: { name?: string; priority?: number }) {
  return {
    ...(c.name !== undefined ? { name: c.name } : {}),
    ...(c.priority !== undefined ? { priority: c.priority } : {}),
  };
}

function isLeaf(c: JreCondition): c is JreLeaf {
  return typeof (c as JreLeaf).fact === 'string';
}

function itemOf(c: JreCondition): Group | Leaf {
  if (isLeaf(c)) {
    return {
      field: c.fact,
      operator: c.operator,
      value: c.value,
      ...(c.path !== undefined ? { factPath: c.path } : {}),
      ...(c.params !== undefined ? { params: c.params } : {}),
    };
  }
  return toQuery(c);
}

/** A json-rules-engine condition group as a react-querybuilder query. */
export function toQuery(c: JreTop): Group {
  if ('all' in c) return { combinator: 'and', rules: c.all.map(itemOf), ...extras(c) };
  if ('any' in c) return { combinator: 'or', rules: c.any.map(itemOf), ...extras(c) };
  return { combinator: 'and', not: true, rules: [itemOf(c.not)], ...extras(c) };
}

function conditionOf(item: Group | Leaf | string): JreCondition {
  if (typeof item === 'string') throw new Error('independent combinators are not used');
  if ('rules' in item) return toConditions(item);
  const leaf = item as Leaf;
  return {
    fact: leaf.field,
    operator: leaf.operator,
    value: leaf.value,
    ...(leaf.factPath !== undefined ? { path: leaf.factPath } : {}),
    ...(leaf.params !== undefined ? { params: leaf.params } : {}),
  };
}

/**
 * A react-querybuilder query as json-rules-engine conditions. A `not` group of one condition is
 * `{ not: that }`; of several, `{ not: { all | any: [...] } }`.
 */
export function toConditions(q: RuleGroupType): JreTop {
  const g = q as Group;
  const items = g.rules as (Group | Leaf)[];
  const extra = extras(g);
  if (g.not) {
    if (items.length === 1) return { not: conditionOf(items[0]!), ...extra };
    const inner = g.combinator === 'or' ? { any: items.map(conditionOf) } : { all: items.map(conditionOf) };
    return { not: inner, ...extra };
  }
  return g.combinator === 'or'
    ? { any: items.map(conditionOf), ...extra }
    : { all: items.map(conditionOf), ...extra };
}

/**
 * Where a validation issue's path (e.g. `rules[2].conditions.all[0].value`) points in the builder:
 * the rule index in the file and the query path of the condition (`[0]`, `[1, 0]`), or undefined.
 */
export function issueTarget(
  path: string,
): { rule: number; queryPath?: number[]; field?: string } | undefined {
  const m = /^rules\[(\d+)\](.*)$/.exec(path);
  if (!m) return undefined;
  const rule = Number(m[1]);
  let rest = m[2] ?? '';
  if (!rest.startsWith('.conditions')) {
    const field = /^\.(\w+)/.exec(rest)?.[1];
    return { rule, ...(field ? { field } : {}) };
  }
  rest = rest.slice('.conditions'.length);
  const queryPath: number[] = [];
  for (let guard = 0; guard < 100 && rest.length > 0; guard++) {
    const step = /^\.(all|any)\[(\d+)\]|^\.not/.exec(rest);
    if (!step) break;
    queryPath.push(step[2] !== undefined ? Number(step[2]) : 0);
    rest = rest.slice(step[0].length);
  }
  const field = /^\.(\w+)/.exec(rest)?.[1];
  return { rule, queryPath, ...(field ? { field } : {}) };
}
