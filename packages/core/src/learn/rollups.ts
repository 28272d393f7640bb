// Daily rollups of the report figures: additive counts per UTC day and key (segment, touchpoint,
// language, and topic / root cause / duration bucket), so the figures of any range of whole days
// are sums over its days. Database triggers keep them in the same transaction as every write of
// a feedback or case row (insert, update, delete: the runtime's steps, erasure, retention);
// `rebuildRollups` recomputes any range of days from the rows with the very same SQL.
//
// One definition per table: `contribution(…)` is the SQL of what a set of rows adds to it. A
// trigger adds the contribution of the new row (AFTER INSERT/UPDATE) and takes back the one of the
// old row (BEFORE UPDATE/DELETE, when the table still holds it); the rebuild inserts the
// contribution of a range's rows after deleting that range's rollup rows.

import { ClosedLoopError } from '../errors.ts';
import type { SqlExecutor, SqlParam } from './executor.ts';
import { type Dialect, type DialectSql, dialectSql, type Frag, raw, sql } from './sql.ts';

export const ROLLUP_TABLES = [
  'learn_feedback_daily',
  'learn_topic_daily',
  'learn_case_daily',
  'learn_duration_daily',
] as const;
export type RollupTable = (typeof ROLLUP_TABLES)[number];

/**
 * Durations (time to first response, to resolution) are counted in a fixed log-scale histogram:
 * bucket `i ≥ 1` holds durations in (γ^(i−1), γ^i] ms, bucket 0 those ≤ 0 ms. A percentile is the
 * nearest-rank bucket's value 2γ^i/(γ+1), within {@link DURATION_ERROR} of the exact nearest-rank
 * duration (relative error (γ−1)/(γ+1)). Mergeable: a range's histogram is the sum of its days'.
 */
export const DURATION_GAMMA = 1.02;
/** The relative error of a reported percentile: (γ−1)/(γ+1) ≈ 0.99%. */
export const DURATION_ERROR = (DURATION_GAMMA - 1) / (DURATION_GAMMA + 1);
const LN_GAMMA = Math.log(DURATION_GAMMA);

/** The duration a histogram bucket stands for, in ms (rounded). */
export function bucketValue(bucket: number): number {
  return bucket <= 0 ? 0 : Math.round((2 * DURATION_GAMMA ** bucket) / (DURATION_GAMMA + 1));
}

/** The histogram bucket of a duration in ms (the SQL of the rollup does the same). */
export function durationBucket(ms: number): number {
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(Math.log(ms) / LN_GAMMA));
}

interface TableDef {
  name: RollupTable;
  /**
   * Key columns after `day` (text, `''` for none; `bucket` an integer): the table's own first, so
   * that reports grouping by day and them read the primary key in order.
   */
  keys: readonly string[];
  /** Additive counts. */
  measures: readonly string[];
}

const DIMS = ['segment', 'touchpoint', 'language'] as const;
const FEEDBACK: TableDef = {
  name: 'learn_feedback_daily',
  keys: DIMS,
  measures: [
    'responses',
    'with_nps',
    'promoters',
    'passives',
    'detractors',
    'with_csat',
    'satisfied',
    'neutral',
    'dissatisfied',
    'csat_sum',
    'anonymous',
    'resurveyed',
    'recovered',
    'recovered_promoters',
  ],
};
const TOPIC: TableDef = {
  name: 'learn_topic_daily',
  keys: ['topic', ...DIMS],
  measures: ['mentions', 'with_nps', 'promoters', 'passives', 'detractors'],
};
const CASE: TableDef = {
  name: 'learn_case_daily',
  keys: ['root_cause', ...DIMS],
  measures: ['cases', 'breached', 'first_breached', 'resolution_breached'],
};
const DURATION: TableDef = {
  name: 'learn_duration_daily',
  keys: ['kind', 'bucket', ...DIMS],
  measures: ['n'],
};
const TABLES = [FEEDBACK, TOPIC, CASE, DURATION] as const;

/** Where the rollups live: the dialect and the qualified names of the store's tables. */
export type RollupTarget = Pick<SqlExecutor, 'dialect' | 'table'>;

/** Which rows a contribution covers, as a condition on the base table alias (`f`, `r` or `c`). */
type RowFilter = (alias: string) => Frag;

const flag = (cond: string) => `CASE WHEN ${cond} THEN 1 ELSE 0 END`;

/** The SQL of the rows' contribution to one rollup table: `day, keys…, measures…` grouped by key. */
function contribution(ex: RollupTarget, def: TableDef, rows: RowFilter): Frag {
  const d = dialectSql(ex.dialect);
  const F = ex.table('feedback');
  const C = ex.table('cases');
  const L = ex.table('loops');
  const doc = jsonDoc(ex.dialect);
  // The rows asked for first, then index lookups: SQLite's CROSS JOIN keeps that order.
  const thenJoin = ex.dialect === 'sqlite' ? 'CROSS JOIN' : 'JOIN';
  const dims = (time: string, segment: string, fb: string) =>
    `${d.day(time)} AS day, COALESCE(${segment}, '') AS segment, COALESCE(${fb}.touchpoint, '') AS touchpoint, COALESCE(${fb}.language, '') AS language`;
  const score = (a: string) =>
    `${flag(`${a}.nps IS NOT NULL`)} AS with_nps, ${flag(`${a}.nps >= 9`)} AS promoters, ${flag(`${a}.nps BETWEEN 7 AND 8`)} AS passives, ${flag(`${a}.nps <= 6`)} AS detractors`;
  let inner: Frag;
  switch (def.name) {
    case 'learn_feedback_daily': {
      const reply = d.jsonText(doc('r.data'), ['inReplyTo']);
      inner = sql`
        SELECT ${raw(dims('f.received_at', 'f.segment', 'f'))}, 1 AS responses, ${raw(score('f'))},
          ${raw(flag('f.csat IS NOT NULL'))} AS with_csat, ${raw(flag('f.csat >= 4'))} AS satisfied,
          ${raw(flag('f.csat = 3'))} AS neutral, ${raw(flag('f.csat <= 2'))} AS dissatisfied,
          COALESCE(f.csat, 0) AS csat_sum, CAST(f.anonymous AS INTEGER) AS anonymous,
          0 AS resurveyed, 0 AS recovered, 0 AS recovered_promoters
        FROM ${raw(F)} f WHERE ${rows('f')}
        UNION ALL
        SELECT ${raw(dims('r.received_at', 'c.segment', 'r'))}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          1, ${raw(flag('r.nps >= 7'))}, ${raw(flag('r.nps >= 9'))}
        FROM ${raw(F)} r ${raw(thenJoin)} ${raw(C)} c ON c.loop_id = ${raw(reply)}
        WHERE ${raw(reply)} IS NOT NULL AND r.nps IS NOT NULL AND ${raw(d.jsonNumber(doc('c.data'), ['nps']))} <= 6 AND ${rows('r')}`;
      break;
    }
    case 'learn_topic_daily': {
      const topics = d.jsonTextElements(doc('l.snapshot'), ['context', 'classification', 'topics']);
      const as = ex.dialect === 'postgres' ? 'AS t(value)' : 'AS t';
      inner = sql`
        SELECT ${raw(dims('f.received_at', 'f.segment', 'f'))}, t.value AS topic, 1 AS mentions, ${raw(score('f'))}
        FROM ${raw(F)} f ${raw(thenJoin)} ${raw(L)} l ON l.loop_id = f.loop_id
          CROSS JOIN ${raw(topics)} ${raw(as)}
        WHERE ${rows('f')}`;
      break;
    }
    case 'learn_case_daily': {
      const path = ['sla', 'breaches'];
      inner = sql`
        SELECT ${raw(dims('c.created_at', 'c.segment', 'f'))}, COALESCE(${raw(d.jsonText(doc('c.data'), ['rootCause']))}, '') AS root_cause,
          1 AS cases, ${raw(flag(d.jsonArrayNotEmpty(doc('c.data'), path)))} AS breached,
          ${raw(flag(d.jsonArrayHasObject(doc('c.data'), path, 'kind', 'firstResponse')))} AS first_breached,
          ${raw(flag(d.jsonArrayHasObject(doc('c.data'), path, 'kind', 'resolution')))} AS resolution_breached
        FROM ${raw(caseRows(ex, d))} WHERE ${rows('c')}`;
      break;
    }
    case 'learn_duration_daily': {
      const part = (kind: string, field: readonly string[]) => {
        const ms = d.millisBetween('c.created_at', d.jsonText(doc('c.data'), field));
        const bucket = `CASE WHEN ${ms} <= 0 THEN 0 ELSE CAST(${d.greatest('1', `ceil(${d.ln(ms)} / ${LN_GAMMA})`)} AS INTEGER) END`;
        return sql`
          SELECT ${raw(dims('c.created_at', 'c.segment', 'f'))}, ${raw(`'${kind}'`)} AS kind, ${raw(bucket)} AS bucket, 1 AS n
          FROM ${raw(caseRows(ex, d))} WHERE ${raw(ms)} IS NOT NULL AND ${rows('c')}`;
      };
      inner = sql`${part('first', ['sla', 'firstRespondedAt'])} UNION ALL ${part('resolution', ['resolvedAt'])}`;
      break;
    }
  }
  const keys = ['day', ...def.keys].join(', ');
  return sql`SELECT ${raw(keys)}, ${raw(def.measures.map((m) => `SUM(${m}) AS ${m}`).join(', '))}
    FROM (${inner}) x GROUP BY ${raw(keys)}`;
}

/**
 * A stored JSON document, readable by PostgreSQL's json operators. They refuse a whole document
 * holding the escape of a NUL or of a lone surrogate (which a customer's text may carry, and the
 * store keeps as written), so such escapes are replaced by U+FFFD first; the fields read here
 * (ids, scores, root cause, SLA times, topics) are never customer text. A trigger that failed on
 * them would fail the capture itself.
 */
function jsonDoc(dialect: Dialect): (column: string) => string {
  if (dialect === 'sqlite') return (c) => c;
  const escapes = String.raw`'\\u(0000|[dD][89abAB][0-9a-fA-F]{2}|[dD][c-fC-F][0-9a-fA-F]{2})'`;
  return (c) =>
    `(CASE WHEN strpos((${c})::text, '\\u') > 0 THEN regexp_replace((${c})::text, ${escapes}, '\\\\ufffd', 'g') ELSE (${c})::text END)`;
}

/** Cases with their feedback (for its touchpoint and language). */
function caseRows(ex: RollupTarget, d: DialectSql): string {
  const doc = jsonDoc(ex.dialect);
  return `${ex.table('cases')} c LEFT JOIN ${ex.table('feedback')} f ON f.id = ${d.jsonText(doc('c.data'), ['feedbackId'])}`;
}

/** Adds (`sign` 1) or takes back (−1) the rows' contribution to one rollup table. */
function upsert(ex: RollupTarget, def: TableDef, rows: RowFilter, sign: 1 | -1): Frag {
  const keys = ['day', ...def.keys];
  const cols = [...keys, ...def.measures];
  const sums = def.measures.map((m) => `${sign} * c.${m}`).join(', ');
  return sql`INSERT INTO ${raw(ex.table(def.name))} AS t (${raw(cols.join(', '))})
    SELECT ${raw(keys.map((k) => `c.${k}`).join(', '))}, ${raw(sums)} FROM (${contribution(ex, def, rows)}) c WHERE 1 = 1
    ON CONFLICT (${raw(keys.join(', '))}) DO UPDATE SET ${raw(def.measures.map((m) => `${m} = t.${m} + excluded.${m}`).join(', '))}`;
}

const byId =
  (ref: string): RowFilter =>
  (alias) =>
    raw(`${alias}.id = ${ref}`);

/** The statements that create the rollup tables and their triggers (idempotent: run at every start). */
export function rollupSchema(ex: RollupTarget): string[] {
  const pg = ex.dialect === 'postgres';
  const tables = TABLES.map((def) => {
    const keys = ['day', ...def.keys];
    const cols = [
      `day ${pg ? 'date' : 'TEXT'} NOT NULL`,
      ...def.keys.map((k) => `${k} ${k === 'bucket' ? 'INTEGER' : 'TEXT'} NOT NULL`),
      ...def.measures.map((m) => `${m} ${pg ? 'bigint' : 'INTEGER'} NOT NULL DEFAULT 0`),
    ];
    return `CREATE TABLE IF NOT EXISTS ${ex.table(def.name)} (${cols.join(', ')}, PRIMARY KEY (${keys.join(', ')}))${pg ? '' : ' WITHOUT ROWID'}`;
  });
  const text = (f: Frag) => {
    if (f.params.length) throw new Error('A rollup trigger takes no parameters');
    return f.text;
  };
  const maintained = [
    { base: 'feedback', defs: [FEEDBACK, TOPIC] },
    { base: 'cases', defs: [CASE, DURATION] },
  ] as const;
  const triggers = maintained.flatMap(({ base, defs }) => {
    const minus = defs.map((def) => text(upsert(ex, def, byId('OLD.id'), -1)));
    const plus = defs.map((def) => text(upsert(ex, def, byId('NEW.id'), 1)));
    const name = `learn_${base}_rollup`;
    if (!pg) {
      const trigger = (suffix: string, when: string, body: string[]) => [
        `DROP TRIGGER IF EXISTS ${name}_${suffix}`,
        `CREATE TRIGGER ${name}_${suffix} ${when} ON ${base} BEGIN ${body.map((s) => `${s};`).join(' ')} END`,
      ];
      return [
        ...trigger('insert', 'AFTER INSERT', plus),
        ...trigger('before_update', 'BEFORE UPDATE', minus),
        ...trigger('after_update', 'AFTER UPDATE', plus),
        ...trigger('delete', 'BEFORE DELETE', minus),
      ];
    }
    // The function lives in the store's schema, beside the tables (`table()` only qualifies).
    const fn = ex.table(name as RollupTable);
    const table = ex.table(base);
    return [
      `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $rollup$
BEGIN
  IF TG_WHEN = 'BEFORE' THEN
    ${minus.map((s) => `${s};`).join('\n    ')}
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  ${plus.map((s) => `${s};`).join('\n  ')}
  RETURN NULL;
END
$rollup$`,
      `CREATE OR REPLACE TRIGGER ${name}_before BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      `CREATE OR REPLACE TRIGGER ${name}_after AFTER INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    ];
  });
  return [...tables, ...triggers];
}

/**
 * The statements of a store migration that adds the rollups: tables, triggers, and the rollups of
 * every row already stored (one pass). SQLite also gets an index of cases by loop, for the
 * re-survey lookup of each new answer, and cases and feedback by time, for rebuilds (one day at a
 * time); PostgreSQL's store has all three.
 */
export function rollupMigration(ex: RollupTarget): string[] {
  const fill = TABLES.flatMap((def) => {
    const all = upsert(ex, def, () => raw('1 = 1'), 1);
    return [`DELETE FROM ${ex.table(def.name)}`, all.text];
  });
  return [
    ...(ex.dialect === 'sqlite'
      ? [
          'CREATE INDEX IF NOT EXISTS learn_cases_loop ON cases (loop_id)',
          'CREATE INDEX IF NOT EXISTS learn_cases_created ON cases (created_at)',
          'CREATE INDEX IF NOT EXISTS learn_feedback_received ON feedback (received_at)',
        ]
      : []),
    ...rollupSchema(ex),
    ...fill,
  ];
}

export interface RebuildOptions {
  /** First UTC day (`YYYY-MM-DD` or an instant on it); default the first day with a row. */
  from?: string;
  /** Day after the last one rebuilt (exclusive); default the day after the last row. */
  to?: string;
  /** Called after each day. */
  onProgress?: (done: { day: string; days: number; of: number }) => void;
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Recomputes the rollups of a range of UTC days from the rows: per day, one transaction deletes the
 * day's rollup rows and inserts its rows' contribution. Idempotent, and safe while the store
 * serves: each day's transaction locks out writers of feedback and cases for its duration (SQLite:
 * `BEGIN IMMEDIATE`; PostgreSQL: `SHARE ROW EXCLUSIVE` on both tables), so no write is counted
 * twice or lost; readers are never blocked.
 *
 * @example
 * await rebuildRollups(store.sql!, { from: '2026-01-01', to: '2026-02-01' });
 */
export async function rebuildRollups(
  ex: SqlExecutor,
  options: RebuildOptions = {},
): Promise<{ days: number }> {
  const d = dialectSql(ex.dialect);
  const edge = async (fn: 'MIN' | 'MAX'): Promise<number | undefined> => {
    const [r] = await ex.all(
      `SELECT CAST(${fn}(x) AS TEXT) AS x FROM (SELECT ${fn}(${d.day('received_at')}) AS x FROM ${ex.table('feedback')} UNION ALL SELECT ${fn}(${d.day('created_at')}) FROM ${ex.table('cases')}) m`,
    );
    return r?.x == null ? undefined : dayStart(String(r.x), 'day');
  };
  const start = async () => (options.from !== undefined ? dayStart(options.from, 'from') : edge('MIN'));
  const end = async () => {
    if (options.to !== undefined) return dayStart(options.to, 'to');
    const last = await edge('MAX');
    return last === undefined ? undefined : last + DAY_MS;
  };
  const from = await start();
  const to = await end();
  if (from === undefined || to === undefined || to <= from) return { days: 0 };
  const of = Math.round((to - from) / DAY_MS);
  let days = 0;
  for (let day = from; day < to; day += DAY_MS) {
    await ex.transaction(async (tx) => {
      if (tx.dialect === 'postgres')
        await tx.exec(`LOCK TABLE ${tx.table('feedback')}, ${tx.table('cases')} IN SHARE ROW EXCLUSIVE MODE`);
      for (const f of rebuildDaySql(tx, day)) await tx.all(f.text, f.params as SqlParam[]);
    });
    days++;
    options.onProgress?.({ day: dayOf(day), days, of });
  }
  return { days };
}

/** The statements that recompute one UTC day (midnight UTC in ms): per table, delete and refill. */
export function rebuildDaySql(ex: RollupTarget, day: number): Frag[] {
  const lo = new Date(day).toISOString();
  const hi = new Date(day + DAY_MS).toISOString();
  return TABLES.flatMap((def) => {
    const time = def === FEEDBACK || def === TOPIC ? 'received_at' : 'created_at';
    const rows: RowFilter = (a) => sql`${raw(`${a}.${time}`)} >= ${lo} AND ${raw(`${a}.${time}`)} < ${hi}`;
    return [sql`DELETE FROM ${raw(ex.table(def.name))} WHERE day = ${dayOf(day)}`, upsert(ex, def, rows, 1)];
  });
}

/** Midnight UTC of a day given as `YYYY-MM-DD` or an instant at midnight UTC. */
function dayStart(v: string, name: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(ms) || ms % DAY_MS !== 0) {
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `Invalid ${name} "${v}": rollups cover whole UTC days; use a date such as 2026-01-05`,
    );
  }
  return ms;
}
