// Turning summed counts into report figures, shared by the rollup analytics (analytics.ts) and the
// row scan it is tested against (figures.ts). Each side keeps its own SQL; both name the summed
// columns as the rollup tables name their measures (`with_nps`, `promoters`, `cases`, …), and
// every query returns its period and group as `period` and `grp`.
import type { SqlRow } from './executor.ts';
import type {
  CsatRow,
  Keyed,
  NpsRow,
  Percentiles,
  RecoveryRow,
  ResponseCountRow,
  ResponseTimeRow,
  RootCauseRow,
  SlaRow,
  TopicRow,
} from './figures.ts';

const Z95 = 1.959963984540054;

/**
 * NPS and its 95% interval from category counts. The NPS is the mean of per-answer scores
 * +1 (promoter), 0 (passive), −1 (detractor), times 100; its standard error is
 * √(var/n) with var = (p + d) − (p − d)², the normal interval is clamped to [-100, 100].
 */
export function npsWithInterval(promoters: number, passives: number, detractors: number) {
  const n = promoters + passives + detractors;
  if (n === 0) return { nps: null, ci: null };
  const p = promoters / n;
  const d = detractors / n;
  const mean = p - d;
  const variance = Math.max(0, p + d - mean * mean);
  const half = Z95 * Math.sqrt(variance / n);
  const clamp = (x: number) => Math.min(100, Math.max(-100, x));
  return {
    nps: clamp(round(mean * 100)),
    ci: { low: clamp(round((mean - half) * 100)), high: clamp(round((mean + half) * 100)) },
  };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const str = (v: unknown): string =>
  v instanceof Date ? v.toISOString() : v === null || v === undefined ? '' : String(v);
export const pct = (part: number, whole: number) => (whole === 0 ? null : round((part / whole) * 100));

/** Period and group of a row (`period`, `grp`). */
export const keyed = (r: SqlRow): Keyed => ({ period: str(r.period), group: str(r.grp) });

/** Columns `with_nps`, `promoters`, `passives`, `detractors`. */
export function npsRow(r: SqlRow): NpsRow {
  const promoters = num(r.promoters);
  const passives = num(r.passives);
  const detractors = num(r.detractors);
  return {
    ...keyed(r),
    responses: num(r.with_nps),
    promoters,
    passives,
    detractors,
    ...npsWithInterval(promoters, passives, detractors),
  };
}

/** Columns `with_csat`, `satisfied`, `neutral`, `dissatisfied`, `csat_sum`. */
export function csatRow(r: SqlRow): CsatRow {
  const n = num(r.with_csat);
  return {
    ...keyed(r),
    responses: n,
    satisfied: num(r.satisfied),
    neutral: num(r.neutral),
    dissatisfied: num(r.dissatisfied),
    csat: pct(num(r.satisfied), n),
    average: n === 0 ? null : round(num(r.csat_sum) / n),
  };
}

/** Columns `responses`, `with_nps`, `with_csat`, `anonymous`. */
export const responseCountRow = (r: SqlRow): ResponseCountRow => ({
  ...keyed(r),
  total: num(r.responses),
  withNps: num(r.with_nps),
  withCsat: num(r.with_csat),
  anonymous: num(r.anonymous),
});

/** Columns `resurveyed`, `recovered`, `recovered_promoters`. */
export const recoveryRow = (r: SqlRow): RecoveryRow => ({
  ...keyed(r),
  resurveyed: num(r.resurveyed),
  recovered: num(r.recovered),
  promoters: num(r.recovered_promoters),
  rate: pct(num(r.recovered), num(r.resurveyed)),
});

/** Columns `cases`, `breached`, `first_breached`, `resolution_breached`. */
export const slaRow = (r: SqlRow): SlaRow => ({
  ...keyed(r),
  cases: num(r.cases),
  breached: num(r.breached),
  firstResponseBreached: num(r.first_breached),
  resolutionBreached: num(r.resolution_breached),
  rate: pct(num(r.breached), num(r.cases)),
});

/** Columns `topic`, `mentions`, `with_nps`, `promoters`, `passives`, `detractors`. */
export const topicRow = (r: SqlRow): TopicRow => ({
  ...keyed(r),
  topic: str(r.topic),
  mentions: num(r.mentions),
  npsResponses: num(r.with_nps),
  detractors: num(r.detractors),
  nps: npsWithInterval(num(r.promoters), num(r.passives), num(r.detractors)).nps,
});

/** Rows `cause`, `n`, most cases first → the Pareto of root causes. */
export function rootCauseRows(rows: readonly SqlRow[]): RootCauseRow[] {
  const total = rows.reduce((s, r) => s + num(r.n), 0);
  let running = 0;
  return rows.map((r) => {
    running += num(r.n);
    return {
      rootCause: str(r.cause),
      cases: num(r.n),
      share: pct(num(r.n), total) ?? 0,
      cumulativeShare: pct(running, total) ?? 0,
    };
  });
}

/**
 * The response-time row of `r`'s period and group in `out`, added (no case counted yet) when it
 * is the first; the caller sets its percentiles.
 */
export function responseTimeRow(out: Map<string, ResponseTimeRow>, r: SqlRow): ResponseTimeRow {
  const k = keyed(r);
  const key = `${k.period}\u0000${k.group}`;
  let row = out.get(key);
  if (!row) {
    const empty = (): Percentiles => ({ count: 0, p50: null, p90: null });
    row = { ...k, firstResponse: empty(), resolution: empty() };
    out.set(key, row);
  }
  return row;
}
