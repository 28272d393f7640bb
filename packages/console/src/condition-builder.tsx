import { useMemo } from 'react';
import {
  type Field,
  type FullOperator,
  QueryBuilder,
  type RuleGroupType,
  type ValueEditorProps,
} from 'react-querybuilder';
import type { Catalogue } from './rules-api.ts';

const LIST_OPERATORS = new Set(['in', 'notIn', 'containsAny', 'containsAll', 'between']);
const OPERATOR_LABELS: Record<string, string> = {
  equal: 'is',
  notEqual: 'is not',
  in: 'is one of',
  notIn: 'is none of',
  lessThan: 'is less than',
  lessThanInclusive: 'is at most',
  greaterThan: 'is more than',
  greaterThanInclusive: 'is at least',
  contains: 'contains',
  doesNotContain: 'does not contain',
  containsAny: 'contains any of',
  containsAll: 'contains all of',
  npsCategory: 'is in NPS category',
  between: 'is between',
  inSegmentSubtree: 'is within segment',
};

interface BuilderContext {
  /** Problems found by validation at a condition (by its query path, e.g. "0.1"). */
  issuesAt(path: number[]): string[];
  catalogue: Catalogue;
}

/** Parses what a person typed into the JSON value a condition compares with, by the fact's type. */
function parseValue(text: string, type: string, operator: string): unknown {
  const one = (s: string): unknown => {
    const t = s.trim();
    if (type === 'number' && t !== '' && !Number.isNaN(Number(t))) return Number(t);
    if (type === 'boolean' && (t === 'true' || t === 'false')) return t === 'true';
    return t;
  };
  if (LIST_OPERATORS.has(operator))
    return text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(one);
  return one(text);
}

/** The text shown for a condition's value. */
function valueText(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function ValueEditor(props: ValueEditorProps) {
  const ctx = props.context as BuilderContext;
  const fact = ctx.catalogue.facts.find((f) => f.name === props.field);
  const type = fact?.type ?? 'string';
  const issues = ctx.issuesAt(props.path);
  const id = `value-${props.path.join('-')}`;
  const errId = `${id}-error`;
  const label = `Value for ${fact?.label ?? props.field}`;
  // A number fact's values are its categories (NPS: detractor…): a pick list only for that operator.
  const pick =
    fact?.values &&
    !LIST_OPERATORS.has(props.operator) &&
    (type !== 'number' || props.operator === 'npsCategory')
      ? fact.values
      : undefined;
  const pickType = props.operator === 'npsCategory' ? 'string' : type;
  const describedBy = issues.length > 0 ? errId : undefined;
  return (
    <span className="value-editor">
      {pick ? (
        <select
          id={id}
          aria-label={label}
          aria-invalid={issues.length > 0}
          aria-describedby={describedBy}
          value={valueText(props.value)}
          onChange={(e) => props.handleOnChange(parseValue(e.target.value, pickType, props.operator))}
        >
          <option value="">— choose —</option>
          {pick.map((v) => (
            <option key={String(v.value)} value={String(v.value)}>
              {v.label}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          aria-label={LIST_OPERATORS.has(props.operator) ? `${label} (comma-separated)` : label}
          aria-invalid={issues.length > 0}
          aria-describedby={describedBy}
          type={type === 'number' && !LIST_OPERATORS.has(props.operator) ? 'number' : 'text'}
          value={valueText(props.value)}
          onChange={(e) => props.handleOnChange(parseValue(e.target.value, type, props.operator))}
        />
      )}
      {issues.length > 0 && (
        <span id={errId} className="issue" role="alert">
          {issues.join(' ')}
        </span>
      )}
    </span>
  );
}

/** The visual condition builder: groups are all (and) / any (or) / not, fields the fact catalogue. */
export function ConditionBuilder(props: {
  query: RuleGroupType;
  onChange: (q: RuleGroupType) => void;
  catalogue: Catalogue;
  issuesAt: (path: number[]) => string[];
  disabled?: boolean;
}) {
  const fields = useMemo<Field[]>(
    () =>
      props.catalogue.facts.map((f) => ({
        name: f.name,
        label: f.label,
        operators: f.operators.map(
          (o): FullOperator => ({ name: o, value: o, label: OPERATOR_LABELS[o] ?? o }),
        ),
        ...(f.description ? { description: f.description } : {}),
      })),
    [props.catalogue],
  );
  const context: BuilderContext = { issuesAt: props.issuesAt, catalogue: props.catalogue };
  return (
    <QueryBuilder
      fields={fields}
      query={props.query}
      onQueryChange={props.onChange}
      controlElements={{ valueEditor: ValueEditor }}
      context={context}
      showNotToggle
      disabled={props.disabled ?? false}
      combinators={[
        { name: 'and', value: 'and', label: 'all of (and)' },
        { name: 'or', value: 'or', label: 'any of (or)' },
      ]}
      translations={{
        addRule: { label: '+ Condition', title: 'Add a condition' },
        addGroup: { label: '+ Group', title: 'Add a group of conditions' },
        removeRule: { label: 'Remove', title: 'Remove this condition' },
        removeGroup: { label: 'Remove group', title: 'Remove this group' },
        notToggle: { label: 'Not', title: 'Negate this group (json-rules-engine "not")' },
        fields: { title: 'Fact' },
        operators: { title: 'Operator' },
        combinators: { title: 'Combine conditions with' },
      }}
    />
  );
}
