// Benchmark: the inner-loop analytics over 1,000,000 stored feedback rows (plus their loops, and a
// case per identified detractor), on SQLite and on PostgreSQL. Rows are bulk-inserted (not through
// the runtime) into the stores' own schemas, then the daily rollups are rebuilt from them (timed);
// the timed work is `buildReport` of every cadence, from the rollups and, as the reference in the
// same run, from the row scan; and each metric once over the whole history, both ways.
// Run: pnpm bench learn (or node --conditions=@closedloop/source --expose-gc packages/core/bench/learn.bench.ts)
// BENCH_LEARN_N=… changes the row count; BENCH_LEARN_PG=0 skips PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { measuredOn, writeResults } from '../../../bench/results.ts';
import { startPostgres } from '../../../test/postgres.ts';
import { SegmentTree } from '../src/domain/people.ts';
import { type Analytics, createAnalytics } from '../src/learn/analytics.ts';
import { postgresExecutor, type SqlExecutor, sqliteExecutor } from '../src/learn/executor.ts';
import { createRowScanAnalytics } from '../src/learn/figures.ts';
import { buildReport, CADENCES, type Cadence } from '../src/learn/report.ts';
import { ROLLUP_TABLES, rebuildRollups, rollupSchema } from '../src/learn/rollups.ts';
import { postgresStore } from '../src/stores/postgres.ts';
import { sqliteStore } from '../src/stores/sqlite.ts';

const N = Number(process.env.BENCH_LEARN_N ?? 1_000_000);
const WITH_PG = process.env.BENCH_LEARN_PG !== '0';
const CHUNK = 20_000;
const END = Date.parse('2026-01-12T00:00:00Z');
const START = END - 364 * 86_400_000;
const AT = '2026-01-13T08:00:00Z';
const DAY = 86_400_000;

// 3 regions × 3 countries × 2 channels = 30 segments.
const segmentList = ['EU', 'US', 'APAC'].flatMap((r) => [
  { id: r, name: r, managers: ['m'] },
  ...[1, 2, 3].flatMap((c) => [
    { id: `${r}-${c}`, name: `${r}-${c}`, parent: r, managers: ['m'] },
    { id: `${r}-${c}-b2b`, name: `${r}-${c}-b2b`, parent: `${r}-${c}`, managers: ['m'] },
    { id: `${r}-${c}-b2c`, name: `${r}-${c}-b2c`, parent: `${r}-${c}`, managers: ['m'] },
  ]),
]);
const segments = new SegmentTree(segmentList);
const leafIds = segmentList.filter((s) => s.id.endsWith('b2b') || s.id.endsWith('b2c')).map((s) => s.id);
const touchpoints = ['web', 'app', 'store', 'phone', 'delivery'];
const languages = ['es', 'it', 'pl', 'en', 'fr', 'de'];
const topics = [
  'delivery',
  'price',
  'support',
  'quality',
  'app',
  'billing',
  'returns',
  'staff',
  'stock',
  'website',
  'wait',
  'refund',
];
const causes = [
  'carrier delay',
  'stock-out',
  'billing error',
  'app crash',
  'staff training',
  'policy',
  'website bug',
  'packaging',
  'refund process',
  'other',
];

let seed = 42;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
/** Skewed pick: earlier items more often (a Pareto-like root-cause mix). */
const skewed = <T>(xs: readonly T[]) => xs[Math.floor(rand() ** 2.2 * xs.length)]!;
const expo = (mean: number) => -Math.log(1 - rand()) * mean;
const iso = (ms: number) => new Date(ms).toISOString();

interface Chunk {
  feedback: [
    string,
    string,
    string,
    string,
    number | null,
    number | null,
    string | null,
    string,
    string,
    number,
    string,
    string,
  ][];
  loops: [string, string, number, string, string][];
  cases: [string, string, string, string, number, string, string, string, string, string, string][];
}

let made = 0;
const pendingResurveys: { at: number; loopId: string; segment: string }[] = [];
function hex(i: number) {
  return i.toString(16).padStart(24, '0');
}

function nextChunk(size: number): Chunk {
  const chunk: Chunk = { feedback: [], loops: [], cases: [] };
  for (let k = 0; k < size && made < N; k++) {
    const i = made++;
    const id = hex(i);
    const fid = `fb_${id}`;
    const loopId = `loop_${id}`;
    const resurvey = pendingResurveys.length > 0 && rand() < 0.03 ? pendingResurveys.pop() : undefined;
    const at = resurvey ? resurvey.at : START + rand() * (END + 2 * DAY - START);
    const segment = resurvey ? resurvey.segment : rand() < 0.03 ? null : pick(leafIds);
    const r = rand();
    const hasNps = resurvey !== undefined || rand() < 0.9;
    const nps = !hasNps
      ? null
      : resurvey
        ? rand() < 0.6
          ? 7 + Math.floor(rand() * 4)
          : Math.floor(rand() * 7)
        : r < 0.45
          ? 9 + Math.floor(rand() * 2)
          : r < 0.75
            ? 7 + Math.floor(rand() * 2)
            : Math.floor(rand() * 7);
    const csat = rand() < 0.4 ? 1 + Math.floor(rand() * 5) : null;
    const anonymous = !resurvey && rand() < 0.05;
    const touchpoint = pick(touchpoints);
    const language = pick(languages);
    const email = `c${i}@example.com`;
    const comment =
      nps !== null && nps <= 6 ? 'The parcel arrived late and nobody answered the phone.' : 'Fine.';
    const feedback = {
      source: { tool: 'bench', responseId: `r${i}` },
      customer: anonymous
        ? { anonymous: true, ...(segment ? { segment } : {}) }
        : { anonymous: false, email, ...(segment ? { segment } : {}) },
      ...(nps !== null ? { nps } : {}),
      ...(csat !== null ? { csat } : {}),
      comment,
      touchpoint,
      language,
      ...(resurvey ? { inReplyTo: resurvey.loopId } : {}),
      id: fid,
      receivedAt: iso(at),
    };
    chunk.feedback.push([
      fid,
      'bench',
      `r${i}`,
      iso(at),
      nps,
      csat,
      segment,
      touchpoint,
      language,
      anonymous ? 1 : 0,
      JSON.stringify(feedback),
      loopId,
    ]);
    const flags = nps === null ? [] : nps <= 3 ? ['red'] : nps <= 6 ? ['yellow'] : [];
    const t = [pick(topics), ...(rand() < 0.5 ? [pick(topics)] : [])];
    let state = 'learned';
    let kaseData: object | undefined;
    if (nps !== null && nps <= 6 && !anonymous && !resurvey) {
      const firstMs = expo(4 * 3_600_000);
      const resolveMs = firstMs + expo(3 * DAY);
      const now = END + 2 * DAY;
      const responded = at + firstMs < now;
      const resolved = at + resolveMs < now && rand() < 0.95;
      const breaches = [
        ...(firstMs > 8 * 3_600_000 ? [{ kind: 'firstResponse', at: iso(at + 8 * 3_600_000) }] : []),
        ...(resolveMs > 5 * DAY && at + 5 * DAY < now ? [{ kind: 'resolution', at: iso(at + 5 * DAY) }] : []),
      ];
      const status = resolved ? 'resolved' : responded ? (breaches.length > 1 ? 'escalated' : 'open') : 'new';
      state = status === 'resolved' ? 'learned' : status === 'escalated' ? 'escalated' : `acting.${status}`;
      const priority = nps <= 3 ? 'critical' : 'high';
      const caseId = `CS-${id.slice(-12).toUpperCase()}`;
      const kase = {
        id: caseId,
        loopId,
        feedbackId: fid,
        customerEmail: email,
        segment: segment ?? 'EU',
        owner: 'm',
        priority,
        status,
        feedbackComment: comment,
        nps,
        ...(resolved ? { rootCause: skewed(causes) } : {}),
        comments: [],
        audit: [{ at: iso(at), actor: 'system', action: 'created' }],
        sla: {
          firstResponseDue: iso(at + 8 * 3_600_000),
          resolutionDue: iso(at + 5 * DAY),
          ...(responded ? { firstRespondedAt: iso(at + firstMs) } : {}),
          breaches,
          escalationLevel: breaches.length,
        },
        ruleIds: ['detractor'],
        createdAt: iso(at),
        updatedAt: iso(resolved ? at + resolveMs : responded ? at + firstMs : at),
        ...(resolved ? { resolvedAt: iso(at + resolveMs) } : {}),
        version: resolved ? 4 : 2,
      };
      kaseData = kase;
      chunk.cases.push([
        caseId,
        loopId,
        status,
        priority,
        nps <= 3 ? 3 : 2,
        kase.segment,
        'm',
        email,
        kase.createdAt,
        kase.updatedAt,
        JSON.stringify(kase),
      ]);
      if (resolved && rand() < 0.3)
        pendingResurveys.unshift({ at: at + resolveMs + 2 * DAY, loopId, segment: kase.segment });
    }
    // Shaped like the runtime's snapshots: the feedback and the case ride along with the
    // classification, so the topic and red-flag queries parse realistic JSON.
    const snapshot = {
      state,
      context: {
        loopId,
        caseId: `CS-${id.slice(-12).toUpperCase()}`,
        feedback,
        ...(kaseData ? { case: kaseData } : {}),
        timers: {},
        version: 2,
        pending: [],
        classification: {
          ...(nps !== null
            ? { npsCategory: nps >= 9 ? 'promoter' : nps >= 7 ? 'passive' : 'detractor' }
            : {}),
          flags,
          topics: t,
        },
      },
    };
    chunk.loops.push([loopId, state, 2, JSON.stringify(snapshot), iso(at)]);
  }
  return chunk;
}

function loadSqlite(db: DatabaseSync, c: Chunk) {
  const f = db.prepare(
    'INSERT INTO feedback (id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data, loop_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const l = db.prepare(
    'INSERT INTO loops (loop_id, state, version, snapshot, updated_at) VALUES (?, ?, ?, ?, ?)',
  );
  const k = db.prepare(
    'INSERT INTO cases (id, loop_id, status, priority, priority_rank, segment, owner, customer_email, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.exec('BEGIN');
  for (const r of c.feedback) f.run(...r);
  for (const r of c.loops) l.run(...r);
  for (const r of c.cases) k.run(...r);
  db.exec('COMMIT');
}

async function loadPostgres(pool: pg.Pool, s: string, c: Chunk) {
  const col = <T>(rows: T[][], i: number) => rows.map((r) => r[i]);
  await pool.query(
    `INSERT INTO ${s}.feedback (id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data, loop_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::smallint[], $6::smallint[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::json[], $12::text[])`,
    c.feedback[0]!.map((_, i) => (i === 9 ? col(c.feedback, i).map(Boolean) : col(c.feedback, i))),
  );
  await pool.query(
    `INSERT INTO ${s}.loops (loop_id, state, version, snapshot, updated_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::json[], $5::text[])`,
    [0, 1, 2, 3, 4].map((i) => col(c.loops, i)),
  );
  if (c.cases.length)
    await pool.query(
      `INSERT INTO ${s}.cases (id, loop_id, status, priority, priority_rank, segment, owner, customer_email, created_at, updated_at, data)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::json[])`,
      c.cases[0]!.map((_, i) => col(c.cases, i)),
    );
}

/** BENCH_LEARN_PROFILE=1: print each query's time (first 60 characters of its SQL). */
function profiled(executor: SqlExecutor): SqlExecutor {
  if (process.env.BENCH_LEARN_PROFILE !== '1') return executor;
  return {
    ...executor,
    async all(sql, params) {
      const t0 = performance.now();
      const rows = await executor.all(sql, params);
      process.stdout.write(`${ms(t0).toFixed(1).padStart(8)} ms  ${sql.replace(/\s+/g, ' ').slice(0, 90)}\n`);
      return rows;
    },
  };
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface CadenceResult {
  /** Row scan (the reports before rollups), ms per run. */
  before: number[];
  /** Rollups, ms per run. */
  after: number[];
  /** Both reports equal, response-time percentiles aside (they come from the histogram). */
  same: boolean;
}

interface DbResult {
  name: string;
  loadSeconds: number;
  prepareSeconds: number;
  rebuildSeconds: number;
  rebuildDays: number;
  rollupRows: number;
  feedbackRows: number;
  cases: number;
  cadences: Record<Cadence, CadenceResult>;
  weeklySegmentAfter: number[];
  metricsOverAllRows: Record<string, { before: number; after: number }>;
}

/** A report without what legitimately differs: when it was made, and percentiles within their error. */
function comparable(report: Awaited<ReturnType<typeof buildReport>>): string {
  const { generatedAt: _, ...rest } = report;
  // Sections are set as their queries finish: compare them in a fixed order.
  const sorted = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify(sorted, (k, v) => (k === 'responseTimes' ? undefined : v));
}

async function measure(
  name: string,
  executor: SqlExecutor,
  loadSeconds: number,
  count: () => Promise<{ f: number; c: number }>,
): Promise<DbResult> {
  const scan = createRowScanAnalytics(executor, { segments });
  const analytics = createAnalytics(executor, { segments });
  const counts = await count(); // and statistics for the planner, as a live store has
  let t0 = performance.now();
  const { days: rebuildDays } = await rebuildRollups(executor);
  const rebuildSeconds = ms(t0) / 1000;
  process.stdout.write(`${name}: rebuilt ${rebuildDays} days of rollups in ${rebuildSeconds.toFixed(1)} s\n`);
  t0 = performance.now();
  await scan.prepare(); // the row scan's indexes, as before rollups
  await analytics.prepare();
  const prepareSeconds = ms(t0) / 1000;
  const cadences = {} as Record<Cadence, CadenceResult>;
  for (const cadence of CADENCES) {
    // Warm-up of each (statement caches, page cache), then alternate before / after.
    const reference = comparable(await buildReport(scan, { cadence, at: AT }));
    const got = comparable(await buildReport(analytics, { cadence, at: AT }));
    const same = got === reference;
    if (!same && process.env.BENCH_LEARN_DIFF === '1') {
      const a = JSON.parse(reference) as Record<string, unknown>;
      const b = JSON.parse(got) as Record<string, unknown>;
      for (const k of Object.keys(a))
        if (JSON.stringify(a[k]) !== JSON.stringify(b[k]))
          process.stdout.write(
            `${k}:\n  scan    ${JSON.stringify(a[k]).slice(0, 600)}\n  rollups ${JSON.stringify(b[k]).slice(0, 600)}\n`,
          );
    }
    const r: CadenceResult = { before: [], after: [], same };
    for (let i = 0; i < 5; i++) {
      if (i < 3) {
        t0 = performance.now();
        await buildReport(scan, { cadence, at: AT });
        r.before.push(ms(t0));
      }
      t0 = performance.now();
      await buildReport(analytics, { cadence, at: AT });
      r.after.push(ms(t0));
    }
    cadences[cadence] = r;
    process.stdout.write(
      `${name} ${cadence}: row scan ${median(r.before)} ms, rollups ${median(r.after)} ms${same ? '' : ' (REPORTS DIFFER)'}\n`,
    );
  }
  const weeklySegmentAfter: number[] = [];
  for (let i = 0; i < 5; i++) {
    t0 = performance.now();
    await buildReport(analytics, { cadence: 'weekly', at: AT, segment: 'EU' });
    weeklySegmentAfter.push(ms(t0));
  }
  const metricsOverAllRows: Record<string, { before: number; after: number }> = {};
  const all = { period: 'week' as const };
  const metrics: [string, (a: Analytics) => Promise<unknown>][] = [
    ['nps by week', (a) => a.nps(all)],
    ['nps by segment', (a) => a.nps({ by: 'segment' })],
    ['csat by week', (a) => a.csat(all)],
    ['responses by week', (a) => a.responses(all)],
    ['recovery by week', (a) => a.recovery(all)],
    ['response times by week', (a) => a.responseTimes(all)],
    ['SLA breach rate by week', (a) => a.slaBreachRate(all)],
    ['root-cause Pareto', (a) => a.rootCauses({})],
    ['topic trends by week', (a) => a.topicTrends(all)],
  ];
  for (const [label, run] of metrics) {
    t0 = performance.now();
    await run(scan);
    const before = ms(t0);
    t0 = performance.now();
    await run(analytics);
    metricsOverAllRows[label] = { before, after: ms(t0) };
  }
  return {
    name,
    loadSeconds,
    prepareSeconds,
    rebuildSeconds,
    rebuildDays,
    rollupRows: await rollupRows(executor),
    feedbackRows: counts.f,
    cases: counts.c,
    cadences,
    weeklySegmentAfter,
    metricsOverAllRows,
  };
}

/** Rows in the rollup tables. */
async function rollupRows(executor: SqlExecutor): Promise<number> {
  let n = 0;
  for (const t of ROLLUP_TABLES)
    n += Number((await executor.all(`SELECT COUNT(*) AS n FROM ${executor.table(t)}`))[0]?.n);
  return n;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'learn-bench-'));
  const path = join(dir, 'closedloop.sqlite');
  const store = sqliteStore({ path, synchronous: 'NORMAL' });
  await store.init();
  await store.close();
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;');
  // Bulk load without the rollup triggers (rows go in table by table, not as the runtime's steps);
  // the rollups are then rebuilt from the rows, and that rebuild is measured.
  for (const t of db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'learn_%'")
    .all())
    db.exec(`DROP TRIGGER ${String(t.name)}`);

  let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
  let pool: pg.Pool | undefined;
  const schema = 'closedloop';
  if (WITH_PG) {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: 4 });
    const pgStore = postgresStore({ pool, schema });
    await pgStore.init();
    await pgStore.close();
    await pool.query(
      `ALTER TABLE "${schema}".feedback DISABLE TRIGGER USER; ALTER TABLE "${schema}".cases DISABLE TRIGGER USER`,
    );
  }

  let sqliteLoad = 0;
  let pgLoad = 0;
  while (made < N) {
    const c = nextChunk(CHUNK);
    // PostgreSQL ingests in its own process while this one writes SQLite.
    const t0 = performance.now();
    const pgDone = pool ? loadPostgres(pool, `"${schema}"`, c).then(() => ms(t0)) : Promise.resolve(0);
    const t1 = performance.now();
    loadSqlite(db, c);
    sqliteLoad += ms(t1);
    pgLoad += await pgDone;
    if (made % 200_000 === 0) process.stdout.write(`  ${made.toLocaleString('en')} rows loaded\n`);
  }
  const results: DbResult[] = [];
  const sqlite = profiled(sqliteExecutor(db));
  for (const statement of rollupSchema(sqlite)) db.exec(statement); // the triggers again
  results.push(
    await measure('SQLite', sqlite, sqliteLoad / 1000, async () => {
      db.exec('ANALYZE');
      const f = Number((db.prepare('SELECT COUNT(*) AS n FROM feedback').get() as { n: number }).n);
      const c = Number((db.prepare('SELECT COUNT(*) AS n FROM cases').get() as { n: number }).n);
      return { f, c };
    }),
  );
  db.close();
  rmSync(dir, { recursive: true, force: true });

  if (pool && server) {
    const executor = profiled(postgresExecutor(pool, schema));
    const p = pool;
    await p.query(
      `ALTER TABLE "${schema}".feedback ENABLE TRIGGER USER; ALTER TABLE "${schema}".cases ENABLE TRIGGER USER`,
    );
    results.push(
      await measure('PostgreSQL', executor, pgLoad / 1000, async () => {
        const tables = ['feedback', 'cases', 'loops', ...ROLLUP_TABLES].map((t) => `"${schema}".${t}`);
        await p.query(`VACUUM ANALYZE ${tables.join(', ')}`);
        const f = Number((await p.query(`SELECT COUNT(*) AS n FROM "${schema}".feedback`)).rows[0].n);
        const c = Number((await p.query(`SELECT COUNT(*) AS n FROM "${schema}".cases`)).rows[0].n);
        return { f, c };
      }),
    );
    await pool.end();
    await server.stop();
  }

  const target = 1000;
  const cadenceRow = (r: DbResult, c: Cadence) => {
    const x = r.cadences[c];
    const before = median(x.before);
    const after = median(x.after);
    return `| ${r.name} | ${c} | ${before} ms | ${after} ms (max ${Math.max(...x.after)}) | ${(before / after).toFixed(1)}× | ${x.same ? 'yes' : '**no**'} | ${after < target ? '✔' : '✘'} < 1 s |`;
  };
  const metricNames = Object.keys(results[0]!.metricsOverAllRows);
  const markdown = `## Inner-loop analytics (core/learn)

${N.toLocaleString('en')} feedback rows over 52 weeks (30 segments in 3 levels, 5 touchpoints, 6 languages, 1–2 topics per answer, a case per identified detractor, re-surveys of resolved cases), bulk-inserted into each store's schema (rollup triggers off), then the rollups rebuilt from the rows (\`rebuildRollups\`, what \`closedloop learn rebuild\` runs: one transaction per UTC day). Each report = \`buildReport(analytics, { cadence })\` with the cadence's sections (daily: summary, red flags, breaches, backlog; weekly: summary, 12-week trend, by segment / touchpoint / language, topics, root causes, backlog; monthly / quarterly: summary, trend, by segment, root causes, topics). Reference, in the same run on the same rows: the same report from the row scan (\`createRowScanAnalytics\`, the reports before rollups, with its indexes). After a warm-up of each, median of 3 row-scan runs and of 5 rollup runs, alternating, one report at a time. "Same report": both reports equal, response-time percentiles aside (histogram, ≤ 1% apart). ${measuredOn(1)}${WITH_PG ? '' : ' PostgreSQL skipped (BENCH_LEARN_PG=0).'}

| store | cadence | row scan (reference) | rollups | speed-up | same report | target |
|---|---|---:|---:|---:|---|---|
${results.flatMap((r) => CADENCES.map((c) => cadenceRow(r, c))).join('\n')}

Weekly report of segment EU (rollups): ${results.map((r) => `${r.name} ${median(r.weeklySegmentAfter)} ms`).join(', ')}.

Each metric once over all rows (no date range), in ms, row scan → rollups:

| metric | ${results.map((r) => r.name).join(' | ')} |
|---|${results.map(() => '---:').join('|')}|
${metricNames.map((m) => `| ${m} | ${results.map((r) => `${r.metricsOverAllRows[m]!.before} → ${r.metricsOverAllRows[m]!.after}`).join(' | ')} |`).join('\n')}

Rebuild of all rollups from the rows (\`learn rebuild\`): ${results.map((r) => `${r.name} ${r.rebuildSeconds.toFixed(1)} s for ${r.rebuildDays} days (${r.rollupRows.toLocaleString('en')} rollup rows)`).join(', ')}. Bulk load: ${results.map((r) => `${r.name} ${r.loadSeconds.toFixed(1)} s`).join(', ')}; \`prepare()\` (row-scan indexes): ${results.map((r) => `${r.name} ${r.prepareSeconds.toFixed(1)} s`).join(', ')}.
`;
  writeResults('learn', { rows: N, results }, markdown);
  if (results.some((r) => CADENCES.some((c) => !r.cadences[c].same || median(r.cadences[c].after) >= target)))
    process.exitCode = 1;
}

await main();
