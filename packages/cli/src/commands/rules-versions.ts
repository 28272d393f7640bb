// `closedloop rules pull | push | import-jre`: rule versions between the store and files.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, openStore } from '@closedloop/config';
import type { Store } from '@closedloop/core';
import {
  checkRuleTexts,
  loadRuleSet,
  RULE_KINDS,
  type Rule,
  type RuleKind,
  ruleVersions,
} from '@closedloop/rules';
import pc from 'picocolors';
import type { RulesIo } from './rules.ts';

/** The store a config names (SQLite file, memory, or PostgreSQL through its env var). */
export function storeOfConfig(configPath: string | undefined, env: NodeJS.ProcessEnv = process.env): Store {
  return openStore(loadConfig(configPath), env);
}

export interface PullOptions {
  config?: string;
  version?: string;
}

/** `rules pull <dir>`: writes a stored version (default: the current one) as rule files. */
export async function pullCommand(
  dir: string,
  opts: PullOptions,
  io: RulesIo,
  env = process.env,
): Promise<boolean> {
  const store = storeOfConfig(opts.config, env);
  try {
    await store.init();
    const versions = ruleVersions(store.documents);
    const v = opts.version ? await versions.get(opts.version) : await versions.current();
    if (!v) {
      io.err(
        `${pc.red('error:')} ${opts.version ? `no rules version "${opts.version}"` : 'no rules published in this store yet'}; see \`closedloop rules push\`\n`,
      );
      return false;
    }
    mkdirSync(dir, { recursive: true });
    for (const kind of RULE_KINDS) {
      const file = v.files[kind];
      if (file) writeFileSync(join(dir, `${kind}.json`), `${JSON.stringify(file, null, 2)}\n`);
    }
    const fixtures = await store.documents.get<Record<string, unknown>>('rules.fixtures', 'current');
    if (fixtures && Object.keys(fixtures.value).length > 0) {
      mkdirSync(join(dir, 'fixtures'), { recursive: true });
      for (const [name, value] of Object.entries(fixtures.value))
        writeFileSync(
          join(dir, 'fixtures', name.replace(/[^\w.-]/g, '_')),
          `${JSON.stringify(value, null, 2)}\n`,
        );
    }
    io.out(
      `${pc.green('✔')} ${v.version} (${v.publishedAt}, by ${v.publishedBy}: ${v.comment}) written to ${dir}\n`,
    );
    return true;
  } finally {
    await store.close();
  }
}

export interface PushOptions {
  config?: string;
  comment: string;
  actor?: string;
}

/** `rules push <dir>`: validates the rule files and publishes them as a new version. */
export async function pushCommand(
  dir: string,
  opts: PushOptions,
  io: RulesIo,
  env = process.env,
): Promise<boolean> {
  const ruleSet = loadRuleSet(dir);
  const store = storeOfConfig(opts.config, env);
  try {
    await store.init();
    const fixtureDir = join(dir, 'fixtures');
    if (existsSync(fixtureDir)) {
      const fixtures: Record<string, unknown> = {};
      for (const name of readdirSync(fixtureDir)
        .filter((n) => n.endsWith('.json'))
        .sort())
        fixtures[name] = JSON.parse(readFileSync(join(fixtureDir, name), 'utf8'));
      await store.documents.put('rules.fixtures', 'current', fixtures);
    }
    const v = await ruleVersions(store.documents).publish({
      files: ruleSet.files,
      by: opts.actor ?? 'cli',
      comment: opts.comment,
    });
    io.out(
      `${pc.green('✔')} published ${v.version} from ${dir}; servers on this store switch to it within seconds\n`,
    );
    return true;
  } finally {
    await store.close();
  }
}

export interface ImportJreOptions {
  kind: string;
  out?: string;
}

/**
 * `rules import-jre <file> --kind <kind>`: wraps a bare json-rules-engine rule list (or one rule)
 * into a closedloop rule file, giving each rule an id (from its name, else `rule-<n>`).
 */
export function importJreCommand(file: string, opts: ImportJreOptions, io: RulesIo): boolean {
  if (!(RULE_KINDS as readonly string[]).includes(opts.kind)) {
    io.err(`${pc.red('error:')} --kind must be one of ${RULE_KINDS.join(', ')} (got "${opts.kind}")\n`);
    return false;
  }
  const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const list = Array.isArray(data) ? data : [data];
  const used = new Set<string>();
  const rules = list.map((raw, i) => {
    const r = { ...(raw as Record<string, unknown>) } as Partial<Rule> & Record<string, unknown>;
    let id =
      typeof r.id === 'string' && r.id !== ''
        ? r.id
        : typeof r.name === 'string' && r.name !== ''
          ? r.name
              .toLowerCase()
              .normalize('NFD')
              .replace(/[^\w]+/g, '-')
              .replace(/^-+|-+$/g, '')
          : `rule-${i + 1}`;
    if (!/^[A-Za-z0-9]/.test(id)) id = `rule-${i + 1}`;
    while (used.has(id)) id = `${id}-${i + 1}`;
    used.add(id);
    // json-rules-engine's per-rule success/failure callbacks have no meaning in a file.
    const { onSuccess: _s, onFailure: _f, ...rest } = r;
    return { id, ...rest };
  });
  const ruleFile = { kind: opts.kind as RuleKind, rules };
  const text = `${JSON.stringify(ruleFile, null, 2)}\n`;
  const check = checkRuleTexts({ [opts.kind]: { text, fileName: opts.out ?? `${opts.kind}.json` } });
  if (opts.out) writeFileSync(opts.out, text);
  else io.out(text);
  if (!check.ok) {
    io.err(
      `${pc.yellow('warning:')} wrapped ${rules.length} rule(s), but the file does not validate yet; run \`closedloop rules validate\` on it:\n`,
    );
    for (const e of check.errors) io.err(`  ${e.pointer || '/'}: ${e.message} (${e.hint})\n`);
    return false;
  }
  io.err(
    `${pc.green('✔')} wrapped ${rules.length} rule(s) as a ${opts.kind} rule file${opts.out ? `: ${opts.out}` : ''}\n`,
  );
  return true;
}
