import schema from '../schema/rules.schema.json' with { type: 'json' };

/** The JSON Schema (draft 2020-12) of a rule file: point a file's `$schema` at it for editor help. */
export const RULES_JSON_SCHEMA: Readonly<Record<string, unknown>> = schema;
