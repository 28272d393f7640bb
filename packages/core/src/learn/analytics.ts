// The report figures. Period figures (NPS, CSAT, responses, recovery, response times, SLA breach
// rate, root causes, topics) are sums over the daily rollups (rollups.ts), so a quarter costs about
// what a day does; the backlog and the lists (red-flag cases, breaches) read the rows (figures.ts).
import { ClosedLoopError } from '../errors.ts';
import type { SqlParam, SqlRow } from './executor.ts';
import {
  csatRow,
  npsRow,
  num,
  recoveryRow,
  responseCountRow,
  responseTimeRow,
  rootCauseRows,
  slaRow,
  str,
  topicRow,
} from './figure-rows.ts';
import {
  type Analytics,
  type AnalyticsOptions,
  createRowScanAnalytics,
  iso,
  type MetricQuery,
  type Percentiles,
  type ResponseTimeRow,
} from './figures.ts';
import { bucketValue, type RollupTable } from './rollups.ts';
import { dialectSql, type Frag, joinSql, list, raw, sql, text } from './sql.ts';

export { npsWithInterval } from './figure-rows.ts';
export {
  AGE_BANDS,
  type AgeBand,
  type Analytics,
  type AnalyticsOptions,
  type BacklogRow,
  type BreachListRow,
  type CaseListRow,
  type CsatRow,
  type Dimension,
  type MetricQuery,
  type NpsRow,
  PERIODS,
  type Percentiles,
  type Period,
  type RecoveryRow,
  type ResponseCountRow,
  type ResponseTimeRow,
  type RootCauseRow,
  type SlaRow,
  type TopicRow,
} from './figures.ts';

const DAY_MS = 86_400_000;

/**
 * Creates the analytics over one store database (SQLite or PostgreSQL; the store keeps the
 * rollups). `from` and `to` of the period figures must be whole UTC days (midnight UTC).
 *
 * @example
 * const analytics = createAnalytics(sqliteExecutor(new DatabaseSync('closedloop.sqlite')), { segments });
 * await analytics.prepare();
 * const weekly = await analytics.nps({ from: '2026-01-05', to: '2026-01-12', by: 'segment' });
 */
export function createAnalytics(
  executor: Parameters<typeof createRowScanAnalytics>[0],
  options: AnalyticsOptions,
): Analytics {
  const rows = createRowScanAnalytics(executor, options);
  const d = dialectSql(executor.dialect);
  const tree = options.segments;

  async function run(frag: Frag): Promise<SqlRow[]> {
    return executor.all(frag.text, frag.params as SqlParam[]);
  }

  function roots(q: MetricQuery): string[] | undefined {
    if (q.segment === undefined) return undefined;
    const ids = typeof q.segment === 'string' ? [q.segment] : [...q.segment];
    for (const s of ids) tree.get(s); // throws a clear error for an unknown segment
    return ids;
  }
  const subtree = (id: string) => [id, ...tree.descendants(id)];

  function day(v: string | Date | undefined, name: 'from' | 'to'): string | undefined {
    const at = iso(v, name);
    if (at === undefined) return undefined;
    if (Date.parse(at) % DAY_MS !== 0) {
      throw new ClosedLoopError(
        'INVALID_INPUT',
        `Invalid ${name} "${String(v instanceof Date ? at : v)}": report figures count whole UTC days; use a date such as 2026-01-05 (midnight UTC)`,
      );
    }
    return at.slice(0, 10);
  }

  /** WHERE over a rollup table `x`: days, segment subtree, touchpoint, language. */
  function where(q: MetricQuery, extra: Frag[] = []): Frag {
    const out = [...extra];
    const from = day(q.from, 'from');
    const to = day(q.to, 'to');
    if (from !== undefined) out.push(sql`x.day >= ${from}`);
    if (to !== undefined) out.push(sql`x.day < ${to}`);
    const r = roots(q);
    if (r) {
      const ids = [...new Set(r.flatMap(subtree))];
      out.push(ids.length ? sql`x.segment IN (${list(ids)})` : raw('1 = 0'));
    }
    if (q.touchpoint !== undefined) out.push(sql`x.touchpoint = ${q.touchpoint}`);
    if (q.language !== undefined) out.push(sql`x.language = ${q.language}`);
    return out.length ? sql`WHERE ${joinSql(out, ' AND ')}` : raw('');
  }

  const periodKey = (q: MetricQuery): Frag => raw(q.period ? d.dayBucket('x.day', q.period) : "'all'");

  function groupKey(q: MetricQuery): Frag {
    switch (q.by) {
      case undefined:
        return raw("'all'");
      case 'touchpoint':
      case 'language':
        return raw(`CASE WHEN x.${q.by} = '' THEN '(none)' ELSE x.${q.by} END`);
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
        const whens = groups.map(([g, ids]) => sql`WHEN x.segment IN (${list(ids)}) THEN ${text(g)}`);
        return sql`CASE ${joinSql(whens, ' ')} ELSE '(none)' END`;
      }
    }
  }

  /**
   * Sums of measures per period, group and `extra` key columns, groups with no `nonZero` left
   * out. Summed per day first (in primary-key order, on the few columns asked for), so the
   * period and group expressions run once per day and group, not once per rollup row.
   */
  function sums(
    table: RollupTable,
    q: MetricQuery,
    measures: string[],
    nonZero: string,
    extra: string[] = [],
    order = '',
  ): Promise<SqlRow[]> {
    const byDay = ['day', ...extra, ...(q.by ? [q.by] : [])].map((c) => `x.${c}`).join(', ');
    const summed = (prefix: string) => measures.map((m) => `SUM(${prefix}${m}) AS ${m}`).join(', ');
    const keys = extra.map((c) => `, x.${c} AS ${c}`).join('');
    return run(sql`
      SELECT ${periodKey(q)} AS period, ${groupKey(q)} AS grp${raw(keys)}, ${raw(summed('x.'))}
      FROM (SELECT ${raw(byDay)}, ${raw(summed('x.'))} FROM ${raw(executor.table(table))} x ${where(q)} GROUP BY ${raw(byDay)}) x
      GROUP BY ${raw(['1', '2', ...extra.map((_, i) => String(i + 3))].join(', '))}
      HAVING SUM(x.${raw(nonZero)}) > 0 ORDER BY ${raw(order || '1, 2')}`);
  }

  const FEEDBACK = 'learn_feedback_daily';
  const CASES = 'learn_case_daily';

  return {
    dialect: executor.dialect,
    segments: tree,

    async prepare() {
      if (executor.dialect === 'sqlite') {
        // The lists and the backlog read cases by creation time and their loops.
        await executor.exec('CREATE INDEX IF NOT EXISTS learn_cases_created ON cases (created_at)');
        await executor.exec('CREATE INDEX IF NOT EXISTS learn_cases_loop ON cases (loop_id)');
      }
    },

    async nps(q = {}) {
      const found = await sums(FEEDBACK, q, ['with_nps', 'promoters', 'passives', 'detractors'], 'with_nps');
      return found.map(npsRow);
    },

    async csat(q = {}) {
      const found = await sums(
        FEEDBACK,
        q,
        ['with_csat', 'satisfied', 'neutral', 'dissatisfied', 'csat_sum'],
        'with_csat',
      );
      return found.map(csatRow);
    },

    async responses(q = {}) {
      const found = await sums(FEEDBACK, q, ['responses', 'with_nps', 'with_csat', 'anonymous'], 'responses');
      return found.map(responseCountRow);
    },

    async recovery(q = {}) {
      const found = await sums(FEEDBACK, q, ['resurveyed', 'recovered', 'recovered_promoters'], 'resurveyed');
      return found.map(recoveryRow);
    },

    async responseTimes(q = {}) {
      const found = await sums('learn_duration_daily', q, ['n'], 'n', ['kind', 'bucket'], '1, 2, 3, 4');
      // Per period, group and kind: the histogram in bucket order → nearest-rank p50/p90.
      const out = new Map<string, ResponseTimeRow>();
      const histograms = new Map<
        string,
        { row: ResponseTimeRow; kind: string; counts: [number, number][] }
      >();
      for (const r of found) {
        const row = responseTimeRow(out, r);
        const hkey = `${row.period}\u0000${row.group}\u0000${str(r.kind)}`;
        let h = histograms.get(hkey);
        if (!h) {
          h = { row, kind: str(r.kind), counts: [] };
          histograms.set(hkey, h);
        }
        h.counts.push([num(r.bucket), num(r.n)]);
      }
      for (const { row, kind, counts } of histograms.values()) {
        const p = nearestRank(counts);
        if (kind === 'first') row.firstResponse = p;
        else row.resolution = p;
      }
      return [...out.values()];
    },

    async slaBreachRate(q = {}) {
      const found = await sums(
        CASES,
        q,
        ['cases', 'breached', 'first_breached', 'resolution_breached'],
        'cases',
      );
      return found.map(slaRow);
    },

    backlog: (q) => rows.backlog(q),

    async rootCauses(q = {}) {
      const found = await run(sql`
        SELECT x.root_cause AS cause, SUM(x.cases) AS n
        FROM ${raw(executor.table(CASES))} x ${where({ ...q, by: undefined, period: undefined }, [raw("x.root_cause <> ''")])}
        GROUP BY 1 HAVING SUM(x.cases) > 0 ORDER BY 2 DESC, 1`);
      return rootCauseRows(found);
    },

    async topicTrends(q = {}) {
      const found = await sums(
        'learn_topic_daily',
        q,
        ['mentions', 'with_nps', 'promoters', 'passives', 'detractors'],
        'mentions',
        ['topic'],
        '1, 2, 4 DESC, 3',
      );
      return found.map(topicRow);
    },

    redFlagCases: (q) => rows.redFlagCases(q),
    breaches: (q) => rows.breaches(q),
  };
}

/** Nearest-rank p50/p90 (the smallest value with rank ≥ p·n) of a histogram in bucket order. */
function nearestRank(counts: readonly [bucket: number, n: number][]): Percentiles {
  const n = counts.reduce((s, [, c]) => s + c, 0);
  const at = (p: number) => {
    let seen = 0;
    for (const [bucket, c] of counts) {
      seen += c;
      if (seen * 100 >= p * n) return bucketValue(bucket);
    }
    return null;
  };
  return { count: n, p50: at(50), p90: at(90) };
}
