import type { SegmentTree } from '@closedloop/core';
import { npsCategory } from '@closedloop/core';
import { containsWords, foldText } from './text.ts';
import type { FactType } from './types.ts';

/** What an operator may need besides the two values: the decision time and the segment tree. */
export interface OperatorContext {
  now: Date;
  segments?: SegmentTree;
}

/**
 * An operator rules can name in `"operator"`. Like json-rules-engine's `Operator`, `acceptsFact`
 * guards the fact's type: when it returns false the condition is false and `evaluate` is not called.
 */
export interface OperatorDefinition<F = unknown, V = unknown> {
  name: string;
  description: string;
  acceptsFact?(fact: unknown): boolean;
  evaluate(fact: F, value: V, context: OperatorContext): boolean;
  /** For validation: the fact types the operator works on (omit for any). */
  factTypes?: readonly FactType[];
  /** For validation: a message when a literal `value` cannot work, else undefined. */
  checkValue?(value: unknown): string | undefined;
}

/** A ready-to-call operator: guard plus comparison, as json-rules-engine's `Operator.evaluate`. */
export type OperatorFn = (fact: unknown, value: unknown, context: OperatorContext) => boolean;

/**
 * Declares a custom operator, typed by the fact and value it compares.
 *
 * @example
 * const longerThan = defineOperator<string, number>({
 *   name: 'longerThan',
 *   description: 'the text has more than `value` characters',
 *   acceptsFact: (f) => typeof f === 'string',
 *   evaluate: (fact, value) => fact.length > value,
 *   factTypes: ['string'],
 *   checkValue: (v) => (typeof v === 'number' ? undefined : 'longerThan needs a number'),
 * });
 * createRulesEngine(ruleSet, { operators: [longerThan] });
 */
export function defineOperator<F, V>(definition: OperatorDefinition<F, V>): OperatorDefinition<F, V> {
  return definition;
}

interface Indexable {
  indexOf(x: unknown): number;
}
const isNumberLike = (x: unknown): boolean => Number.parseFloat(x as string).toString() !== 'NaN';
const isNumber = (v: unknown): string | undefined =>
  typeof v === 'number' ? undefined : `this operator compares numbers; write a number, not ${show(v)}`;
const isList = (v: unknown): string | undefined =>
  Array.isArray(v)
    ? undefined
    : typeof v === 'string'
      ? `a string value means "is a substring of ${show(v)}" (json-rules-engine); write a list such as [${show(v)}]`
      : `this operator needs a list of values, not ${show(v)}`;

export function show(v: unknown): string {
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

const builtIn = (
  name: string,
  description: string,
  evaluate: (a: unknown, b: unknown) => boolean,
  extra: Partial<OperatorDefinition> = {},
): OperatorDefinition => ({ name, description, evaluate, ...extra });

/** json-rules-engine 7's operators, with its exact semantics. */
export const JSON_RULES_ENGINE_OPERATORS: readonly OperatorDefinition[] = [
  builtIn('equal', 'fact === value', (a, b) => a === b),
  builtIn('notEqual', 'fact !== value (true for a missing fact)', (a, b) => a !== b),
  builtIn('in', 'the fact is one of the values', (a, b) => (b as Indexable).indexOf(a) > -1, {
    checkValue: isList,
  }),
  builtIn(
    'notIn',
    'the fact is none of the values (true for a missing fact)',
    (a, b) => (b as Indexable).indexOf(a) === -1,
    {
      checkValue: isList,
    },
  ),
  builtIn('contains', 'the fact (a list) contains the value', (a, b) => (a as Indexable).indexOf(b) > -1, {
    acceptsFact: Array.isArray,
    factTypes: ['array'],
  }),
  builtIn(
    'doesNotContain',
    'the fact (a list) does not contain the value',
    (a, b) => (a as Indexable).indexOf(b) === -1,
    {
      acceptsFact: Array.isArray,
      factTypes: ['array'],
    },
  ),
  builtIn('lessThan', 'fact < value', (a, b) => (a as number) < (b as number), {
    acceptsFact: isNumberLike,
    factTypes: ['number'],
    checkValue: isNumber,
  }),
  builtIn('lessThanInclusive', 'fact <= value', (a, b) => (a as number) <= (b as number), {
    acceptsFact: isNumberLike,
    factTypes: ['number'],
    checkValue: isNumber,
  }),
  builtIn('greaterThan', 'fact > value', (a, b) => (a as number) > (b as number), {
    acceptsFact: isNumberLike,
    factTypes: ['number'],
    checkValue: isNumber,
  }),
  builtIn('greaterThanInclusive', 'fact >= value', (a, b) => (a as number) >= (b as number), {
    acceptsFact: isNumberLike,
    factTypes: ['number'],
    checkValue: isNumber,
  }),
];

const NPS = ['promoter', 'passive', 'detractor'];
const strings = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : [v as string]);
const stringOrList = (what: string) => (v: unknown) =>
  typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'))
    ? undefined
    : `write ${what} as a string or a non-empty list of strings, not ${show(v)}`;

const foldedNeedles = new WeakMap<object, string[]>();
function needles(value: unknown): string[] {
  if (typeof value === 'string') return [foldText(value)];
  const arr = value as string[];
  let folded = foldedNeedles.get(arr);
  if (!folded) {
    folded = arr.map((s) => foldText(String(s)));
    foldedNeedles.set(arr, folded);
  }
  return folded;
}
let lastText = '';
let lastFolded = '';
function folded(fact: unknown): string {
  const text = Array.isArray(fact) ? fact.join('\n') : (fact as string);
  if (text !== lastText) {
    lastText = text;
    lastFolded = foldText(text);
  }
  return lastFolded;
}
const isText = (f: unknown) => typeof f === 'string' || Array.isArray(f);
const DAY_MS = 86_400_000;
function timeOf(f: unknown): number {
  if (typeof f === 'number') return f;
  if (typeof f === 'string') return Date.parse(f);
  if (f instanceof Date) return f.getTime();
  return Number.NaN;
}

/** closedloop's CX operators. */
export const CX_OPERATORS: readonly OperatorDefinition[] = [
  defineOperator<number, string | string[]>({
    name: 'npsCategory',
    description: 'the NPS score (0–10) is in the category: "promoter" 9–10, "passive" 7–8, "detractor" 0–6',
    acceptsFact: (f) => typeof f === 'number' && f >= 0 && f <= 10,
    evaluate: (fact, value) => strings(value).includes(npsCategory(fact)),
    factTypes: ['number'],
    checkValue: (v) =>
      strings(v).every((c) => NPS.includes(c))
        ? undefined
        : `NPS categories are "promoter", "passive" and "detractor", not ${show(v)}`,
  }) as OperatorDefinition,
  defineOperator<string | string[], string | string[]>({
    name: 'containsAny',
    description: 'the text contains any of the words or phrases (ignoring case and accents)',
    acceptsFact: isText,
    evaluate: (fact, value) => {
      const text = folded(fact);
      return needles(value).some((n) => containsWords(text, n));
    },
    factTypes: ['string', 'array'],
    checkValue: stringOrList('the words'),
  }) as OperatorDefinition,
  defineOperator<string | string[], string | string[]>({
    name: 'containsAll',
    description: 'the text contains all of the words or phrases (ignoring case and accents)',
    acceptsFact: isText,
    evaluate: (fact, value) => {
      const text = folded(fact);
      return needles(value).every((n) => containsWords(text, n));
    },
    factTypes: ['string', 'array'],
    checkValue: stringOrList('the words'),
  }) as OperatorDefinition,
  defineOperator<string | string[], string | string[]>({
    name: 'matchesTopic',
    description: 'one of the topics is the value or below it ("billing" matches "billing/refund")',
    acceptsFact: isText,
    evaluate: (fact, value) => {
      const topics = strings(fact).map((t) => String(t).toLowerCase());
      return strings(value).some((v) => {
        const want = v.toLowerCase();
        return topics.some((t) => t === want || t.startsWith(`${want}/`));
      });
    },
    factTypes: ['array', 'string'],
    checkValue: stringOrList('the topics'),
  }) as OperatorDefinition,
  defineOperator<unknown, number>({
    name: 'withinDays',
    description: 'the date (ISO text or epoch ms) lies within the last `value` days of the decision time',
    acceptsFact: (f) => !Number.isNaN(timeOf(f)),
    evaluate: (fact, value, { now }) => {
      const t = timeOf(fact);
      return t <= now.getTime() && t >= now.getTime() - value * DAY_MS;
    },
    factTypes: ['string', 'number'],
    checkValue: (v) =>
      typeof v === 'number' && v >= 0 ? undefined : `withinDays needs a number of days, not ${show(v)}`,
  }) as OperatorDefinition,
  defineOperator<number, [number, number]>({
    name: 'between',
    description: 'min <= fact <= max, with value [min, max]',
    acceptsFact: (f) => typeof f === 'number',
    evaluate: (fact, [min, max]) => fact >= min && fact <= max,
    factTypes: ['number'],
    checkValue: (v) =>
      Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')
        ? (v[0] as number) <= (v[1] as number)
          ? undefined
          : `between [${v[0]}, ${v[1]}] can never hold: the minimum is above the maximum`
        : `between needs [min, max], two numbers, not ${show(v)}`,
  }) as OperatorDefinition,
  defineOperator<string, string | string[]>({
    name: 'inSegmentSubtree',
    description: 'the segment is the value or lies below it in the segment tree',
    acceptsFact: (f) => typeof f === 'string',
    evaluate: (fact, value, { segments }) =>
      strings(value).some((root) =>
        segments?.has(fact) && segments.has(root) ? segments.inSubtree(fact, root) : fact === root,
      ),
    factTypes: ['string'],
    checkValue: stringOrList('the segments'),
  }) as OperatorDefinition,
];

interface Decorator {
  acceptsFact?: (fact: unknown) => boolean;
  apply(fact: unknown, value: unknown, next: (f: unknown, v: unknown) => boolean): boolean;
}
const anyOf = (v: unknown) => v as unknown[];
/** json-rules-engine 7's operator decorators (`someFact:equal`, `not:in`, …). */
const DECORATORS: Record<string, Decorator> = {
  someFact: { acceptsFact: Array.isArray, apply: (f, v, next) => anyOf(f).some((x) => next(x, v)) },
  someValue: { apply: (f, v, next) => anyOf(v).some((x) => next(f, x)) },
  everyFact: { acceptsFact: Array.isArray, apply: (f, v, next) => anyOf(f).every((x) => next(x, v)) },
  everyValue: { apply: (f, v, next) => anyOf(v).every((x) => next(f, x)) },
  swap: { apply: (f, v, next) => next(v, f) },
  not: { apply: (f, v, next) => !next(f, v) },
};

/** The operators one engine knows: built-ins, CX operators and any registered from code. */
export class OperatorRegistry {
  readonly #ops = new Map<string, OperatorDefinition>();
  constructor(custom: readonly OperatorDefinition[] = []) {
    for (const op of [...JSON_RULES_ENGINE_OPERATORS, ...CX_OPERATORS, ...custom]) this.#ops.set(op.name, op);
  }
  names(): string[] {
    return [...this.#ops.keys()];
  }
  /** The definition of a plain (undecorated) operator. */
  definition(name: string): OperatorDefinition | undefined {
    return this.#ops.get(name);
  }
  /** The base operator behind `someFact:not:equal`, or undefined when a part is unknown. */
  base(name: string): OperatorDefinition | undefined {
    const parts = name.split(':');
    const base = this.#ops.get(parts.pop()!);
    if (!base) return undefined;
    return parts.every((d) => Object.hasOwn(DECORATORS, d)) ? base : undefined;
  }
  /** Whether the name carries decorators (their fact and value types differ from the base). */
  isDecorated(name: string): boolean {
    return !this.#ops.has(name) && name.includes(':');
  }
  /** A callable operator for a name (with decorators), or undefined if unknown. */
  resolve(name: string): OperatorFn | undefined {
    const direct = this.#ops.get(name);
    if (direct) return plain(direct);
    const at = name.indexOf(':');
    if (at <= 0) return undefined;
    const decorator = DECORATORS[name.slice(0, at)];
    if (!decorator || !Object.hasOwn(DECORATORS, name.slice(0, at))) return undefined;
    const next = this.resolve(name.slice(at + 1));
    if (!next) return undefined;
    const guard = decorator.acceptsFact;
    return (fact, value, ctx) =>
      (guard === undefined || guard(fact)) && decorator.apply(fact, value, (f, v) => next(f, v, ctx));
  }
}

function plain(op: OperatorDefinition): OperatorFn {
  const guard = op.acceptsFact;
  if (!guard) return (fact, value, ctx) => op.evaluate(fact, value, ctx);
  return (fact, value, ctx) => guard(fact) && op.evaluate(fact, value, ctx);
}
