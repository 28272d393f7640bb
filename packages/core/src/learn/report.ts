import type { Person, SegmentTree } from '../domain/people.ts';
import { ClosedLoopError } from '../errors.ts';
import type {
  Analytics,
  BacklogRow,
  BreachListRow,
  CaseListRow,
  CsatRow,
  MetricQuery,
  NpsRow,
  Period,
  RecoveryRow,
  ResponseCountRow,
  ResponseTimeRow,
  RootCauseRow,
  SlaRow,
} from './analytics.ts';

/** Seed 004's cadence: daily for the care team, weekly for key members, monthly/quarterly for everyone. */
export type Cadence = 'daily' | 'weekly' | 'monthly' | 'quarterly';
export const CADENCES: readonly Cadence[] = ['daily', 'weekly', 'monthly', 'quarterly'];
export const CADENCE_PERIOD: Record<Cadence, Period> = {
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
  quarterly: 'quarter',
};

export type ReportSection =
  | 'summary'
  | 'redFlags'
  | 'breaches'
  | 'backlog'
  | 'trend'
  | 'bySegment'
  | 'byTouchpoint'
  | 'byLanguage'
  | 'topics'
  | 'rootCauses';

/** The sections each cadence carries by default (R23). */
export const CADENCE_SECTIONS: Record<Cadence, readonly ReportSection[]> = {
  daily: ['summary', 'redFlags', 'breaches', 'backlog'],
  weekly: ['summary', 'trend', 'bySegment', 'byTouchpoint', 'byLanguage', 'topics', 'rootCauses', 'backlog'],
  monthly: ['summary', 'trend', 'bySegment', 'rootCauses', 'topics'],
  quarterly: ['summary', 'trend', 'bySegment', 'rootCauses', 'topics'],
};

/** Who a report is for (R24): it covers their segments (and subtrees) and the sections they need. */
export interface Audience {
  /** A stable key for schedules and run records (default: the email, else the name); see {@link audienceKey}. */
  id?: string;
  /** Shown in the greeting. */
  name?: string;
  email?: string;
  team?: string;
  role?: string;
  /** Segments (with their subtrees) the report covers; all when absent. */
  segments?: readonly string[];
  /** Sections to include, in the cadence's order; the cadence's defaults when absent. */
  sections?: readonly ReportSection[];
}

export interface ReportOptions {
  cadence: Cadence;
  /** The moment the report is as of (default now): it covers the last complete period before it. */
  at?: string | Date | number;
  /**
   * Any range instead of the last complete period (a survey wave): `from` inclusive, `to`
   * exclusive. The previous range is the one of the same length just before it; the trend covers
   * the range by the cadence's period.
   */
  range?: { from: string | Date; to: string | Date };
  /** When the report is made (default: now); shown as "generated". */
  generatedAt?: string | Date | number;
  audience?: Audience;
  /** Overrides the audience's segments. */
  segment?: string | readonly string[];
  /** Periods in the NPS trend (default 14 days, 12 weeks, 12 months, 8 quarters). */
  trendPeriods?: number;
  /** Topics listed (default 10). */
  topics?: number;
}

export interface Range {
  from: string;
  to: string;
}

export interface TopicTrend {
  topic: string;
  mentions: number;
  previousMentions: number;
  nps: number | null;
}

export interface Report {
  cadence: Cadence;
  title: string;
  period: Period;
  range: Range;
  previous: Range;
  /** When the report was made. */
  generatedAt: string;
  audience?: Audience;
  /** Segment id → name, for showing names instead of ids. */
  segmentNames: Record<string, string>;
  /** The segments covered (with their subtrees); `null` = everything. */
  segments: string[] | null;
  /** What the report covers, for people: the segments' names (`EMEA, Americas`), or `all segments`. */
  scope: string;
  sections: ReportSection[];
  summary?: {
    nps: NpsRow | null;
    previousNps: NpsRow | null;
    csat: CsatRow | null;
    responses: ResponseCountRow | null;
    recovery: RecoveryRow | null;
    sla: SlaRow | null;
    responseTimes: ResponseTimeRow | null;
  };
  trend?: NpsRow[];
  bySegment?: NpsRow[];
  byTouchpoint?: NpsRow[];
  byLanguage?: NpsRow[];
  topics?: TopicTrend[];
  rootCauses?: RootCauseRow[];
  backlog?: BacklogRow[];
  redFlags?: CaseListRow[];
  breaches?: BreachListRow[];
}

const DEFAULT_TREND: Record<Period, number> = { day: 14, week: 12, month: 12, quarter: 8 };

/** The UTC start of the period holding `ms`. */
export function periodStart(ms: number, period: Period): number {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (period) {
    case 'day':
      return Date.UTC(y, m, d.getUTCDate());
    case 'week':
      return Date.UTC(y, m, d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
    case 'month':
      return Date.UTC(y, m, 1);
    case 'quarter':
      return Date.UTC(y, m - (m % 3), 1);
  }
}

/** `start` moved by `n` periods (negative: back). */
export function addPeriods(start: number, period: Period, n: number): number {
  const d = new Date(start);
  switch (period) {
    case 'day':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + n);
    case 'week':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 7 * n);
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
    case 'quarter':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 3 * n, 1);
  }
}

/** The last complete period before `at`, and the one before it. */
export function reportRange(cadence: Cadence, at: number): { range: Range; previous: Range } {
  const period = CADENCE_PERIOD[cadence];
  const to = periodStart(at, period);
  const from = addPeriods(to, period, -1);
  const before = addPeriods(to, period, -2);
  const iso = (ms: number) => new Date(ms).toISOString();
  return { range: { from: iso(from), to: iso(to) }, previous: { from: iso(before), to: iso(from) } };
}

const TITLES: Record<Cadence, string> = {
  daily: 'Daily alert digest',
  weekly: 'Weekly trend report',
  monthly: 'Monthly themes',
  quarterly: 'Quarterly themes',
};

/**
 * The audience a person gets: the segments they manage (a segment under another of theirs is
 * covered by the roll-up), for the given team and role.
 *
 * @example
 * audienceFor(directory.get('eva'), segments, { team: 'care' }) // { name: 'Eva', segments: ['EU'], … }
 */
export function audienceFor(
  person: Person,
  segments: SegmentTree,
  extra: Pick<Audience, 'team' | 'role' | 'sections'> = {},
): Audience {
  const managed = segments
    .all()
    .filter((s) => s.managers.includes(person.id))
    .map((s) => s.id);
  const top = managed.filter((id) => !segments.ancestors(id).some((a) => managed.includes(a)));
  return {
    name: person.name,
    email: person.email,
    ...(extra.team ? { team: extra.team } : {}),
    role: extra.role ?? person.roles?.[0],
    segments: top,
    ...(extra.sections ? { sections: extra.sections } : {}),
  };
}

/**
 * The audience's stable key: its `id`, else its email, else its name, else `everyone`; lower-case,
 * with anything outside `a-z0-9._@-` turned into `-` (safe in schedule and workflow ids).
 *
 * @example
 * audienceKey({ name: 'Eva Müller', email: 'Eva@example.com' }) // 'eva@example.com'
 */
export function audienceKey(audience: Audience): string {
  const raw = audience.id ?? audience.email ?? audience.name ?? 'everyone';
  return raw.toLowerCase().replace(/[^a-z0-9._@-]+/g, '-') || 'everyone';
}

function toMs(at: ReportOptions['at']): number {
  const ms =
    at === undefined
      ? Date.now()
      : at instanceof Date
        ? at.getTime()
        : typeof at === 'number'
          ? at
          : Date.parse(at);
  if (Number.isNaN(ms)) {
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `Invalid report time "${String(at)}": use an ISO-8601 date such as 2026-01-12`,
    );
  }
  return ms;
}

function customRange(r: { from: string | Date; to: string | Date }): { range: Range; previous: Range } {
  const from = toMs(r.from);
  const to = toMs(r.to);
  if (!(to > from))
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `Invalid report range: "to" (${new Date(to).toISOString()}) must be after "from" (${new Date(from).toISOString()})`,
    );
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    range: { from: iso(from), to: iso(to) },
    previous: { from: iso(from - (to - from)), to: iso(from) },
  };
}

/**
 * Builds one report: every figure comes from the analytics' SQL, scoped to the audience.
 *
 * @example
 * const report = await buildReport(analytics, { cadence: 'weekly', segment: 'EU' });
 * const html = renderReportHtml(report);
 */
export async function buildReport(analytics: Analytics, options: ReportOptions): Promise<Report> {
  const { cadence } = options;
  if (!CADENCES.includes(cadence)) {
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `Unknown cadence "${String(cadence)}": use ${CADENCES.join(', ')}`,
    );
  }
  const period = CADENCE_PERIOD[cadence];
  const custom = options.range ? customRange(options.range) : undefined;
  const at = custom ? Date.parse(custom.range.to) : toMs(options.at);
  const { range, previous } = custom ?? reportRange(cadence, at);
  const scope = options.segment ?? options.audience?.segments;
  const segments = scope === undefined ? null : typeof scope === 'string' ? [scope] : [...scope];
  for (const s of segments ?? []) analytics.segments.get(s);
  const wanted = options.audience?.sections;
  const sections = CADENCE_SECTIONS[cadence].filter((s) => !wanted || wanted.includes(s));
  const has = (s: ReportSection) => sections.includes(s);
  const base: MetricQuery = segments ? { segment: segments } : {};
  const q: MetricQuery = { ...base, ...range };
  const trendFrom = new Date(
    custom
      ? periodStart(Date.parse(range.from), period)
      : addPeriods(Date.parse(range.to), period, -(options.trendPeriods ?? DEFAULT_TREND[period])),
  ).toISOString();
  const first = <T>(rows: T[]) => rows[0] ?? null;
  const topicCount = options.topics ?? 10;

  const report: Report = {
    cadence,
    title: custom ? 'Report' : TITLES[cadence],
    period,
    range,
    previous,
    generatedAt: new Date(toMs(options.generatedAt ?? Date.now())).toISOString(),
    ...(options.audience ? { audience: options.audience } : {}),
    segmentNames: Object.fromEntries(analytics.segments.all().map((s) => [s.id, s.name])),
    segments,
    scope: segments ? segments.map((id) => analytics.segments.get(id).name).join(', ') : 'all segments',
    sections,
  };
  const jobs: Promise<unknown>[] = [];
  const job = (p: Promise<unknown>) => jobs.push(p);

  if (has('summary')) {
    job(
      Promise.all([
        analytics.nps(q),
        analytics.nps({ ...base, ...previous }),
        analytics.csat(q),
        analytics.responses(q),
        analytics.recovery(q),
        analytics.slaBreachRate(q),
        analytics.responseTimes(q),
      ]).then(([nps, previousNps, csat, responses, recovery, sla, times]) => {
        report.summary = {
          nps: first(nps),
          previousNps: first(previousNps),
          csat: first(csat),
          responses: first(responses),
          recovery: first(recovery),
          sla: first(sla),
          responseTimes: first(times),
        };
      }),
    );
  }
  if (has('trend'))
    job(analytics.nps({ ...base, from: trendFrom, to: range.to, period }).then((r) => (report.trend = r)));
  if (has('bySegment')) job(analytics.nps({ ...q, by: 'segment' }).then((r) => (report.bySegment = r)));
  if (has('byTouchpoint'))
    job(analytics.nps({ ...q, by: 'touchpoint' }).then((r) => (report.byTouchpoint = r)));
  if (has('byLanguage')) job(analytics.nps({ ...q, by: 'language' }).then((r) => (report.byLanguage = r)));
  if (has('topics')) {
    job(
      Promise.all([analytics.topicTrends(q), analytics.topicTrends({ ...base, ...previous })]).then(
        ([now, before]) => {
          const prev = new Map(before.map((t) => [t.topic, t.mentions]));
          report.topics = now
            .sort((a, b) => b.mentions - a.mentions || a.topic.localeCompare(b.topic))
            .slice(0, topicCount)
            .map((t) => ({
              topic: t.topic,
              mentions: t.mentions,
              previousMentions: prev.get(t.topic) ?? 0,
              nps: t.nps,
            }));
        },
      ),
    );
  }
  if (has('rootCauses')) job(analytics.rootCauses(q).then((r) => (report.rootCauses = r)));
  if (has('backlog'))
    job(analytics.backlog({ ...base, asOf: new Date(at).toISOString() }).then((r) => (report.backlog = r)));
  if (has('redFlags')) job(analytics.redFlagCases(q).then((r) => (report.redFlags = r)));
  if (has('breaches')) job(analytics.breaches(q).then((r) => (report.breaches = r)));
  await Promise.all(jobs);
  return report;
}
