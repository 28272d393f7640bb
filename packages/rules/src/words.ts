import type { Condition, FactReference, Rule } from './types.ts';

/** Names to show instead of ids: segments and people by id. */
export interface WordsContext {
  segments?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  people?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

/** How facts read in a sentence. */
export const FACT_LABELS: Readonly<Record<string, string>> = {
  nps: 'NPS',
  csat: 'CSAT',
  npsCategory: 'NPS category',
  csatCategory: 'CSAT category',
  comment: 'comment',
  language: 'language',
  touchpoint: 'touchpoint',
  source: 'source',
  customer: 'customer',
  anonymous: 'anonymous',
  customerEmail: 'customer email',
  customerValue: 'customer value',
  attributes: 'customer attribute',
  segment: 'segment',
  answers: 'answers',
  answersByQuestion: 'answer to',
  receivedAt: 'received',
  topics: 'topics',
  flags: 'flags',
  valueBand: 'value band',
};

const OPERATOR_WORDS: Readonly<Record<string, string>> = {
  equal: 'is',
  notEqual: 'is not',
  in: 'is one of',
  notIn: 'is not one of',
  contains: 'contains',
  doesNotContain: 'does not contain',
  lessThan: 'is less than',
  lessThanInclusive: 'is at most',
  greaterThan: 'is more than',
  greaterThanInclusive: 'is at least',
  npsCategory: 'is',
  containsAny: 'mentions any of',
  containsAll: 'mentions all of',
  matchesTopic: 'include topic',
  withinDays: 'within the last',
  between: 'is between',
  inSegmentSubtree: 'is within',
};

const lookup = (names: WordsContext['segments'], id: string): string | undefined =>
  names instanceof Map ? names.get(id) : (names as Record<string, string> | undefined)?.[id];

function factLabel(fact: string, path?: string): string {
  const label = FACT_LABELS[fact] ?? fact;
  if (!path) return label;
  const part = path.replace(/^\$\.?/, '').replace(/\[['"]?([^'"\]]+)['"]?\]/g, '.$1');
  return `${label} ${part}`.trim();
}

function valueWords(fact: string, operator: string, value: unknown, ctx: WordsContext): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'fact' in value) {
    const ref = value as FactReference;
    return `the ${factLabel(ref.fact, ref.path)}`;
  }
  const one = (v: unknown): string => {
    if (typeof v === 'string') {
      if (fact === 'segment' || operator === 'inSegmentSubtree') return lookup(ctx.segments, v) ?? v;
      const person = lookup(ctx.people, v);
      return person ?? v;
    }
    return JSON.stringify(v);
  };
  if (operator === 'between' && Array.isArray(value)) return `${one(value[0])} and ${one(value[1])}`;
  if (operator === 'withinDays') return `${one(value)} days`;
  if (Array.isArray(value)) {
    const parts = value.map(one);
    if (parts.length <= 1) return parts.join('');
    const joiner = operator === 'containsAll' ? 'and' : 'or';
    return `${parts.slice(0, -1).join(', ')} ${joiner} ${parts.at(-1)}`;
  }
  return one(value);
}

/**
 * One condition (or group) in words: `NPS is detractor and segment is within Spain`.
 *
 * @example
 * conditionInWords({ fact: 'nps', operator: 'npsCategory', value: 'detractor' }); // 'NPS is detractor'
 */
export function conditionInWords(condition: Condition, ctx: WordsContext = {}, nested = false): string {
  if ('all' in condition || 'any' in condition) {
    const list = 'all' in condition ? condition.all : condition.any;
    if (list.length === 0) return 'all' in condition ? 'always' : 'never';
    const text = list.map((c) => conditionInWords(c, ctx, true)).join('all' in condition ? ' and ' : ' or ');
    return nested && list.length > 1 ? `(${text})` : text;
  }
  if ('not' in condition) return `not ${conditionInWords(condition.not, ctx, true)}`;
  const [decorator, base] = condition.operator.includes(':')
    ? (condition.operator.split(':', 2) as [string, string])
    : [undefined, condition.operator];
  const verb = OPERATOR_WORDS[base] ?? base;
  const fact = factLabel(condition.fact, condition.path);
  const value = valueWords(condition.fact, base, condition.value, ctx);
  if (base === 'withinDays') return `${fact} within the last ${value}`;
  const sentence = `${fact} ${verb} ${value}`;
  return decorator === 'not' ? `not (${sentence})` : decorator ? `${sentence} (${decorator})` : sentence;
}

/**
 * A rule's conditions in words, for people who do not read JSON.
 *
 * @example
 * ruleInWords(rule, { segments: new Map([['es', 'Spain']]) });
 * // 'NPS is detractor and segment is within Spain'
 */
export function ruleInWords(rule: Pick<Rule, 'conditions'>, ctx: WordsContext = {}): string {
  return conditionInWords(rule.conditions, ctx);
}
