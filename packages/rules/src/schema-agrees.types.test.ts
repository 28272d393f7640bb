// The rule-file types (types.ts) and the JSON Schema (schema/rules.schema.json) are written by
// hand. Each object below lists its properties once: the compiler checks the list against the
// TypeScript type, the test checks it against the schema, so neither can drift from the other.
import {
  type Condition,
  type FactDeclaration,
  RULES_JSON_SCHEMA,
  type Rule,
  type RuleEventSpec,
  type RuleFile,
  type TopCondition,
} from '@closedloop/rules';
import { describe, expect, expectTypeOf, test } from 'vitest';

/** The keys of every member of a union. */
type KeysOf<T> = T extends unknown ? keyof T : never;
/** The keys a value of `T` must have. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

interface SchemaObject {
  properties: Record<string, unknown>;
  required?: string[];
  additionalProperties?: unknown;
}
const schema = RULES_JSON_SCHEMA as unknown as SchemaObject & { $defs: Record<string, SchemaObject> };
const facts = schema.properties.facts as { additionalProperties: SchemaObject };

const sorted = (keys: readonly string[] | undefined) => [...(keys ?? [])].sort();

describe('the rule-file types and the JSON Schema name the same properties', () => {
  test('a rule file', () => {
    const keys = ['$schema', 'kind', 'version', 'description', 'facts', 'rules'] as const;
    const required = ['kind', 'rules'] as const;
    expectTypeOf<(typeof keys)[number]>().toEqualTypeOf<keyof RuleFile>();
    expectTypeOf<(typeof required)[number]>().toEqualTypeOf<RequiredKeys<RuleFile>>();
    expect(sorted(Object.keys(schema.properties))).toEqual(sorted(keys));
    expect(sorted(schema.required)).toEqual(sorted(required));
    expect(schema.additionalProperties).toBe(false);
  });

  test('a fact declaration', () => {
    const keys = ['type', 'description'] as const;
    const required = ['type'] as const;
    expectTypeOf<(typeof keys)[number]>().toEqualTypeOf<keyof FactDeclaration>();
    expectTypeOf<(typeof required)[number]>().toEqualTypeOf<RequiredKeys<FactDeclaration>>();
    expect(sorted(Object.keys(facts.additionalProperties.properties))).toEqual(sorted(keys));
    expect(sorted(facts.additionalProperties.required)).toEqual(sorted(required));
  });

  test('a rule', () => {
    const keys = [
      'id',
      'name',
      'description',
      'enabled',
      'tags',
      'version',
      'priority',
      'conditions',
      'event',
    ] as const;
    const required = ['id', 'conditions', 'event'] as const;
    expectTypeOf<(typeof keys)[number]>().toEqualTypeOf<keyof Rule>();
    expectTypeOf<(typeof required)[number]>().toEqualTypeOf<RequiredKeys<Rule>>();
    expect(sorted(Object.keys(schema.$defs.rule!.properties))).toEqual(sorted(keys));
    expect(sorted(schema.$defs.rule!.required)).toEqual(sorted(required));
  });

  test("a rule's event", () => {
    const keys = ['type', 'params'] as const;
    const required = ['type'] as const;
    expectTypeOf<(typeof keys)[number]>().toEqualTypeOf<keyof RuleEventSpec>();
    expectTypeOf<(typeof required)[number]>().toEqualTypeOf<RequiredKeys<RuleEventSpec>>();
    expect(sorted(Object.keys(schema.$defs.event!.properties))).toEqual(sorted(keys));
    expect(sorted(schema.$defs.event!.required)).toEqual(sorted(required));
  });

  test("a rule's top condition (all, any or not)", () => {
    const keys = ['all', 'any', 'not', 'priority', 'name'] as const;
    expectTypeOf<(typeof keys)[number]>().toEqualTypeOf<KeysOf<TopCondition>>();
    expect(sorted(Object.keys(schema.$defs.topCondition!.properties))).toEqual(sorted(keys));
  });

  test('a nested condition (all, any, not or a fact compared with a value)', () => {
    const keys = [
      'all',
      'any',
      'not',
      'fact',
      'operator',
      'value',
      'path',
      'params',
      'priority',
      'name',
    ] as const;
    expectTypeOf<(typeof keys)[number]>().toEqualTypeOf<KeysOf<Condition>>();
    expect(sorted(Object.keys(schema.$defs.condition!.properties))).toEqual(sorted(keys));
  });
});
