// The rules a server runs: from a folder (read-only) or published versions in the store.
import { DEFAULT_TEMPLATES, type EmailTemplates } from '@closedloop/connectors';
import {
  ClosedLoopError,
  type DecisionInput,
  type EmbeddedClosedLoop,
  type Feedback,
  type Person,
  type Segment,
  SegmentTree,
} from '@closedloop/core';
import {
  type BacktestReport,
  backtestStream,
  checkRuleFiles,
  createRulesDecider,
  diffRuleFiles,
  explainView,
  FIRST_WINS_EVENTS,
  type FixtureFile,
  type FixtureResult,
  RULE_KINDS,
  type RuleFiles,
  type RuleKind,
  type RuleSet,
  type RulesDecider,
  type RuleVersion,
  ruleInWords,
  rulesCatalogue,
  ruleVersions,
  runFixtureFile,
  runFixtures,
  type WordsContext,
} from '@closedloop/rules';
import { applyToOpenCases } from '../rules/apply.ts';
import type { Logger } from './log.ts';

const DAY_MS = 86_400_000;

export interface RulesServiceOptions {
  loop: EmbeddedClosedLoop;
  directory: readonly Person[];
  segments: readonly Segment[];
  /** The rules folder of the config: the server then runs it read-only, watched by the runtime. */
  folder?: { path: string; decider: RulesDecider };
  templates?: EmailTemplates;
  logger?: Logger;
  /** How often to look for a version published by another process on the same store (ms; 0: never). */
  refreshMs?: number;
}

/** A backtest running in the background. */
export interface BacktestJob {
  status: 'running' | 'done' | 'failed';
  progress: { done: number; total: number };
  result?: BacktestResult;
  error?: string;
}

export interface BacktestResult {
  oldVersion: string;
  newVersion: string;
  total: number;
  changed: number;
  byRule: { kind: RuleKind | 'unknown'; id: string; before: number; after: number }[];
  changes: {
    feedbackId: string;
    field: 'case' | 'route' | 'owner' | 'priority' | 'alerts';
    before: unknown;
    after: unknown;
    ruleId?: string;
  }[];
}

/** The HTTP error a rules route answers with. */
export class RulesHttpError extends Error {
  readonly status: 400 | 404 | 409 | 413;
  readonly code: string;
  readonly issues: { path: string; message: string }[];
  constructor(
    status: 400 | 404 | 409 | 413,
    code: string,
    message: string,
    issues: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

const EMPTY_VERSION = 'none';

/**
 * The rules of `closedloop serve`: what runs, its published versions, publish and rollback with
 * an atomic swap of the loop's decider, explain, backtest jobs, fired counts, retroactive apply.
 */
export function createRulesService(options: RulesServiceOptions) {
  const { loop } = options;
  const log = options.logger ?? (() => {});
  const tree = new SegmentTree(options.segments);
  const versions = ruleVersions(loop.store.documents);
  const templates = options.templates ?? DEFAULT_TEMPLATES;
  let running: { meta?: RuleVersion; ruleSet: RuleSet; decider?: RulesDecider } = options.folder
    ? { ruleSet: options.folder.decider.ruleSet, decider: options.folder.decider }
    : { ruleSet: { version: EMPTY_VERSION, files: {} } };
  const jobs = new Map<string, BacktestJob>();
  let jobSeq = 0;
  let counts: { at: number; byRule: Map<string, { d7: number; d30: number }> } | undefined;

  const words: WordsContext = {
    segments: new Map(options.segments.map((s) => [s.id, s.name])),
    people: new Map(options.directory.map((p) => [p.id, p.name])),
  };
  const known = {
    templates: templateNames(templates),
    people: options.directory.map((p) => p.id),
  };

  function currentRuleSet(): RuleSet {
    return options.folder ? options.folder.decider.ruleSet : running.ruleSet;
  }

  function use(meta: RuleVersion): void {
    const check = checkRuleFiles(meta.files, { version: meta.version });
    if (!check.ok) {
      log('error', 'stored rules are invalid; the running rules stay in place', { version: meta.version });
      return;
    }
    const decider = createRulesDecider(check.ruleSet);
    loop.useDecider(decider, { version: meta.version });
    running = { meta, ruleSet: check.ruleSet, decider };
    counts = undefined;
    log('info', 'rules in use', { version: meta.version });
  }

  /** Loads the store's current version (no-op for a folder server). */
  async function refresh(): Promise<void> {
    if (options.folder) return;
    const pointer = await loop.store.documents.get<{ version: string }>('rules', 'current');
    if (!pointer || pointer.value.version === running.meta?.version) return;
    const meta = await versions.get(pointer.value.version);
    if (meta) use(meta);
  }

  const timer =
    !options.folder && (options.refreshMs ?? 5000) > 0
      ? setInterval(
          () => void refresh().catch(() => log('warn', 'rules refresh failed', {})),
          options.refreshMs ?? 5000,
        )
      : undefined;
  timer?.unref();

  function readOnlyError(): RulesHttpError {
    return new RulesHttpError(
      409,
      'READ_ONLY',
      `This server runs the rules of the folder "rules" in its config, read-only. Change the files (or \`closedloop rules pull\` a version into them), or remove "rules" from the config to publish versions here.`,
    );
  }

  /** Validates draft files; throws a 400 with the issues when invalid. */
  function draft(files: unknown, version = 'draft'): RuleSet {
    const check = checkRuleFiles(files, { version });
    if (!check.ok)
      throw new RulesHttpError(
        400,
        'INVALID_RULES',
        `The rules are invalid: ${check.issues.length} problem(s); first: ${check.issues[0]!.kind} ${check.issues[0]!.path} ${check.issues[0]!.message}`,
        check.issues.map((i) => ({
          path: `files.${i.kind}${i.path ? `.${i.path}` : ''}`,
          message: i.message,
        })),
      );
    return check.ruleSet;
  }

  function kindOf(id: string, ...sets: RuleSet[]): RuleKind | 'unknown' {
    for (const set of sets)
      for (const kind of RULE_KINDS) if (set.files[kind]?.rules.some((r) => r.id === id)) return kind;
    return 'unknown';
  }

  /** Per rule: how often it fired (its event counted) in the last 7 and 30 days of stored decisions. */
  async function firedCounts(now = Date.now()): Promise<Map<string, { d7: number; d30: number }>> {
    if (counts && now - counts.at < 60_000) return counts.byRule;
    const byRule = new Map<string, { d7: number; d30: number }>();
    const since7 = now - 7 * DAY_MS;
    const ruleSet = currentRuleSet();
    const eventOf = new Map<string, string>();
    for (const kind of RULE_KINDS)
      for (const r of ruleSet.files[kind]?.rules ?? []) eventOf.set(r.id, `${kind}:${r.event.type}`);
    let after: string | undefined;
    // Bounded: 200 pages of 500 decisions.
    for (let page = 0; page < 200; page++) {
      const loops = await loop.store.listLoops({
        from: new Date(now - 30 * DAY_MS).toISOString(),
        to: new Date(now + 1).toISOString(),
        ...(after ? { after } : {}),
        limit: 500,
      });
      for (const l of loops) {
        const d = l.snapshot.context.decision;
        if (!d) continue;
        const recent = Date.parse(l.snapshot.context.feedback.receivedAt) >= since7;
        // Decisions recorded before shadowed rules were left out still list them: drop a second
        // first-wins event of the same kind and type.
        const seen = new Set<string>();
        for (const id of new Set(d.firedRules)) {
          const ev = eventOf.get(id);
          if (ev && FIRST_WINS_EVENTS.has(ev.split(':')[1]!)) {
            if (seen.has(ev)) continue;
            seen.add(ev);
          }
          const c = byRule.get(id) ?? { d7: 0, d30: 0 };
          c.d30++;
          if (recent) c.d7++;
          byRule.set(id, c);
        }
      }
      if (loops.length < 500) break;
      after = loops.at(-1)!.loopId;
    }
    counts = { at: now, byRule };
    return byRule;
  }

  function toResult(report: BacktestReport, oldSet: RuleSet, newSet: RuleSet): BacktestResult {
    const FIELD: Record<string, BacktestResult['changes'][number]['field'] | undefined> = {
      case: 'case',
      segment: 'route',
      owner: 'owner',
      priority: 'priority',
      alerts: 'alerts',
    };
    const changes: BacktestResult['changes'] = [];
    for (const f of report.fields) {
      const field = FIELD[f.field];
      if (!field) continue;
      for (const e of f.examples)
        changes.push({ feedbackId: e.feedbackId, field, before: e.before, after: e.after });
    }
    return {
      oldVersion: report.oldVersion,
      newVersion: report.newVersion,
      total: report.total,
      changed: report.changed,
      byRule: report.rules.map((r) => ({
        kind: kindOf(r.ruleId, newSet, oldSet),
        id: r.ruleId,
        before: r.firedOld,
        after: r.firedNew,
      })),
      changes: changes.slice(0, 200),
    };
  }

  return {
    versions,
    get source(): 'store' | 'folder' {
      return options.folder ? 'folder' : 'store';
    },
    get readOnly() {
      return options.folder !== undefined;
    },
    refresh,
    readOnlyError,
    /** Runs fixtures (given, else the folder's, else the store's `rules.fixtures/current`) against draft files. */
    async fixtures(files: unknown, given?: Record<string, unknown>) {
      const ruleSet = draft(files);
      let results: FixtureResult[];
      if (given) results = runNamed(ruleSet, given);
      else if (options.folder) results = runFixtures(ruleSet, options.folder.path);
      else {
        const stored = await loop.store.documents.get<Record<string, unknown>>('rules.fixtures', 'current');
        results = runNamed(ruleSet, stored?.value ?? {});
      }
      const failed = results.filter((r) => !r.ok).length;
      return {
        passed: results.length - failed,
        failed,
        results: results.map((r) => ({
          name: `${r.file}: ${r.name}`,
          ok: r.ok,
          ...(r.ok ? {} : { message: r.failures.join('; ') }),
        })),
      };
    },
    /** What runs now. */
    running() {
      const ruleSet = currentRuleSet();
      const meta = options.folder ? undefined : running.meta;
      return {
        version: options.folder ? ruleSet.version : (meta?.version ?? loop.deciderVersion),
        ...(meta
          ? { publishedAt: meta.publishedAt, publishedBy: meta.publishedBy, comment: meta.comment }
          : {}),
        files: ruleSet.files,
        ruleSet,
      };
    },
    /** The running rule sets with words, events and fired counts. */
    async overview(now = Date.now()) {
      const run = this.running();
      const fired = await firedCounts(now);
      const lastChange = options.folder ? undefined : await lastChanges();
      const sets = RULE_KINDS.filter((k) => run.ruleSet.files[k]).map((kind) => ({
        kind,
        rules: run.ruleSet.files[kind]!.rules.map((r) => ({
          id: r.id,
          ...(r.name ? { name: r.name } : {}),
          words: ruleInWords(r, words),
          event: r.event,
          enabled: r.enabled !== false,
          tags: r.tags ?? [],
          ...(r.priority !== undefined ? { priority: r.priority } : {}),
          ...(lastChange?.get(`${kind}:${r.id}`) ? { lastChange: lastChange.get(`${kind}:${r.id}`) } : {}),
          fired: fired.get(r.id) ?? { d7: 0, d30: 0 },
        })),
      }));
      return {
        source: this.source,
        readOnly: this.readOnly,
        running: {
          version: run.version,
          ...(run.publishedAt ? { publishedAt: run.publishedAt } : {}),
          ...(run.publishedBy ? { publishedBy: run.publishedBy } : {}),
          ...(run.comment !== undefined ? { comment: run.comment } : {}),
        },
        files: run.files,
        sets,
      };
    },
    catalogue() {
      return rulesCatalogue(currentRuleSet().files, {
        segments: options.segments,
        people: options.directory,
        templates: Object.entries(known.templates).map(([id, languages]) => ({ id, languages })),
      });
    },
    validate(files: unknown) {
      const check = checkRuleFiles(files, {
        known: { templates: Object.keys(known.templates), people: known.people },
      });
      return { ok: check.ok, issues: check.ok ? [] : check.issues };
    },
    /** Explains a feedback against draft files (or the running rules). */
    explain(feedback: Feedback, files?: unknown, now = new Date()) {
      const ruleSet = files === undefined ? currentRuleSet() : draft(files);
      const decider = createRulesDecider(ruleSet);
      const { decision, traces } = decider.explain(feedback, { segments: tree, now });
      return explainView(ruleSet, decision as DecisionInput, traces, words);
    },
    draft,
    async publish(files: unknown, by: string, comment: string, rollbackOf?: string): Promise<RuleVersion> {
      if (options.folder) throw readOnlyError();
      draft(files);
      const meta = await versions.publish({
        files: files as RuleFiles,
        by,
        comment,
        ...(rollbackOf ? { rollbackOf } : {}),
      });
      use(meta);
      log('info', 'rules published', { version: meta.version });
      return meta;
    },
    async rollback(version: string, by: string, comment?: string): Promise<RuleVersion> {
      if (options.folder) throw readOnlyError();
      const old = await versions.get(version);
      if (!old)
        throw new RulesHttpError(
          404,
          'VERSION_NOT_FOUND',
          `No rules version "${version.slice(0, 40)}"; see GET /v1/rules/versions`,
        );
      return this.publish(old.files, by, comment ?? `Rollback to ${version}`, version);
    },
    async version(version: string) {
      const v = await versions.get(version);
      if (!v) return undefined;
      return { version: v.version, files: v.files, diff: diffRuleFiles(currentRuleSet().files, v.files) };
    },
    async apply(actor: string, dryRun: boolean) {
      const result = await applyToOpenCases(loop, currentRuleSet(), { segments: tree, actor, dryRun });
      const byCase = new Map<string, { caseId: string; changes: unknown[] }>();
      for (const c of result.changes) {
        const entry = byCase.get(c.caseId) ?? { caseId: c.caseId, changes: [] };
        entry.changes.push({
          field: c.field,
          before: c.before ?? null,
          after: c.after ?? null,
          applied: c.applied,
          ...(c.error ? { error: c.error } : {}),
        });
        byCase.set(c.caseId, entry);
      }
      return { checked: result.checked, dryRun, changed: [...byCase.values()] };
    },
    /** Starts a backtest of draft files against the running rules over stored feedback. */
    startBacktest(files: unknown, range: { from?: string; to?: string }): string {
      const newSet = draft(files);
      const oldSet = currentRuleSet();
      if (jobs.size >= 50) {
        for (const [id, job] of jobs) if (job.status !== 'running') jobs.delete(id);
      }
      if (jobs.size >= 50)
        throw new RulesHttpError(409, 'BUSY', 'Too many backtests are running; wait for one to finish');
      const jobId = `bt_${Date.now().toString(36)}_${(++jobSeq).toString(36)}`;
      const job: BacktestJob = { status: 'running', progress: { done: 0, total: 0 } };
      jobs.set(jobId, job);
      void (async () => {
        const scan = { ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) };
        async function* feedback(): AsyncGenerator<Feedback> {
          let after: string | undefined;
          for (let page = 0; page < 2000; page++) {
            const loops = await loop.store.listLoops({ ...scan, ...(after ? { after } : {}), limit: 500 });
            job.progress.total += loops.length;
            for (const l of loops) yield l.snapshot.context.feedback;
            if (loops.length < 500) return;
            after = loops.at(-1)!.loopId;
            // Let requests in between pages.
            await new Promise((r) => setImmediate(r));
          }
        }
        const report = await backtestStream(oldSet, newSet, feedback(), {
          segments: tree,
          examples: 20,
          onProgress: (done) => {
            job.progress.done = done;
          },
        });
        job.progress.done = report.total;
        job.progress.total = report.total;
        job.result = toResult(report, oldSet, newSet);
        job.status = 'done';
      })().catch((e: unknown) => {
        job.status = 'failed';
        job.error = e instanceof ClosedLoopError || e instanceof Error ? e.message : 'backtest failed';
      });
      return jobId;
    },
    backtestJob(jobId: string): BacktestJob | undefined {
      return jobs.get(jobId);
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };

  /** Per rule, the version that last added or changed it: who and when. */
  async function lastChanges(): Promise<Map<string, { by: string; at: string }>> {
    const list = (await versions.list()).reverse();
    const out = new Map<string, { by: string; at: string }>();
    let previous: RuleFiles = {};
    // Bounded: the last 200 versions.
    for (const summary of list.slice(-200)) {
      const v = await versions.get(summary.version);
      if (!v) continue;
      for (const d of diffRuleFiles(previous, v.files))
        if (d.change !== 'removed') out.set(`${d.kind}:${d.id}`, { by: v.publishedBy, at: v.publishedAt });
      previous = v.files;
    }
    return out;
  }
}

export type RulesService = ReturnType<typeof createRulesService>;

function runNamed(ruleSet: RuleSet, fixtures: Record<string, unknown>): FixtureResult[] {
  const out: FixtureResult[] = [];
  for (const [name, fixture] of Object.entries(fixtures)) {
    const f = fixture as FixtureFile;
    if (!f || typeof f !== 'object' || !Array.isArray(f.cases))
      throw new RulesHttpError(400, 'INVALID_INPUT', `Fixture "${name.slice(0, 60)}" needs "cases": [ … ]`, [
        { path: `fixtures.${name.slice(0, 60)}.cases`, message: 'expected a list of cases' },
      ]);
    out.push(...runFixtureFile(ruleSet, f, name));
  }
  return out;
}

function templateNames(templates: EmailTemplates): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [lang, byName] of Object.entries(templates))
    for (const name of Object.keys(byName)) out[name] = [...(out[name] ?? []), lang];
  return out;
}
