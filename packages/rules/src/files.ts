import type { RuleIssue } from './errors.ts';
import { checkRuleTexts, type RuleTexts } from './load.ts';
import { pointerSegments } from './positions.ts';
import type { RuleFile, RuleKind, RuleSet } from './types.ts';
import { RULE_KINDS } from './types.ts';
import type { ValidateOptions } from './validate.ts';

/** Rule files as JSON values by kind, exactly as in a rules folder (what the HTTP API and the store hold). */
export type RuleFiles = Partial<Record<RuleKind, RuleFile>>;

/** One problem in a set of rule files, addressed for an editor: kind, field path, position. */
export interface RuleFileIssue {
  kind: RuleKind | 'files';
  /** e.g. `rules[2].conditions.all[0].value`; empty for the whole file. */
  path: string;
  message: string;
  hint?: string;
  line?: number;
  column?: number;
}

/** `/rules/2/conditions/all/0/value` → `rules[2].conditions.all[0].value`. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const seg of pointerSegments(pointer)) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** The texts of rule files given as JSON values (pretty-printed: line and column refer to this layout). */
export function textsOfFiles(files: Readonly<Record<string, unknown>>): RuleTexts {
  const texts: RuleTexts = {};
  for (const kind of RULE_KINDS) {
    if (files[kind] !== undefined)
      texts[kind] = { text: JSON.stringify(files[kind], null, 2), fileName: `${kind}.json` };
  }
  return texts;
}

/**
 * Validates rule files given as JSON values by kind, as an editor wants the problems: kind, field
 * path, message, hint, line and column (of the pretty-printed file). Unknown kinds are problems too.
 *
 * @example
 * const check = checkRuleFiles({ route: { kind: 'route', rules: [] } });
 * if (check.ok) createRulesDecider(check.ruleSet);
 */
export function checkRuleFiles(
  files: unknown,
  options: Omit<ValidateOptions, 'fileName'> & { version?: string } = {},
): { ok: true; issues: []; ruleSet: RuleSet } | { ok: false; issues: RuleFileIssue[] } {
  if (files === null || typeof files !== 'object' || Array.isArray(files)) {
    return {
      ok: false,
      issues: [
        {
          kind: 'files',
          path: '',
          message: 'files must be an object of rule files by kind',
          hint: `write { "route": { "kind": "route", "rules": [ … ] } }; kinds: ${RULE_KINDS.join(', ')}`,
        },
      ],
    };
  }
  const unknown = Object.keys(files).filter((k) => !(RULE_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    return {
      ok: false,
      issues: unknown.map((k) => ({
        kind: 'files' as const,
        path: k.slice(0, 60),
        message: `"${k.slice(0, 60)}" is not a rule kind`,
        hint: `use one of ${RULE_KINDS.join(', ')}`,
      })),
    };
  }
  const texts = textsOfFiles(files as Record<string, unknown>);
  const check = checkRuleTexts(texts, options);
  if (check.ok) return { ok: true, issues: [], ruleSet: check.ruleSet };
  return { ok: false, issues: check.errors.map(issueOfFile) };
}

/** A rule-file issue (from a `<kind>.json` file) as a {@link RuleFileIssue}. */
export function issueOfFile(e: RuleIssue): RuleFileIssue {
  const base = (e.file ?? '').split(/[\\/]/).pop() ?? '';
  const kind = base.replace(/\.json$/, '') as RuleKind;
  return {
    kind: (RULE_KINDS as readonly string[]).includes(kind) ? kind : 'files',
    path: pointerToPath(e.pointer),
    message: e.message,
    hint: e.hint,
    line: e.line,
    column: e.column,
  };
}

/** One rule added, removed or changed between two sets of rule files. */
export interface RuleDiff {
  kind: RuleKind;
  id: string;
  change: 'added' | 'removed' | 'changed';
}

/**
 * What changes from `before` to `after`, rule by rule (by id, per kind).
 *
 * @example
 * diffRuleFiles(running, draft); // [{ kind: 'route', id: 'detractor-case', change: 'changed' }]
 */
export function diffRuleFiles(before: RuleFiles, after: RuleFiles): RuleDiff[] {
  const out: RuleDiff[] = [];
  for (const kind of RULE_KINDS) {
    const a = new Map((before[kind]?.rules ?? []).map((r) => [r.id, r]));
    const b = new Map((after[kind]?.rules ?? []).map((r) => [r.id, r]));
    for (const [id, rule] of b) {
      const old = a.get(id);
      if (!old) out.push({ kind, id, change: 'added' });
      else if (JSON.stringify(old) !== JSON.stringify(rule)) out.push({ kind, id, change: 'changed' });
    }
    for (const id of a.keys()) if (!b.has(id)) out.push({ kind, id, change: 'removed' });
  }
  return out;
}
