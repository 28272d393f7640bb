import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ParseError } from 'jsonc-parser';
import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { RuleIssue } from './errors.ts';
import { FEEDBACK_FACTS } from './facts.ts';
import type { OperatorDefinition } from './operators.ts';
import { OperatorRegistry } from './operators.ts';
import { PositionMap, pointerSegments } from './positions.ts';
import { RULES_JSON_SCHEMA } from './schema.ts';
import { checkRuleFile } from './semantic.ts';
import { closest } from './suggest.ts';
import type { FactDeclaration, RuleFile } from './types.ts';

export interface ValidateOptions {
  /** Shown in messages and set on each issue. */
  fileName?: string;
  /** The facts rules may name; defaults to the feedback catalogue. */
  facts?: Readonly<Record<string, FactDeclaration>>;
  /** Custom operators the rules may use. */
  operators?: readonly OperatorDefinition[];
  /**
   * What exists where the rules run: customer-message templates and people. When given, a
   * `thankCustomer` template and email alert recipients are checked against them.
   */
  known?: { templates?: readonly string[]; people?: readonly string[] };
}

export type ValidationResult =
  | { ok: true; errors: []; file: RuleFile }
  | { ok: false; errors: RuleIssue[]; file?: undefined };

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  validator ??= new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }).compile(
    RULES_JSON_SCHEMA,
  );
  return validator;
}

/**
 * Validates the text of one rule file: JSON syntax, the schema, then facts, operators, values,
 * event types, duplicate ids, rules that can never fire or are shadowed, and escalation cycles.
 * Every error names a JSON pointer, a line and column, and a hint.
 *
 * @example
 * const result = validateRuleFile(readFileSync('rules/route.json', 'utf8'), { fileName: 'route.json' });
 * if (!result.ok) for (const e of result.errors) console.log(`${e.line}:${e.column} ${e.message} (${e.hint})`);
 */
export function validateRuleFile(text: string, options: ValidateOptions = {}): ValidationResult {
  const file = options.fileName;
  // Positions cost a full parse with offsets: build them only when there is something to report.
  let positions: PositionMap | undefined;
  const parseErrors: ParseError[] = [];
  const positionsOf = () => {
    positions ??= new PositionMap(
      text,
      parseTree(text, parseErrors, { allowTrailingComma: false, disallowComments: true }),
    );
    return positions;
  };
  const issue = (pointer: string, message: string, hint: string): RuleIssue => ({
    ...(file === undefined ? {} : { file }),
    pointer,
    ...positionsOf().of(pointer),
    message,
    hint,
  });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const map = positionsOf();
    const errors = parseErrors.map((e) => ({
      ...(file === undefined ? {} : { file }),
      pointer: '',
      ...map.at(e.offset),
      message: `Invalid JSON: ${printParseErrorCode(e.error)}`,
      hint: 'check for a missing comma, quote or bracket just before this point',
    }));
    if (errors.length === 0)
      errors.push(
        issue('', 'The file is empty or not JSON', 'write a rule file: { "kind": …, "rules": [] }'),
      );
    return { ok: false, errors };
  }
  const bare = bareRules(data);
  if (bare) return { ok: false, errors: [issue('', bare, BARE_HINT)] };
  const validate = schemaValidator();
  if (!validate(data)) {
    const errors = dedupe(
      (validate.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => schemaIssue(e, issue)),
    );
    return { ok: false, errors };
  }
  const ruleFile = data as RuleFile;
  const registry = new OperatorRegistry(options.operators);
  const semantic = checkRuleFile(ruleFile, options.facts ?? FEEDBACK_FACTS, registry);
  if (semantic.length > 0) {
    return { ok: false, errors: semantic.map((s) => issue(s.pointer, s.message, s.hint)) };
  }
  const references = options.known ? checkReferences(ruleFile, options.known) : [];
  if (references.length > 0) {
    return { ok: false, errors: references.map((s) => issue(s.pointer, s.message, s.hint)) };
  }
  return { ok: true, errors: [], file: ruleFile };
}

const BARE_HINT =
  'wrap the rules in a closedloop rule file: { "kind": "route", "rules": [ …your rules, each with an "id"… ] }, or run `closedloop rules import-jre <file> --kind route`';

/** A message when the JSON is a bare json-rules-engine rule (or list of rules), else undefined. */
export function bareRules(data: unknown): string | undefined {
  const isJreRule = (x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) && 'conditions' in x && 'event' in x;
  if (Array.isArray(data))
    return data.length === 0 || data.every(isJreRule)
      ? `This is a bare json-rules-engine rule list (${data.length} rule(s)), not a closedloop rule file`
      : 'The file is a list; a rule file is an object: { "kind": …, "rules": [ … ] }';
  if (isJreRule(data) && !('rules' in (data as object)))
    return 'This is a single json-rules-engine rule, not a closedloop rule file';
  return undefined;
}

/** Template names and email recipients that do not exist where the rules run. */
function checkReferences(
  file: RuleFile,
  known: NonNullable<ValidateOptions['known']>,
): { pointer: string; message: string; hint: string }[] {
  const out: { pointer: string; message: string; hint: string }[] = [];
  file.rules.forEach((rule, i) => {
    const params = rule.event.params ?? {};
    if (file.kind === 'route' && rule.event.type === 'thankCustomer' && known.templates) {
      const name = String(params.template);
      if (!known.templates.includes(name)) {
        const near = closest(name, known.templates);
        out.push({
          pointer: `/rules/${i}/event/params/template`,
          message: `Rule "${rule.id}" thanks customers with template "${name}", which does not exist`,
          hint: near ? `did you mean "${near}"?` : `known templates: ${known.templates.join(', ')}`,
        });
      }
    }
    if (file.kind === 'alert' && params.channel === 'email' && known.people) {
      const recipients = Array.isArray(params.recipients) ? params.recipients : [];
      recipients.forEach((r, j) => {
        const id = String(r).startsWith('person:') ? String(r).slice(7) : String(r);
        if (id.includes('@') || known.people!.includes(id)) return;
        const near = closest(id, known.people!);
        out.push({
          pointer: `/rules/${i}/event/params/recipients/${j}`,
          message: `Rule "${rule.id}" emails "${id}", who is neither an email address nor a person in the directory`,
          hint: near
            ? `did you mean "${near}"?`
            : 'write an email address or the id of a person in the directory',
        });
      });
    }
  });
  return out;
}

function schemaIssue(
  e: ErrorObject,
  issue: (pointer: string, message: string, hint: string) => RuleIssue,
): RuleIssue {
  const where = describe(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return issue(
        e.instancePath,
        `${where} is missing "${p.missingProperty}"`,
        `add "${p.missingProperty}"`,
      );
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const near = closest(name, allowed);
      return issue(
        `${e.instancePath}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        `${where} has an unknown property "${name}"`,
        near ? `did you mean "${near}"?` : `allowed here: ${allowed.join(', ')}`,
      );
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return issue(
        e.instancePath,
        `${where} must be one of ${allowed.join(', ')}`,
        `pick one of ${allowed.join(', ')}`,
      );
    }
    case 'type':
      return issue(
        e.instancePath,
        `${where} must be ${p.type === 'array' ? 'a list' : `a ${p.type}`}`,
        `write ${p.type === 'array' ? 'a list: [ … ]' : `a ${p.type}`}`,
      );
    case 'pattern':
      return issue(e.instancePath, `${where} has an invalid format`, patternHint(e.instancePath));
    case 'minProperties':
      return issue(
        e.instancePath,
        `${where} is empty`,
        'write "all", "any", "not", or "fact" + "operator" + "value"',
      );
    default:
      return issue(
        e.instancePath,
        `${where} ${e.message ?? 'is invalid'}`,
        'see docs/rules.md for the rule-file format',
      );
  }
}

function patternHint(pointer: string): string {
  if (pointer.endsWith('/path')) return 'write a JSONPath such as "$.segment" or "$.attributes.plan"';
  if (pointer.endsWith('/id'))
    return 'use letters, digits, "-", "_", "." or ":", starting with a letter or digit';
  if (pointer.includes('/notify/')) return 'write owner, segmentManagers, parentManagers or person:<id>';
  if (pointer.includes('/holidays/')) return 'write a date as "YYYY-MM-DD"';
  return 'write times as "HH:MM", e.g. "09:00"';
}

function describe(pointer: string): string {
  const segs = pointerSegments(pointer);
  if (segs.length === 0) return 'The file';
  const ruleAt = segs[0] === 'rules' && typeof segs[1] === 'number' ? `Rule ${segs[1] + 1}` : undefined;
  const last = segs.at(-1);
  if (ruleAt && segs.length === 2) return ruleAt;
  return `${ruleAt ? `${ruleAt}: ` : ''}"${typeof last === 'number' ? segs.at(-2) : last}"${typeof last === 'number' ? ` item ${last + 1}` : ''}`;
}

function dedupe(issues: RuleIssue[]): RuleIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.pointer}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
