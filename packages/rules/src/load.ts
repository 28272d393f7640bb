import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseTree } from 'jsonc-parser';
import type { RuleIssue } from './errors.ts';
import { RulesError } from './errors.ts';
import { PositionMap, toPointer } from './positions.ts';
import type { RuleKind, RuleSet } from './types.ts';
import { RULE_KINDS } from './types.ts';
import type { ValidateOptions } from './validate.ts';
import { validateRuleFile } from './validate.ts';

export type RuleSetCheck = { ok: true; errors: []; ruleSet: RuleSet } | { ok: false; errors: RuleIssue[] };

/** Rule-file texts by kind, as read from a directory or given in memory. */
export type RuleTexts = Partial<Record<RuleKind, { text: string; fileName: string }>>;

/**
 * Reads `classify.json`, `route.json`, `alert.json`, `sla.json`, `escalate.json` (any may be missing) from a directory.
 *
 * @example
 * const texts = readRuleTexts('rules'); // { route: { text, fileName: 'rules/route.json' }, … }
 */
export function readRuleTexts(dir: string): RuleTexts {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new RulesError('READ_FAILED', `Rule directory "${dir}" does not exist or is not a directory`);
  }
  const out: RuleTexts = {};
  for (const kind of RULE_KINDS) {
    const fileName = join(dir, `${kind}.json`);
    if (existsSync(fileName)) out[kind] = { text: readFileSync(fileName, 'utf8'), fileName };
  }
  if (Object.keys(out).length === 0) {
    throw new RulesError(
      'READ_FAILED',
      `No rule files in "${dir}": add one of ${RULE_KINDS.map((k) => `${k}.json`).join(', ')}`,
    );
  }
  return out;
}

/**
 * Validates a set of rule-file texts together: each file on its own, that each file's `kind` matches
 * its name, and that rule ids are unique across files. Never throws for invalid rules.
 *
 * @example
 * const check = checkRuleTexts(readRuleTexts('rules'));
 * if (!check.ok) report(check.errors);
 */
export function checkRuleTexts(
  texts: RuleTexts,
  options: Omit<ValidateOptions, 'fileName'> & { version?: string } = {},
): RuleSetCheck {
  const errors: RuleIssue[] = [];
  const files: RuleSet['files'] = {};
  const sources: RuleSet['sources'] = {};
  const owner = new Map<string, string>();
  const hash = createHash('sha256');
  for (const kind of RULE_KINDS) {
    const entry = texts[kind];
    if (!entry) continue;
    hash.update(`${kind}\n${entry.text}\n`);
    const result = validateRuleFile(entry.text, { ...options, fileName: entry.fileName });
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    if (result.file.kind !== kind) {
      errors.push({
        file: entry.fileName,
        pointer: '/kind',
        line: 1,
        column: 1,
        message: `${basename(entry.fileName)} says "kind": "${result.file.kind}"`,
        hint: `a ${kind}.json file holds "kind": "${kind}"; rename the file or fix the kind`,
      });
      continue;
    }
    result.file.rules.forEach((rule, i) => {
      const other = owner.get(rule.id);
      if (other !== undefined && other !== entry.fileName) {
        errors.push({
          file: entry.fileName,
          pointer: toPointer(['rules', i, 'id']),
          line: 1,
          column: 1,
          message: `Rule id "${rule.id}" is also used in ${basename(other)}`,
          hint: 'rule ids are recorded in decisions; make them unique across the rule set',
        });
      } else owner.set(rule.id, entry.fileName);
    });
    files[kind] = result.file;
    sources[kind] = entry.fileName;
  }
  if (errors.length > 0) return { ok: false, errors: fixPositions(errors, texts) };
  const version = options.version ?? declaredVersion(files) ?? `rules-${hash.digest('hex').slice(0, 12)}`;
  return { ok: true, errors: [], ruleSet: { version, files, sources } };
}

/**
 * The version the files declare: their common `version`, or `kind@version` per file when they
 * differ; undefined when any file declares none (the rule set is then named by a content hash).
 */
function declaredVersion(files: RuleSet['files']): string | undefined {
  const declared = RULE_KINDS.filter((k) => files[k]).map((k) => [k, files[k]!.version] as const);
  if (declared.length === 0 || declared.some(([, v]) => typeof v !== 'string' || v === '')) return undefined;
  const distinct = new Set(declared.map(([, v]) => v));
  return distinct.size === 1 ? declared[0]![1] : declared.map(([k, v]) => `${k}@${v}`).join(',');
}

// Cross-file issues are created without positions; fill them in from the file text.
function fixPositions(errors: RuleIssue[], texts: RuleTexts): RuleIssue[] {
  return errors.map((e) => {
    if (e.line !== 1 || e.column !== 1 || e.pointer === '') return e;
    const entry = Object.values(texts).find((t) => t?.fileName === e.file);
    if (!entry) return e;
    return { ...e, ...positionOf(entry.text, e.pointer) };
  });
}

function positionOf(text: string, pointer: string): { line: number; column: number } {
  return new PositionMap(text, parseTree(text)).of(pointer);
}

/**
 * Loads a rule set from a directory of rule files, throwing a `RulesError` (code INVALID_RULES, with
 * `issues`) when any file is invalid.
 *
 * @example
 * const ruleSet = loadRuleSet('examples/rules/detractor-cases');
 * const decider = createRulesDecider(ruleSet);
 */
export function loadRuleSet(
  dirOrTexts: string | RuleTexts,
  options: Omit<ValidateOptions, 'fileName'> & { version?: string } = {},
): RuleSet {
  const texts = typeof dirOrTexts === 'string' ? readRuleTexts(dirOrTexts) : dirOrTexts;
  const check = checkRuleTexts(texts, options);
  if (!check.ok) {
    const first = check.errors[0]!;
    throw new RulesError(
      'INVALID_RULES',
      `Invalid rules: ${check.errors.length} error(s); first: ${first.file ?? ''}:${first.line}:${first.column} ${first.message} (${first.hint})`,
      { issues: check.errors },
    );
  }
  return check.ruleSet;
}
