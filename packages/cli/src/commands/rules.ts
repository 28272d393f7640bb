// `closedloop rules validate | test | explain | backtest`: the ops admin's rule tools.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CONFIG_HELP, loadConfig, openStore, optionalConfig } from '@closedloop/config';
import { DEFAULT_TEMPLATES } from '@closedloop/connectors';
import type { Person, Segment } from '@closedloop/core';
import { createClosedLoop, FeedbackSchema, formatPath, SegmentTree, sqliteStore } from '@closedloop/core';
import {
  backtest,
  checkRuleTexts,
  createRulesDecider,
  createRulesEngine,
  formatBacktest,
  formatExplanation,
  loadRuleSet,
  RULE_KINDS,
  type RuleIssue,
  type RuleKind,
  type RuleTexts,
  readFeedbackFile,
  readRuleTexts,
  runFixtures,
  shadowedBy,
} from '@closedloop/rules';
import type { Command } from 'commander';
import pc from 'picocolors';
import { progressBar } from '../progress.ts';
import { applyToOpenCases } from '../rules/apply.ts';
import {
  type ImportJreOptions,
  importJreCommand,
  type PullOptions,
  type PushOptions,
  pullCommand,
  pushCommand,
} from './rules-versions.ts';

/** Where command output goes; tests pass their own. */
export interface RulesIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether to draw a progress bar on `err`. */
  progress: boolean;
}

const processIo: RulesIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progress: process.stderr.isTTY === true,
};

function fail(): void {
  process.exitCode = 1;
}

/** Reads a rule directory, or a single rule file (its kind taken from its name or its content). */
function textsOf(path: string): RuleTexts {
  if (statSync(path).isDirectory()) return readRuleTexts(path);
  const text = readFileSync(path, 'utf8');
  const fromName = basename(path, '.json') as RuleKind;
  let kind: RuleKind = fromName;
  if (!RULE_KINDS.includes(fromName)) {
    try {
      kind = (JSON.parse(text) as { kind?: RuleKind }).kind ?? 'route';
    } catch {
      kind = 'route';
    }
  }
  return { [kind]: { text, fileName: path } };
}

function formatIssue(e: RuleIssue): string {
  return `${pc.red('✘')} ${e.file ?? ''}:${e.line}:${e.column} ${e.message}\n    ${pc.dim(`at ${e.pointer || '/'}`)}\n    ${pc.cyan('hint:')} ${e.hint}\n`;
}

/**
 * The segment tree a command decides with: `--segments`, else the config's, else a one-segment
 * tree, with a warning (subtree rules then never fire).
 */
function readSegments(file: string | undefined, configPath: string | undefined, io: RulesIo): SegmentTree {
  if (file) return new SegmentTree(JSON.parse(readFileSync(file, 'utf8')) as Segment[]);
  const config = optionalConfig(configPath);
  if (config) return new SegmentTree(config.segments);
  io.err(
    `${pc.yellow('warning:')} no --segments or --config: deciding with a single "default" segment, so segment and subtree rules (inSegmentSubtree) cannot fire; pass --segments <file> or --config closedloop.config.json\n`,
  );
  return new SegmentTree([{ id: 'default', name: 'Default', managers: ['owner'] }]);
}

/** Zod-style issues ({ path, message }) as `field: problem` lines. */
function fieldProblems(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `  ${pc.red('✘')} ${formatPath(i.path) || '(feedback)'}: ${i.message}`).join('\n');
}

/**
 * `rules validate <path>`: true when every file is valid.
 *
 * @example
 * validateCommand('rules'); // prints ✔ per file or ✘ file:line:column message + hint
 */
export function validateCommand(
  path: string,
  io: RulesIo = processIo,
  opts: { config?: string } = {},
): boolean {
  const texts = textsOf(path);
  // Templates: the built-in ones; people: the config's directory, when given.
  const templates = Object.keys(DEFAULT_TEMPLATES.en ?? {});
  const config = optionalConfig(opts.config);
  const check = checkRuleTexts(texts, {
    known: {
      templates,
      ...(config
        ? { people: config.directory.map((p) => p.id), segments: config.segments.map((s) => s.id) }
        : {}),
    },
  });
  if (!check.ok) {
    for (const e of check.errors) io.out(formatIssue(e));
    io.out(`\n${pc.red(`${check.errors.length} error(s)`)} in ${path}\n`);
    return false;
  }
  for (const kind of RULE_KINDS) {
    const file = check.ruleSet.files[kind];
    if (file)
      io.out(`${pc.green('✔')} ${check.ruleSet.sources?.[kind] ?? kind}: ${file.rules.length} rule(s)\n`);
  }
  io.out(`Valid: rule set ${check.ruleSet.version}\n`);
  return true;
}

/** `rules test <path>`: runs `<path>/fixtures/*.json`; true when all pass. */
export function testCommand(path: string, io: RulesIo = processIo): boolean {
  const sets = ruleSetDirs(path);
  if (sets.length > 1 || (sets.length === 1 && sets[0] !== path)) {
    // A folder of rule sets (e.g. examples/rules): test each one.
    let ok = true;
    for (const dir of sets) {
      io.out(`${pc.bold(dir)}\n`);
      if (!testOne(dir, io)) ok = false;
      io.out('\n');
    }
    return ok;
  }
  return testOne(path, io);
}

/** `path` itself when it holds rule files, else its subfolders that do. */
function ruleSetDirs(path: string): string[] {
  const hasRules = (dir: string) => RULE_KINDS.some((k) => existsSync(join(dir, `${k}.json`)));
  if (!statSync(path).isDirectory() || hasRules(path)) return [path];
  return readdirSync(path)
    .map((name) => join(path, name))
    .filter((dir) => statSync(dir).isDirectory() && hasRules(dir))
    .sort();
}

function testOne(path: string, io: RulesIo): boolean {
  if (!validateCommand(path, { ...io, out: () => {} })) return validateCommand(path, io);
  const ruleSet = loadRuleSet(path);
  const results = runFixtures(ruleSet, path);
  if (results.length === 0) {
    io.out(`${pc.red('✘')} no fixtures in ${path}/fixtures: add a JSON file with "cases"\n`);
    return false;
  }
  let current = '';
  for (const r of results) {
    if (r.file !== current) {
      current = r.file;
      io.out(`${basename(r.file)}\n`);
    }
    io.out(`  ${r.ok ? pc.green('✔') : pc.red('✘')} ${r.name}\n`);
    for (const f of r.failures) io.out(`      ${f}\n`);
  }
  const failed = results.filter((r) => !r.ok).length;
  io.out(
    `\n${failed === 0 ? pc.green('all passed') : pc.red(`${failed} failed`)}: ${results.length - failed} passed, ${failed} failed\n`,
  );
  return failed === 0;
}

export interface ExplainOptions {
  facts: string;
  kind?: string;
  segments?: string;
  config?: string;
  now?: string;
  json?: boolean;
}

/**
 * `rules explain <path> --facts <file>`: with `--kind`, the file holds facts for that kind's rules;
 * without, it holds one feedback and the whole rule set decides it.
 */
export function explainCommand(path: string, opts: ExplainOptions, io: RulesIo = processIo): boolean {
  const ruleSet = loadRuleSet(statSync(path).isDirectory() ? path : textsOf(path));
  const input = JSON.parse(readFileSync(opts.facts, 'utf8')) as Record<string, unknown>;
  const segments = readSegments(opts.segments, opts.config, io);
  const now = new Date(opts.now ?? Date.now());
  if (opts.kind) {
    const file = ruleSet.files[opts.kind as RuleKind];
    if (!file) {
      io.err(`No ${opts.kind} rules in ${path}; kinds present: ${Object.keys(ruleSet.files).join(', ')}\n`);
      return false;
    }
    const raw = createRulesEngine(file, { allowUndefinedFacts: true }).explain(input, {
      now,
      segments,
    });
    // A rule whose event lost to an earlier one's is shadowed, not fired.
    const shadowed = shadowedBy(raw.events);
    const explained = {
      ...raw,
      fired: raw.fired.filter((id) => !shadowed.has(id)),
      rules: raw.rules.map((t) =>
        shadowed.has(t.ruleId) ? { ...t, shadowedBy: shadowed.get(t.ruleId)! } : t,
      ),
    };
    io.out(opts.json ? `${JSON.stringify(explained, null, 2)}\n` : `${formatExplanation(explained.rules)}\n`);
    return true;
  }
  const parsed = FeedbackSchema.safeParse({
    id: 'explain',
    source: { tool: 'cli', responseId: 'explain' },
    receivedAt: now.toISOString(),
    ...input,
  });
  if (!parsed.success) {
    io.err(
      `${pc.red('error:')} ${opts.facts} is not valid feedback:\n${fieldProblems(parsed.error.issues)}\n    ${pc.cyan('hint:')} fix those fields, or pass --kind <kind> to give facts for one rule file\n`,
    );
    return false;
  }
  const feedback = parsed.data;
  const { decision, traces } = createRulesDecider(ruleSet).explain(feedback, { segments, now });
  if (opts.json) {
    io.out(`${JSON.stringify({ decision, traces }, null, 2)}\n`);
    return true;
  }
  for (const kind of RULE_KINDS) {
    const t = traces[kind];
    if (!t) continue;
    io.out(`${pc.bold(`${kind}.json`)}\n${formatExplanation(t)}\n\n`);
  }
  io.out(`${pc.bold('decision')}\n${JSON.stringify(decision, null, 2)}\n`);
  return true;
}

export interface BacktestCliOptions {
  old: string;
  new: string;
  feedback: string;
  segments?: string;
  config?: string;
  json?: boolean;
}

/** `rules backtest --old <dir> --new <dir> --feedback <file>`: what the new rules would change. */
export function backtestCommand(opts: BacktestCliOptions, io: RulesIo = processIo): boolean {
  const oldSet = loadRuleSet(opts.old);
  const newSet = loadRuleSet(opts.new);
  const feedbacks = readFeedbackFile(opts.feedback);
  const segments = readSegments(opts.segments, opts.config, io);
  const report = backtest(oldSet, newSet, feedbacks, {
    segments,
    onProgress: progressBar(io.err, io.progress),
  });
  io.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatBacktest(report));
  return true;
}

export interface ApplyOptions {
  /** The closedloop config: its store, directory, segments (and rules, when --rules is not given). */
  config?: string;
  rules?: string;
  /** @deprecated use `config`: a SQLite store file. */
  store?: string;
  /** @deprecated use `config`. */
  segments?: string;
  /** @deprecated use `config`. */
  directory?: string;
  actor?: string;
  dryRun?: boolean;
}

/** The store, people and segments `rules apply` works on: the config's, or the old flags'. */
function applyTarget(opts: ApplyOptions, io: RulesIo) {
  const old = (['store', 'segments', 'directory'] as const).filter((k) => opts[k] !== undefined);
  if (old.length === 0) {
    const config = loadConfig(opts.config);
    return {
      store: openStore(config),
      directory: config.directory,
      segments: config.segments,
      rules: config.rules,
    };
  }
  if (old.length < 3 || opts.config)
    throw new Error('give --config <file>, or (deprecated) all of --store, --segments and --directory');
  io.err(
    `${pc.yellow('warning:')} --store, --segments and --directory are deprecated: pass --config <file> (its store, directory and segments; PostgreSQL too)\n`,
  );
  return {
    store: sqliteStore({ path: opts.store! }),
    directory: JSON.parse(readFileSync(opts.directory!, 'utf8')) as Person[],
    segments: JSON.parse(readFileSync(opts.segments!, 'utf8')) as Segment[],
    rules: undefined,
  };
}

/**
 * `rules apply`: re-decides the open cases of the config's store (SQLite or PostgreSQL) under a
 * (changed) rule set and re-routes / re-prioritises them through the case API, so each change
 * lands in the case's log.
 */
export async function applyCommand(opts: ApplyOptions, io: RulesIo = processIo): Promise<boolean> {
  const target = applyTarget(opts, io);
  const rulesDir = opts.rules ?? target.rules;
  if (!rulesDir) {
    await target.store.close();
    throw new Error('--rules <dir> is required when the config has no "rules" folder');
  }
  const ruleSet = loadRuleSet(rulesDir);
  const segments = new SegmentTree(target.segments);
  const loop = createClosedLoop({
    store: target.store,
    decider: createRulesDecider(ruleSet),
    directory: target.directory,
    segments: target.segments,
    autoStart: false,
  });
  const actor = opts.actor ?? 'rules';
  let ok = true;
  try {
    const result = await applyToOpenCases(loop, ruleSet, {
      segments,
      actor,
      ...(opts.dryRun ? { dryRun: true } : {}),
    });
    let changed = 0;
    for (const change of result.changes) {
      const line = `${change.caseId}: ${change.field} ${change.before ?? 'none'} -> ${change.after}`;
      if (opts.dryRun) io.out(`  would change ${line}\n`);
      else if (change.applied) {
        changed++;
        io.out(`  ${pc.green('✔')} ${line}\n`);
      } else {
        ok = false;
        io.out(`  ${pc.red('✘')} ${line}: ${change.error}\n`);
      }
    }
    io.out(
      `${result.checked} open case(s) checked against ${ruleSet.version}: ${result.changes.length} change(s)${opts.dryRun ? ' planned (dry run)' : `, ${changed} applied`}\n`,
    );
  } finally {
    await loop.close();
  }
  return ok;
}

async function guard(io: RulesIo, run: () => boolean | Promise<boolean>): Promise<void> {
  try {
    if (!(await run())) fail();
  } catch (e) {
    const issues = (e as { issues?: unknown[] }).issues;
    const ruleIssues = issues?.filter((i): i is RuleIssue => typeof (i as RuleIssue).pointer === 'string');
    if (ruleIssues && ruleIssues.length > 0) for (const i of ruleIssues) io.out(formatIssue(i));
    else if (issues && issues.length > 0)
      io.err(
        `${pc.red('error:')} ${(e as Error).message.split('\n')[0]}\n${fieldProblems(issues as { path: PropertyKey[]; message: string }[])}\n`,
      );
    else io.err(`${pc.red('error:')} ${(e as Error).message}\n`);
    fail();
  }
}

/**
 * Adds `rules validate | test | explain | backtest` to the `closedloop` program.
 *
 * @example
 * const program = new Command('closedloop');
 * registerRulesCommands(program);
 * await program.parseAsync(process.argv);
 */
export function registerRulesCommands(program: Command, io: RulesIo = processIo): void {
  const rules = program.command('rules').description('validate, test, explain and backtest JSON rule files');
  rules
    .command('validate <path>')
    .description(
      'check a rule directory (or one rule file): JSON, schema, facts, operators, dead and shadowed rules',
    )
    .option(
      '-c, --config <file>',
      `${CONFIG_HELP}: owners, pools, segments and email alert recipients are checked against its directory and segments`,
    )
    .action((path: string, opts: { config?: string }) => guard(io, () => validateCommand(path, io, opts)));
  rules
    .command('test <path>')
    .description('run the fixtures in <path>/fixtures/*.json against the rules in <path>')
    .action((path: string) => guard(io, () => testCommand(path, io)));
  rules
    .command('explain <path>')
    .description('show why each rule fired or not, with the fact values seen')
    .requiredOption('--facts <file>', 'JSON: one feedback, or (with --kind) facts for one rule file')
    .option('--kind <kind>', `evaluate only this rule file: ${RULE_KINDS.join(', ')}`)
    .option('--segments <file>', 'JSON array of segments (id, name, parent, managers)')
    .option('-c, --config <file>', `${CONFIG_HELP}: its segments, when --segments is not given`)
    .option('--now <iso>', 'decision time (default: now)')
    .option('--json', 'print JSON instead of text')
    .action((path: string, opts: ExplainOptions) => guard(io, () => explainCommand(path, opts, io)));
  rules
    .command('backtest')
    .description('run two versions of a rule set over stored feedback and report what would change')
    .requiredOption('--old <dir>', 'the rules running today')
    .requiredOption('--new <dir>', 'the changed rules')
    .requiredOption('--feedback <file>', 'stored feedback: a JSON array or a CSV file')
    .option('--segments <file>', 'JSON array of segments (id, name, parent, managers)')
    .option('-c, --config <file>', `${CONFIG_HELP}: its segments, when --segments is not given`)
    .option('--json', 'print JSON instead of text')
    .action((opts: BacktestCliOptions) => guard(io, () => backtestCommand(opts, io)));
  rules
    .command('apply')
    .description(
      'apply a changed rule set to the open cases of a store: re-route and re-prioritise, logged on each case',
    )
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--rules <dir>', "the rule set to apply (default: the config's rules folder)")
    .option('--store <file>', 'deprecated: use --config (a SQLite store file)')
    .option('--segments <file>', 'deprecated: use --config')
    .option('--directory <file>', 'deprecated: use --config')
    .option('--actor <id>', 'who the case log names for the changes (default "rules")')
    .option('--dry-run', 'list the changes without making them')
    .action((opts: ApplyOptions) => guard(io, () => applyCommand(opts, io)));
  rules
    .command('pull <dir>')
    .description('write a rules version published in the store (default: the running one) as rule files')
    .option('-c, --config <file>', `${CONFIG_HELP}: its store holds the versions (SQLite or PostgreSQL)`)
    .option('--version <version>', 'the version to pull, e.g. v3 (default: the current one)')
    .action((dir: string, opts: PullOptions) => guard(io, () => pullCommand(dir, opts, io)));
  rules
    .command('push <dir>')
    .description('validate a rule directory and publish it as a new version in the store')
    .option('-c, --config <file>', `${CONFIG_HELP}: its store holds the versions (SQLite or PostgreSQL)`)
    .requiredOption('--comment <text>', 'why: shown in the version list')
    .option('--actor <id>', 'who publishes (default "cli")')
    .action((dir: string, opts: PushOptions) => guard(io, () => pushCommand(dir, opts, io)));
  rules
    .command('import-jre <file>')
    .description('wrap a bare json-rules-engine rule list (or one rule) into a closedloop rule file')
    .requiredOption('--kind <kind>', `the rule file it becomes: ${RULE_KINDS.join(', ')}`)
    .option('--out <file>', 'write the rule file here (default: print it)')
    .action((file: string, opts: ImportJreOptions) => guard(io, () => importJreCommand(file, opts, io)));
}
