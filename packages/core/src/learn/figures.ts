import type { SegmentTree } from '../domain/people.ts';
import { ClosedLoopError } from '../errors.ts';
import type { SqlExecutor, SqlParam, SqlRow } from './executor.ts';
import {
  csatRow,
  npsRow,
  num,
  numOrNull,
  recoveryRow,
  responseCountRow,
  responseTimeRow,
  rootCauseRows,
  slaRow,
  str,
  topicRow,
} from './figure-rows.ts';
import { dialectSql, type Frag, joinSql, list, type Period, raw, sql, text } from './sql.ts';

export type { Period } from './sql.ts';
export const PERIODS: readonly Period[] = ['day', 'week', 'month', 'quarter'];

/** What a metric is broken down by besides the period. */
export type Dimension = 'segment' | 'touchpoint' | 'language';

/**
 * Which rows a metric covers and how they are grouped. Times are ISO-8601 instants (or `Date`s),
 * `from` inclusive and `to` exclusive; periods are UTC calendar days, ISO weeks (from Monday),
 * months and quarters, keyed by their first day (`2026-01-05`).
 */
export interface MetricQuery {
  from?: string | Date;
  to?: string | Date;
  /** Group by period; without it one row covers the whole range (`period: 'all'`). */
  period?: Period;
  /** Segments whose subtrees are covered (roll-up). Without it: every row, segmented or not. */
  segment?: string | readonly string[];
  touchpoint?: string;
  language?: string;
  /**
   * Break down by a dimension (`group` of each row). By segment: a single `segment` scope splits
   * into its own rows plus one roll-up per child; several segments (or none: the tree's roots)
   * split one roll-up per segment, `(none)` collecting rows without a known segment.
   */
  by?: Dimension;
}

export interface Keyed {
  /** Period start (`YYYY-MM-DD`), or `all`. */
  period: string;
  /** Group of the `by` dimension, or `all`. */
  group: string;
}

export interface NpsRow extends Keyed {
  /** Answers with an NPS score. */
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** %promoters − %detractors, in [-100, 100]; `null` with no answer. */
  nps: number | null;
  /** 95% confidence interval of the NPS (normal approximation), clamped to [-100, 100]. */
  ci: { low: number; high: number } | null;
}

export interface CsatRow extends Keyed {
  responses: number;
  /** Scores 4–5. */
  satisfied: number;
  neutral: number;
  dissatisfied: number;
  /** Share of satisfied answers, in % (0–100); `null` with no answer. */
  csat: number | null;
  /** Mean score (1–5). */
  average: number | null;
}

export interface ResponseCountRow extends Keyed {
  total: number;
  withNps: number;
  withCsat: number;
  anonymous: number;
}

export interface RecoveryRow extends Keyed {
  /** Detractors whose case was re-surveyed and who answered with an NPS score. */
  resurveyed: number;
  /** Of them, now passive or promoter (7–10). */
  recovered: number;
  /** Of them, now promoter (9–10). */
  promoters: number;
  /** recovered / resurveyed in %, `null` when none. */
  rate: number | null;
}

export interface Percentiles {
  count: number;
  /** Milliseconds; nearest-rank percentiles (PostgreSQL's `percentile_disc`). */
  p50: number | null;
  p90: number | null;
}

export interface ResponseTimeRow extends Keyed {
  /** Case creation → first response (first move out of `new`). */
  firstResponse: Percentiles;
  /** Case creation → resolution. */
  resolution: Percentiles;
}

export interface SlaRow extends Keyed {
  cases: number;
  /** Cases with at least one breach. */
  breached: number;
  firstResponseBreached: number;
  resolutionBreached: number;
  /** breached / cases in %. */
  rate: number | null;
}

export const AGE_BANDS = ['<1d', '1-3d', '3-7d', '7-30d', '>30d'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

export interface BacklogRow {
  group: string;
  /** Cases new, open or escalated at `asOf`. */
  open: number;
  byAge: Record<AgeBand, number>;
  /** Age of the oldest open case, in ms. */
  oldestMs: number | null;
}

export interface RootCauseRow {
  rootCause: string;
  cases: number;
  /** Share of all root-caused cases, in %. */
  share: number;
  /** Running share down the Pareto, in %. */
  cumulativeShare: number;
}

export interface TopicRow extends Keyed {
  topic: string;
  mentions: number;
  /** Mentions by answers with an NPS score, and the NPS of those answers. */
  npsResponses: number;
  detractors: number;
  nps: number | null;
}

export interface CaseListRow {
  caseId: string;
  segment: string;
  priority: string;
  status: string;
  owner: string;
  nps: number | null;
  /** The customer's comment (customer text: escape it when rendering). */
  comment: string;
  createdAt: string;
}

export interface BreachListRow {
  caseId: string;
  segment: string;
  priority: string;
  status: string;
  owner: string;
  kind: string;
  at: string;
}

export interface AnalyticsOptions {
  segments: SegmentTree;
}

/** Inner-loop metrics computed in SQL over the store's `feedback`, `cases` and `loops` tables. */
export interface Analytics {
  readonly dialect: SqlExecutor['dialect'];
  readonly segments: SegmentTree;
  /** Creates the indexes the metrics use (`CREATE INDEX IF NOT EXISTS`). Idempotent; call once. */
  prepare(): Promise<void>;
  nps(q?: MetricQuery): Promise<NpsRow[]>;
  csat(q?: MetricQuery): Promise<CsatRow[]>;
  responses(q?: MetricQuery): Promise<ResponseCountRow[]>;
  recovery(q?: MetricQuery): Promise<RecoveryRow[]>;
  responseTimes(q?: MetricQuery): Promise<ResponseTimeRow[]>;
  slaBreachRate(q?: MetricQuery): Promise<SlaRow[]>;
  /** Open cases at `asOf` (default now) by age; `from`, `to` and `period` are ignored. */
  backlog(q?: MetricQuery & { asOf?: string | Date }): Promise<BacklogRow[]>;
  rootCauses(q?: MetricQuery): Promise<RootCauseRow[]>;
  topicTrends(q?: MetricQuery): Promise<TopicRow[]>;
  /** Cases opened in the range whose feedback carries a red flag, newest first. */
  redFlagCases(q?: MetricQuery & { limit?: number }): Promise<CaseListRow[]>;
  /** SLA breaches that happened in the range, newest first. */
  breaches(q?: MetricQuery & { limit?: number }): Promise<BreachListRow[]>;
}

export function iso(v: string | Date | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) {
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `Invalid ${name} "${String(v)}": use an ISO-8601 date or time such as 2026-01-05T00:00:00Z`,
    );
  }
  return d.toISOString();
}

/** Columns of one metric's base table. */
interface Source {
  time: string;
  segment: string;
  touchpoint: string;
  language: string;
}

/**
 * The figures computed from the rows themselves (every feedback and case of the range). Reports
 * use {@link createAnalytics}, which reads the daily rollups for the period figures; this scan is
 * the reference the rollups are tested and benchmarked against, and still serves the lists
 * (red-flag cases, breaches) and the backlog, which are not sums over days.
 */
export function createRowScanAnalytics(executor: SqlExecutor, options: AnalyticsOptions): Analytics {
  const d = dialectSql(executor.dialect);
  const tree = options.segments;
  // Feedback is read through the view the stores keep for learn; indexes go on its table.
  const F = executor.table('learn_feedback');
  const FEEDBACK_TABLE = executor.table('feedback');
  const C = executor.table('cases');
  const L = executor.table('loops');
  const pg = executor.dialect === 'postgres';
  const as = (alias: string) => (pg ? `AS ${alias}(value)` : `AS ${alias}`);

  async function run(frag: Frag): Promise<SqlRow[]> {
    return executor.all(frag.text, frag.params as SqlParam[]);
  }

  function roots(q: MetricQuery): string[] | undefined {
    if (q.segment === undefined) return undefined;
    const list = typeof q.segment === 'string' ? [q.segment] : [...q.segment];
    for (const s of list) tree.get(s); // throws a clear error for an unknown segment
    return list;
  }
  const subtree = (id: string) => [id, ...tree.descendants(id)];

  /** WHERE clauses for time range, segment subtree, touchpoint and language. */
  function where(q: MetricQuery, src: Source): Frag[] {
    const out: Frag[] = [];
    const from = iso(q.from, 'from');
    const to = iso(q.to, 'to');
    if (from !== undefined) out.push(sql`${raw(src.time)} >= ${from}`);
    if (to !== undefined) out.push(sql`${raw(src.time)} < ${to}`);
    const r = roots(q);
    if (r) {
      const ids = [...new Set(r.flatMap(subtree))];
      out.push(ids.length ? sql`${raw(src.segment)} IN (${list(ids)})` : raw('1 = 0'));
    }
    if (q.touchpoint !== undefined) out.push(sql`${raw(src.touchpoint)} = ${q.touchpoint}`);
    if (q.language !== undefined) out.push(sql`${raw(src.language)} = ${q.language}`);
    return out;
  }

  function periodKey(q: MetricQuery, src: Source): Frag {
    return q.period ? raw(d.bucket(src.time, q.period)) : raw("'all'");
  }

  function groupKey(q: MetricQuery, src: Source): Frag {
    switch (q.by) {
      case undefined:
        return raw("'all'");
      case 'touchpoint':
        return raw(`COALESCE(${src.touchpoint}, '(none)')`);
      case 'language':
        return raw(`COALESCE(${src.language}, '(none)')`);
      case 'segment': {
        const r = roots(q);
        const groups: [string, string[]][] =
          r && r.length === 1
            ? [[r[0]!, [r[0]!]], ...tree.children(r[0]!).map((c): [string, string[]] => [c, subtree(c)])]
            : (
                r ??
                tree
                  .all()
                  .filter((s) => s.parent === undefined)
                  .map((s) => s.id)
              ).map((g): [string, string[]] => [g, subtree(g)]);
        const whens = groups.map(
          ([g, ids]) => sql`WHEN ${raw(src.segment)} IN (${list(ids)}) THEN ${text(g)}`,
        );
        return sql`CASE ${joinSql(whens, ' ')} ELSE '(none)' END`;
      }
    }
  }

  function whereSql(clauses: Frag[]): Frag {
    return clauses.length ? sql`WHERE ${joinSql(clauses, ' AND ')}` : raw('');
  }

  /** Promoters, passives and detractors among the feedback rows `f`. */
  const npsCategories = raw(`SUM(CASE WHEN f.nps >= 9 THEN 1 ELSE 0 END) AS promoters,
          SUM(CASE WHEN f.nps BETWEEN 7 AND 8 THEN 1 ELSE 0 END) AS passives,
          SUM(CASE WHEN f.nps <= 6 THEN 1 ELSE 0 END) AS detractors`);

  const FB: Source = {
    time: 'f.received_at',
    segment: 'f.segment',
    touchpoint: 'f.touchpoint',
    language: 'f.language',
  };
  const caseFeedbackId = d.jsonText('c.data', ['feedbackId']);
  const CS: Source = {
    time: 'c.created_at',
    segment: 'c.segment',
    touchpoint: 'f.touchpoint',
    language: 'f.language',
  };
  /** Cases, joined to their feedback only when a touchpoint or language is asked for. */
  const casesFrom = (q: MetricQuery) =>
    raw(
      q.touchpoint !== undefined || q.language !== undefined || q.by === 'touchpoint' || q.by === 'language'
        ? `${C} c LEFT JOIN ${F} f ON f.id = ${caseFeedbackId}`
        : `${C} c`,
    );

  return {
    dialect: executor.dialect,
    segments: tree,

    async prepare() {
      const statements = pg
        ? [
            `CREATE INDEX IF NOT EXISTS learn_feedback_cover ON ${FEEDBACK_TABLE} (received_at, segment, nps, csat, touchpoint, language, anonymous)`,
            `CREATE INDEX IF NOT EXISTS learn_feedback_reply ON ${FEEDBACK_TABLE} (received_at) WHERE ((data)::json ->> 'inReplyTo') IS NOT NULL`,
            // postgresStore already indexes cases by created_at, updated_at and loop_id.
          ]
        : [
            'CREATE INDEX IF NOT EXISTS learn_feedback_cover ON feedback (received_at, segment, nps, csat, touchpoint, language, anonymous)',
            "CREATE INDEX IF NOT EXISTS learn_feedback_reply ON feedback (received_at) WHERE json_extract(data, '$.inReplyTo') IS NOT NULL",
            'CREATE INDEX IF NOT EXISTS learn_cases_created ON cases (created_at)',
            'CREATE INDEX IF NOT EXISTS learn_cases_loop ON cases (loop_id)',
          ];
      for (const s of statements) await executor.exec(s);
    },

    async nps(q = {}) {
      const rows = await run(sql`
        SELECT ${periodKey(q, FB)} AS period, ${groupKey(q, FB)} AS grp, COUNT(*) AS with_nps,
          ${npsCategories}
        FROM ${raw(F)} f ${whereSql([raw('f.nps IS NOT NULL'), ...where(q, FB)])}
        GROUP BY 1, 2 ORDER BY 1, 2`);
      return rows.map(npsRow);
    },

    async csat(q = {}) {
      const rows = await run(sql`
        SELECT ${periodKey(q, FB)} AS period, ${groupKey(q, FB)} AS grp, COUNT(*) AS with_csat,
          SUM(CASE WHEN f.csat >= 4 THEN 1 ELSE 0 END) AS satisfied,
          SUM(CASE WHEN f.csat = 3 THEN 1 ELSE 0 END) AS neutral,
          SUM(CASE WHEN f.csat <= 2 THEN 1 ELSE 0 END) AS dissatisfied,
          SUM(f.csat) AS csat_sum
        FROM ${raw(F)} f ${whereSql([raw('f.csat IS NOT NULL'), ...where(q, FB)])}
        GROUP BY 1, 2 ORDER BY 1, 2`);
      return rows.map(csatRow);
    },

    async responses(q = {}) {
      const rows = await run(sql`
        SELECT ${periodKey(q, FB)} AS period, ${groupKey(q, FB)} AS grp, COUNT(*) AS responses,
          COUNT(f.nps) AS with_nps, COUNT(f.csat) AS with_csat,
          SUM(CASE WHEN CAST(f.anonymous AS INTEGER) = 1 THEN 1 ELSE 0 END) AS anonymous
        FROM ${raw(F)} f ${whereSql(where(q, FB))}
        GROUP BY 1, 2 ORDER BY 1, 2`);
      return rows.map(responseCountRow);
    },

    async recovery(q = {}) {
      const reply = d.jsonText('r.data', ['inReplyTo']);
      const src: Source = {
        time: 'r.received_at',
        segment: 'c.segment',
        touchpoint: 'r.touchpoint',
        language: 'r.language',
      };
      const rows = await run(sql`
        SELECT ${periodKey(q, src)} AS period, ${groupKey(q, src)} AS grp, COUNT(*) AS resurveyed,
          SUM(CASE WHEN r.nps >= 7 THEN 1 ELSE 0 END) AS recovered,
          SUM(CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END) AS recovered_promoters
        FROM ${raw(F)} r JOIN ${raw(C)} c ON c.loop_id = ${raw(reply)}
        ${whereSql([
          raw(
            `${pg ? "((r.data)::json ->> 'inReplyTo')" : "json_extract(r.data, '$.inReplyTo')"} IS NOT NULL`,
          ),
          raw('r.nps IS NOT NULL'),
          raw(`${d.jsonNumber('c.data', ['nps'])} <= 6`),
          ...where(q, src),
        ])}
        GROUP BY 1, 2 ORDER BY 1, 2`);
      return rows.map(recoveryRow);
    },

    async responseTimes(q = {}) {
      const first = d.millisBetween('c.created_at', d.jsonText('c.data', ['sla', 'firstRespondedAt']));
      const resolved = d.millisBetween('c.created_at', d.jsonText('c.data', ['resolvedAt']));
      const ranked = (column: string) => `
        SELECT period, grp, ${column} AS v,
          ROW_NUMBER() OVER (PARTITION BY period, grp ORDER BY ${column}) AS rn,
          COUNT(*) OVER (PARTITION BY period, grp) AS n
        FROM d WHERE ${column} IS NOT NULL`;
      const pick = (kind: string, source: string) => `
        SELECT period, grp, '${kind}' AS kind, MAX(n) AS n,
          MIN(CASE WHEN rn * 100 >= 50 * n THEN v END) AS p50,
          MIN(CASE WHEN rn * 100 >= 90 * n THEN v END) AS p90
        FROM (${source}) x GROUP BY period, grp`;
      const rows = await run(sql`
        WITH d AS MATERIALIZED (
          SELECT ${periodKey(q, CS)} AS period, ${groupKey(q, CS)} AS grp,
            ${raw(first)} AS first_ms, ${raw(resolved)} AS resolved_ms
          FROM ${casesFrom(q)} ${whereSql(where(q, CS))})
        ${raw(pick('first', ranked('first_ms')))}
        UNION ALL ${raw(pick('resolution', ranked('resolved_ms')))}
        ORDER BY 1, 2`);
      const out = new Map<string, ResponseTimeRow>();
      for (const r of rows) {
        const row = responseTimeRow(out, r);
        const p: Percentiles = { count: num(r.n), p50: numOrNull(r.p50), p90: numOrNull(r.p90) };
        if (r.kind === 'first') row.firstResponse = p;
        else row.resolution = p;
      }
      return [...out.values()];
    },

    async slaBreachRate(q = {}) {
      const path = ['sla', 'breaches'];
      const rows = await run(sql`
        SELECT ${periodKey(q, CS)} AS period, ${groupKey(q, CS)} AS grp, COUNT(*) AS cases,
          SUM(CASE WHEN ${raw(d.jsonArrayNotEmpty('c.data', path))} THEN 1 ELSE 0 END) AS breached,
          SUM(CASE WHEN ${raw(d.jsonArrayHasObject('c.data', path, 'kind', 'firstResponse'))} THEN 1 ELSE 0 END) AS first_breached,
          SUM(CASE WHEN ${raw(d.jsonArrayHasObject('c.data', path, 'kind', 'resolution'))} THEN 1 ELSE 0 END) AS resolution_breached
        FROM ${casesFrom(q)} ${whereSql(where(q, CS))}
        GROUP BY 1, 2 ORDER BY 1, 2`);
      return rows.map(slaRow);
    },

    async backlog(q = {}) {
      const asOf = iso(q.asOf, 'asOf') ?? new Date().toISOString();
      const rows = await run(backlogSql(q, asOf));
      const out = new Map<string, BacklogRow>();
      for (const r of rows) {
        const group = str(r.grp);
        let row = out.get(group);
        if (!row) {
          row = {
            group,
            open: 0,
            byAge: Object.fromEntries(AGE_BANDS.map((b) => [b, 0])) as Record<AgeBand, number>,
            oldestMs: null,
          };
          out.set(group, row);
        }
        const n = num(r.n);
        row.open += n;
        row.byAge[str(r.band) as AgeBand] = n;
        const oldest = numOrNull(r.oldest);
        if (oldest !== null) row.oldestMs = Math.max(row.oldestMs ?? 0, oldest);
      }
      return [...out.values()];
    },

    async rootCauses(q = {}) {
      const cause = d.jsonText('c.data', ['rootCause']);
      const rows = await run(sql`
        SELECT ${raw(cause)} AS cause, COUNT(*) AS n
        FROM ${casesFrom(q)} ${whereSql([raw(`${cause} IS NOT NULL`), ...where(q, CS)])}
        GROUP BY 1 ORDER BY 2 DESC, 1`);
      return rootCauseRows(rows);
    },

    async topicTrends(q = {}) {
      const topics = d.jsonTextElements('l.snapshot', ['context', 'classification', 'topics']);
      const rows = await run(sql`
        SELECT ${periodKey(q, FB)} AS period, ${groupKey(q, FB)} AS grp, t.value AS topic, COUNT(*) AS mentions,
          COUNT(f.nps) AS with_nps,
          ${npsCategories}
        FROM ${raw(F)} f JOIN ${raw(L)} l ON l.loop_id = f.loop_id
          CROSS JOIN ${raw(topics)} ${raw(as('t'))}
        ${whereSql(where(q, FB))}
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC, 3`);
      return rows.map(topicRow);
    },

    async redFlagCases(q = {}) {
      const rows = await run(sql`
        SELECT c.id, c.segment, c.priority, c.status, c.owner, c.created_at,
          ${raw(d.jsonNumber('c.data', ['nps']))} AS nps, ${raw(d.jsonText('c.data', ['feedbackComment']))} AS comment
        FROM ${casesFrom(q)} JOIN ${raw(L)} l ON l.loop_id = c.loop_id
        ${whereSql([raw(d.jsonArrayHasText('l.snapshot', ['context', 'classification', 'flags'], 'red')), ...where(q, CS)])}
        ORDER BY c.created_at DESC, c.id LIMIT ${q.limit ?? 100}`);
      return rows.map((r) => ({
        ...caseColumns(r),
        nps: numOrNull(r.nps),
        comment: str(r.comment),
        createdAt: str(r.created_at),
      }));
    },

    async breaches(q = {}) {
      const from = iso(q.from, 'from');
      const to = iso(q.to, 'to');
      const at = d.elementText('b', 'at');
      const kind = d.elementText('b', 'kind');
      const atTs = pg ? `(${at})::timestamptz` : at;
      const clauses: Frag[] = [...where({ ...q, from: undefined, to: undefined }, CS)];
      if (from !== undefined) clauses.push(sql`c.updated_at >= ${from}`, sql`${raw(atTs)} >= ${from}`);
      if (to !== undefined) clauses.push(sql`${raw(atTs)} < ${to}`);
      const rows = await run(sql`
        SELECT c.id, c.segment, c.priority, c.status, c.owner, ${raw(kind)} AS kind, ${raw(at)} AS at
        FROM ${casesFrom(q)} CROSS JOIN ${raw(d.jsonElements('c.data', ['sla', 'breaches']))} ${raw(as('b'))}
        ${whereSql(clauses)}
        ORDER BY 7 DESC, 1 LIMIT ${q.limit ?? 100}`);
      return rows.map((r) => ({
        ...caseColumns(r),
        kind: str(r.kind),
        at: str(r.at),
      }));
    },
  };

  function backlogSql(q: MetricQuery, asOf: string): Frag {
    const day = 86_400_000;
    const [before = '', after = ''] = d.millisBetween('c.created_at', '?').split('?');
    const age = sql`${raw(before)}${asOf}${raw(after)}`;
    return sql`
      SELECT grp, CASE WHEN age < ${raw(String(day))} THEN '<1d' WHEN age < ${raw(String(3 * day))} THEN '1-3d'
        WHEN age < ${raw(String(7 * day))} THEN '3-7d' WHEN age < ${raw(String(30 * day))} THEN '7-30d' ELSE '>30d' END AS band,
        COUNT(*) AS n, MAX(age) AS oldest
      FROM (
        SELECT ${groupKey(q, CS)} AS grp, ${age} AS age
        FROM ${casesFrom(q)}
        ${whereSql([
          raw("c.status IN ('new', 'open', 'escalated')"),
          // SQLite: `+` keeps the planner on the status index (few open cases) rather than a
          // range over every case by creation time.
          sql`${raw(pg ? 'c.created_at' : '+c.created_at')} <= ${asOf}`,
          ...where({ ...q, from: undefined, to: undefined }, CS),
        ])}) x
      GROUP BY 1, 2 ORDER BY 1, 2`;
  }
}

/** The case columns both lists show. */
const caseColumns = (r: SqlRow) => ({
  caseId: str(r.id),
  segment: str(r.segment),
  priority: str(r.priority),
  status: str(r.status),
  owner: str(r.owner),
});
