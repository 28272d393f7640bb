// Checks a schema-valid rule file for mistakes the schema cannot see.
import { rulePriority } from './compile.ts';
import { FIRST_WINS, KIND_EVENTS } from './kinds.ts';
import type { OperatorRegistry } from './operators.ts';
import { show } from './operators.ts';
import { parsePath } from './path.ts';
import { toPointer } from './positions.ts';
import { closest } from './suggest.ts';
import type { Condition, FactDeclaration, Rule, RuleFile } from './types.ts';

export interface SemanticIssue {
  pointer: string;
  message: string;
  hint: string;
}

type Path = (string | number)[];
type Leaf = Extract<Condition, { fact: string }>;

const isRef = (v: unknown): v is { fact: unknown } =>
  v !== null && typeof v === 'object' && Object.hasOwn(v, 'fact');
const typeOf = (v: unknown): string =>
  Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v;

/** Semantic checks of one file: facts, operators, values, event types, duplicates, dead and shadowed rules. */
export function checkRuleFile(
  file: RuleFile,
  facts: Readonly<Record<string, FactDeclaration>>,
  registry: OperatorRegistry,
): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const add = (path: Path, message: string, hint: string) =>
    issues.push({ pointer: toPointer(path), message, hint });
  const known = { ...facts, ...(file.facts ?? {}) };
  const allowed = KIND_EVENTS[file.kind];

  const checkFactName = (name: unknown, path: Path) => {
    if (typeof name !== 'string' || Object.hasOwn(known, name)) return;
    const near = closest(name, Object.keys(known));
    add(
      path,
      `Unknown fact "${name}"`,
      near
        ? `did you mean "${near}"? Or declare it under "facts" at the top of the file`
        : `use a catalogue fact (${Object.keys(known).slice(0, 8).join(', ')}, …) or declare it under "facts"`,
    );
  };

  const checkLeaf = (c: Leaf, path: Path) => {
    checkFactName(c.fact, [...path, 'fact']);
    const declared = known[c.fact]?.type;
    if (c.path !== undefined && (declared === 'number' || declared === 'string' || declared === 'boolean')) {
      add(
        [...path, 'path'],
        `Fact "${c.fact}" is ${article(declared)}, so "path" ${show(c.path)} reads nothing: the condition sees the whole fact`,
        'remove "path", or use it on an object fact such as "customer" or "attributes"',
      );
    }
    if (c.path !== undefined && !parsePath(c.path)) {
      add(
        [...path, 'path'],
        `Unsupported path ${show(c.path)}`,
        'write a JSONPath such as "$.segment" or "$.items[0]"',
      );
    }
    const op = registry.base(c.operator);
    if (!op) {
      const near = closest(c.operator, registry.names());
      add(
        [...path, 'operator'],
        `Unknown operator "${c.operator}"`,
        near ? `did you mean "${near}"?` : `use one of: ${registry.names().join(', ')}`,
      );
      return;
    }
    if (isRef(c.value)) {
      checkFactName(c.value.fact, [...path, 'value', 'fact']);
      return;
    }
    if (registry.isDecorated(c.operator)) return;
    const factType = c.path === undefined ? known[c.fact]?.type : undefined;
    if (factType && factType !== 'any' && op.factTypes && !op.factTypes.includes(factType)) {
      add(
        [...path, 'operator'],
        `Operator "${c.operator}" does not work on fact "${c.fact}", which is ${article(factType)}`,
        `"${c.operator}" works on ${op.factTypes.join(' or ')} facts; pick another operator or fact`,
      );
      return;
    }
    const problem = op.checkValue?.(c.value);
    if (problem) {
      add([...path, 'value'], `Value ${show(c.value)} does not fit operator "${c.operator}"`, problem);
      return;
    }
    if (
      (op.name === 'equal' || op.name === 'notEqual') &&
      factType &&
      factType !== 'any' &&
      c.value !== null &&
      typeOf(c.value) !== factType
    ) {
      add(
        [...path, 'value'],
        `Fact "${c.fact}" is ${article(factType)} but the value ${show(c.value)} is ${article(typeOf(c.value))}, so "${c.operator}" ${op.name === 'equal' ? 'never' : 'always'} holds`,
        `write the value as ${article(factType)}${factType === 'number' && typeof c.value === 'string' ? `: ${Number(c.value)}` : ''}`,
      );
    }
  };

  const walk = (c: Condition, path: Path) => {
    const keys = ['all', 'any', 'not', 'fact'].filter((k) => Object.hasOwn(c, k));
    if (keys.length !== 1) {
      add(
        path,
        keys.length === 0
          ? 'A condition needs "all", "any", "not", or "fact" with "operator" and "value"'
          : `A condition has both ${keys.map((k) => `"${k}"`).join(' and ')}`,
        'split it into separate conditions inside an "all" or "any"',
      );
      return;
    }
    if ('all' in c)
      c.all.forEach((x, i) => {
        walk(x, [...path, 'all', i]);
      });
    else if ('any' in c)
      c.any.forEach((x, i) => {
        walk(x, [...path, 'any', i]);
      });
    else if ('not' in c) walk(c.not, [...path, 'not']);
    else {
      const missing = ['operator', 'value'].filter((k) => !Object.hasOwn(c, k));
      if (missing.length > 0) {
        add(
          path,
          `The condition on fact "${c.fact}" lacks ${missing.map((m) => `"${m}"`).join(' and ')}`,
          'add them, e.g. "operator": "equal", "value": "detractor"',
        );
        return;
      }
      checkLeaf(c, path);
    }
  };

  const seen = new Map<string, number>();
  file.rules.forEach((rule, i) => {
    const at: Path = ['rules', i];
    const first = seen.get(rule.id);
    if (first !== undefined)
      add(
        [...at, 'id'],
        `Duplicate rule id "${rule.id}" (also rule ${first + 1} of this file)`,
        'give each rule its own id',
      );
    else seen.set(rule.id, i);
    const top = rule.conditions as Condition;
    if (!('all' in top) && !('any' in top) && !('not' in top)) {
      add(
        [...at, 'conditions'],
        'The rule\'s conditions need "all", "any" or "not" at the top',
        'wrap the condition: { "all": [ … ] }',
      );
    } else walk(top, [...at, 'conditions']);
    if (!allowed.includes(rule.event.type)) {
      const other = Object.entries(KIND_EVENTS).find(([, types]) => types.includes(rule.event.type))?.[0];
      add(
        [...at, 'event', 'type'],
        `Event type "${rule.event.type}" is not allowed in a ${file.kind} file`,
        other ? `move this rule to ${other}.json, or use ${allowed.join(', ')}` : `use ${allowed.join(', ')}`,
      );
    }
    if (rule.priority !== undefined && rule.priority > 0 && rule.priority < 1) {
      add(
        [...at, 'priority'],
        `Priority ${rule.priority} truncates to 0, which json-rules-engine refuses`,
        'use a whole number of 1 or more (0 or no priority means 1)',
      );
    }
    const dead = whyNever(top);
    if (dead && rule.enabled !== false)
      add(
        [...at, 'conditions'],
        `Rule "${rule.id}" can never fire: ${dead}`,
        'fix or remove the contradicting conditions',
      );
  });

  // Shadowing: for event types where the first fired event wins, a later rule whose conditions are those of
  // an earlier rule (or an earlier rule that always fires) can never change the decision.
  const order = file.rules
    .map((rule, i) => ({ rule, i, priority: safePriority(rule) }))
    .filter((r) => r.rule.enabled !== false)
    .sort((a, b) => b.priority - a.priority || a.i - b.i);
  const alwaysBy = new Map<string, Rule>();
  const sameBy = new Map<string, Rule>();
  for (const later of order) {
    const type = later.rule.event.type;
    if (!FIRST_WINS.has(type)) continue;
    const key = `${type}|${JSON.stringify(later.rule.conditions)}`;
    const earlier = alwaysBy.get(type) ?? sameBy.get(key);
    if (earlier) {
      const always = alwaysBy.has(type);
      add(
        ['rules', later.i],
        `Rule "${later.rule.id}" is shadowed by "${earlier.id}": ${always ? `"${earlier.id}" always fires` : 'they have the same conditions'} and runs first, and only the first ${type} counts`,
        `give "${later.rule.id}" a higher priority, narrow "${earlier.id}", or remove one`,
      );
      continue;
    }
    if (!sameBy.has(key)) sameBy.set(key, later.rule);
    if (alwaysHolds(later.rule.conditions as Condition)) alwaysBy.set(type, later.rule);
  }

  if (file.kind === 'escalate') checkChains(file.rules, add);
  return issues;
}

function safePriority(rule: Rule): number {
  try {
    return rulePriority(rule.priority);
  } catch {
    return 1;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function alwaysHolds(c: Condition): boolean {
  if ('all' in c) return c.all.every(alwaysHolds);
  if ('any' in c) return c.any.length === 0 || c.any.some(alwaysHolds);
  return false;
}

/** A reason the condition can never hold, from literal contradictions; undefined when it may hold. */
function whyNever(c: Condition): string | undefined {
  if ('not' in c) return alwaysHolds(c.not) ? 'its "not" negates a condition that always holds' : undefined;
  if ('any' in c) {
    if (c.any.length === 0) return undefined;
    const reasons = c.any.map(whyNever);
    return reasons.every((r) => r !== undefined) ? reasons[0] : undefined;
  }
  if (!('all' in c)) {
    const leaf = c as Leaf;
    if (leaf.operator === 'in' && Array.isArray(leaf.value) && leaf.value.length === 0)
      return `"${leaf.fact}" in [] never holds`;
    return undefined;
  }
  const bounds = new Map<
    string,
    { lo: number; loIncl: boolean; hi: number; hiIncl: boolean; eq?: unknown }
  >();
  for (const child of c.all) {
    const inner = whyNever(child);
    if (inner) return inner;
    if (!('fact' in child) || isRef(child.value)) continue;
    const key = `${child.fact}${child.path ?? ''}`;
    const b = bounds.get(key) ?? {
      lo: Number.NEGATIVE_INFINITY,
      loIncl: true,
      hi: Number.POSITIVE_INFINITY,
      hiIncl: true,
    };
    const v = child.value;
    const num = typeof v === 'number';
    switch (child.operator) {
      case 'equal':
        if (b.eq !== undefined && b.eq !== v)
          return `"${key}" cannot equal both ${show(b.eq)} and ${show(v)}`;
        b.eq = v;
        if (num) tighten(b, v, true, v, true);
        break;
      case 'greaterThan':
        if (num) tighten(b, v, false, undefined, true);
        break;
      case 'greaterThanInclusive':
        if (num) tighten(b, v, true, undefined, true);
        break;
      case 'lessThan':
        if (num) tighten(b, undefined, true, v, false);
        break;
      case 'lessThanInclusive':
        if (num) tighten(b, undefined, true, v, true);
        break;
      case 'between':
        if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number')
          tighten(b, v[0], true, v[1], true);
        break;
    }
    bounds.set(key, b);
    if (b.lo > b.hi || (b.lo === b.hi && !(b.loIncl && b.hiIncl))) {
      return `"${key}" would have to be ${b.loIncl ? '>=' : '>'} ${b.lo} and ${b.hiIncl ? '<=' : '<'} ${b.hi}`;
    }
  }
  for (const child of c.all) {
    if (!('fact' in child) || child.operator !== 'notEqual' || isRef(child.value)) continue;
    const b = bounds.get(`${child.fact}${child.path ?? ''}`);
    if (b?.eq !== undefined && b.eq === child.value)
      return `"${child.fact}" cannot both equal and not equal ${show(child.value)}`;
  }
  return undefined;
}

function tighten(
  b: { lo: number; loIncl: boolean; hi: number; hiIncl: boolean },
  lo: number | undefined,
  loIncl: boolean,
  hi: number | undefined,
  hiIncl: boolean,
): void {
  if (lo !== undefined && (lo > b.lo || (lo === b.lo && !loIncl))) {
    b.lo = lo;
    b.loIncl = loIncl;
  }
  if (hi !== undefined && (hi < b.hi || (hi === b.hi && !hiIncl))) {
    b.hi = hi;
    b.hiIncl = hiIncl;
  }
}

function checkChains(rules: readonly Rule[], add: (path: Path, message: string, hint: string) => void): void {
  const index = new Map(rules.map((r, i) => [r.id, i]));
  rules.forEach((rule, i) => {
    const then = rule.event.params?.then;
    if (typeof then !== 'string') return;
    if (!index.has(then)) {
      const near = closest(then, index.keys());
      add(
        ['rules', i, 'event', 'params', 'then'],
        `Escalation chain "${rule.id}" continues with "${then}", which is not a rule of this file`,
        near ? `did you mean "${near}"?` : 'name an escalate rule id',
      );
      return;
    }
    const visited = [rule.id];
    let cur: string | undefined = then;
    while (cur !== undefined && index.has(cur)) {
      if (visited.includes(cur)) {
        if (cur === rule.id) {
          add(
            ['rules', i, 'event', 'params', 'then'],
            `Escalation chains form a cycle: ${[...visited, cur].join(' -> ')}`,
            'end one of the chains: remove its "then"',
          );
        }
        return;
      }
      visited.push(cur);
      const next: unknown = rules[index.get(cur)!]!.event.params?.then;
      cur = typeof next === 'string' ? next : undefined;
    }
  });
}
