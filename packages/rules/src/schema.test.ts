import { RULES_JSON_SCHEMA } from '@closedloop/rules';
import { describe, expect, it } from 'vitest';

type Schema = {
  $schema: string;
  properties: Record<string, { description?: string }>;
  $defs: Record<string, { properties?: Record<string, { description?: string }> }>;
};

describe('the published JSON Schema', () => {
  const schema = RULES_JSON_SCHEMA as unknown as Schema;
  it('is draft 2020-12', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });
  it('documents every property an editor offers for files, rules and conditions', () => {
    const undocumented = [
      ...Object.entries(schema.properties).map(([k, v]) => ['file', k, v] as const),
      ...Object.entries(schema.$defs.rule!.properties!).map(([k, v]) => ['rule', k, v] as const),
      ...Object.entries(schema.$defs.condition!.properties!).map(([k, v]) => ['condition', k, v] as const),
    ]
      .filter(([, k, v]) => k !== 'tags' && !v.description)
      .map(([where, k]) => `${where}.${k}`);
    expect(undocumented).toEqual([]);
  });
});
