// Rendering of a report: email-safe HTML with inline SVG charts, plain text, JSON and CSV.

import { writeCsv } from '../csv/write.ts';
import { escapeHtml } from '../html.ts';
import type { NpsRow, Percentiles, RootCauseRow } from './analytics.ts';
import type { Report } from './report.ts';

const signed = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : `${n > 0 ? '+' : ''}${Math.round(n)}`;
const percent = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : `${Math.round(n * 10) / 10}%`;
const day = (iso: string) => iso.slice(0, 10);

/** A duration in ms as `3h 20m` / `2d 4h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
const times = (p: Percentiles | undefined) =>
  p?.count ? `${formatDuration(p.p50)} / ${formatDuration(p.p90)} (n=${p.count})` : '–';

function rangeLabel(r: Report): string {
  const to = new Date(Date.parse(r.range.to) - 86_400_000).toISOString();
  return r.period === 'day' ? day(r.range.from) : `${day(r.range.from)} – ${day(to)}`;
}

/**
 * The y-axis of the trend: it fits the NPS values (not the whole −100…+100 scale, on which a
 * swing from +10 to −5 is a flat line), on round ticks, at least 20 points high; the interval
 * band is clipped to it.
 */
export function trendAxis(rows: readonly NpsRow[]): { min: number; max: number; ticks: number[] } {
  const values = rows.map((r) => r.nps).filter((v): v is number => v !== null);
  if (values.length === 0) return { min: -100, max: 100, ticks: [-100, -50, 0, 50, 100] };
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const margin = Math.max(5, (hi - lo) * 0.15);
  lo -= margin;
  hi += margin;
  if (hi - lo < 20) {
    const mid = (hi + lo) / 2;
    lo = mid - 10;
    hi = mid + 10;
  }
  const span = hi - lo;
  const step = [5, 10, 20, 25, 50].find((s) => span / s <= 6) ?? 50;
  const min = Math.max(-100, Math.floor(lo / step) * step);
  const max = Math.min(100, Math.ceil(hi / step) * step);
  const ticks: number[] = [];
  for (let v = min; v <= max; v += step) ticks.push(v);
  return { min, max, ticks };
}

/**
 * An inline SVG line chart of the NPS per period, with its 95% interval as a band.
 * Email clients that strip SVG still show the table beside it.
 */
export function npsTrendSvg(rows: readonly NpsRow[], width = 560, height = 200): string {
  const pad = { l: 36, r: 10, t: 10, b: 28 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const { min, max, ticks } = trendAxis(rows);
  const clamp = (v: number) => Math.min(max, Math.max(min, v));
  const y = (v: number) => Math.round((pad.t + ((max - clamp(v)) / (max - min)) * h) * 10) / 10;
  const x = (i: number) => pad.l + (rows.length <= 1 ? w / 2 : (i / (rows.length - 1)) * w);
  const grid = ticks
    .map(
      (v) =>
        `<line x1="${pad.l}" x2="${pad.l + w}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 0 ? '#999' : '#e3e3e3'}" stroke-width="1"/>` +
        `<text x="${pad.l - 4}" y="${y(v) + 4}" font-size="10" text-anchor="end" fill="#666">${v > 0 ? '+' : ''}${v}</text>`,
    )
    .join('');
  const pts = rows.map((r, i) => ({ i, r })).filter((p) => p.r.nps !== null);
  const band = pts.length
    ? `<polygon fill="#cfe3f7" points="${[
        ...pts.map((p) => `${x(p.i)},${y(p.r.ci?.high ?? p.r.nps!)}`),
        ...pts.reverse().map((p) => `${x(p.i)},${y(p.r.ci?.low ?? p.r.nps!)}`),
      ].join(' ')}"/>`
    : '';
  pts.reverse();
  const line = pts.length
    ? `<polyline fill="none" stroke="#1f6fb8" stroke-width="2" points="${pts.map((p) => `${x(p.i)},${y(p.r.nps!)}`).join(' ')}"/>` +
      pts
        .map(
          (p) =>
            `<circle cx="${x(p.i)}" cy="${y(p.r.nps!)}" r="3" fill="#1f6fb8"><title>${escapeHtml(p.r.period)}: ${signed(p.r.nps)} (n=${p.r.responses})</title></circle>`,
        )
        .join('')
    : '';
  const step = Math.max(1, Math.ceil(rows.length / 6));
  const labels = rows
    .map((r, i) =>
      i % step === 0
        ? `<text x="${x(i)}" y="${height - 8}" font-size="10" text-anchor="middle" fill="#666">${escapeHtml(r.period.slice(5))}</text>`
        : '',
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="NPS trend" data-y-min="${min}" data-y-max="${max}">${grid}${band}${line}${labels}</svg>`;
}

/** An inline SVG Pareto chart: cases per root cause as bars, the cumulative share as a line. */
export function paretoSvg(rows: readonly RootCauseRow[], width = 560, height = 220): string {
  const list = rows.slice(0, 10);
  const pad = { l: 36, r: 36, t: 10, b: 60 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const max = Math.max(1, ...list.map((r) => r.cases));
  const bw = list.length ? w / list.length : w;
  const bars = list
    .map((r, i) => {
      const bh = (r.cases / max) * h;
      const cx = pad.l + i * bw + bw / 2;
      return (
        `<rect x="${pad.l + i * bw + bw * 0.15}" y="${pad.t + h - bh}" width="${bw * 0.7}" height="${bh}" fill="#e07b39"><title>${escapeHtml(r.rootCause)}: ${r.cases}</title></rect>` +
        `<text x="${cx}" y="${pad.t + h + 12}" font-size="10" text-anchor="end" fill="#444" transform="rotate(-30 ${cx} ${pad.t + h + 12})">${escapeHtml(r.rootCause.slice(0, 24))}</text>`
      );
    })
    .join('');
  const cum = list.length
    ? `<polyline fill="none" stroke="#333" stroke-width="1.5" points="${list
        .map((r, i) => `${pad.l + i * bw + bw / 2},${pad.t + h - (r.cumulativeShare / 100) * h}`)
        .join(' ')}"/>`
    : '';
  const axis =
    `<line x1="${pad.l}" x2="${pad.l + w}" y1="${pad.t + h}" y2="${pad.t + h}" stroke="#999"/>` +
    `<text x="${pad.l - 4}" y="${pad.t + 8}" font-size="10" text-anchor="end" fill="#666">${max}</text>` +
    `<text x="${pad.l + w + 4}" y="${pad.t + 8}" font-size="10" fill="#666">100%</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Root-cause Pareto">${axis}${bars}${cum}</svg>`;
}

/** A number shown formatted (`+10`, `33.3%`, `3h 20m`) and written to CSV as a number. */
type Num = { n: number | null | undefined; as: 'signed' | 'percent' | 'duration' };
type Cell = string | number | Num;
interface Table {
  key: string;
  title: string;
  headers: string[];
  rows: Cell[][];
  /** Why the section has no rows, said to the reader. */
  empty: string;
}

const sg = (n: number | null | undefined): Num => ({ n, as: 'signed' });
const pc = (n: number | null | undefined): Num => ({ n, as: 'percent' });
const dur = (n: number | null | undefined): Num => ({ n, as: 'duration' });
const isNum = (c: Cell | undefined) => typeof c === 'number' || (typeof c === 'object' && c !== null);

/** A cell for people. */
function shown(c: Cell): string | number {
  if (typeof c !== 'object') return c;
  return c.as === 'signed' ? signed(c.n) : c.as === 'percent' ? percent(c.n) : formatDuration(c.n);
}

const oneDecimal = (n: number) => Math.round(n * 10) / 10;

/** A cell for a spreadsheet: numbers as numbers with one decimal (durations in hours), no sign. */
function written(c: Cell): string | number | null {
  if (typeof c === 'number') return oneDecimal(c);
  if (typeof c === 'string') return c;
  if (c.n === null || c.n === undefined) return null;
  return oneDecimal(c.as === 'duration' ? c.n / 3_600_000 : c.n);
}

const TD = 'style="padding:4px 8px;border-bottom:1px solid #eee;text-align:left"';
const TDN = 'style="padding:4px 8px;border-bottom:1px solid #eee;text-align:right"';
function htmlTable(t: Table): string {
  if (t.rows.length === 0) return `<p style="color:#666">${escapeHtml(t.empty)}</p>`;
  const head = t.headers
    .map((h, i) => `<th ${isNum(t.rows[0]?.[i]) ? TDN : TD}>${escapeHtml(h)}</th>`)
    .join('');
  const body = t.rows
    .map(
      (r) => `<tr>${r.map((c) => `<td ${isNum(c) ? TDN : TD}>${escapeHtml(shown(c))}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table cellpadding="0" cellspacing="0" style="border-collapse:collapse;font-size:13px;margin:4px 0 12px">${`<tr>${head}</tr>`}${body}</table>`;
}

const npsRows = (rows: readonly NpsRow[], name: (group: string) => string = (g) => g) =>
  rows.map((r): Cell[] => [
    name(r.group),
    r.responses,
    sg(r.nps),
    sg(r.ci?.low),
    sg(r.ci?.high),
    r.promoters,
    r.passives,
    r.detractors,
  ]);
const NPS_HEAD = ['', 'answers', 'NPS', '95% CI low', '95% CI high', 'promoters', 'passives', 'detractors'];

/** Every section as a table, shared by the HTML, text and CSV renderers. */
function sectionTables(r: Report, forCsv = false): Table[] {
  const out: Table[] = [];
  const name = (id: string) => r.segmentNames?.[id] ?? id;
  const within = `between ${day(r.range.from)} and ${day(new Date(Date.parse(r.range.to) - 1).toISOString())}`;
  const s = r.summary;
  if (s) {
    const rows: Cell[][] = forCsv
      ? [
          ['NPS', sg(s.nps?.nps)],
          ['NPS previous period', sg(s.previousNps?.nps)],
          ['NPS 95% CI low', sg(s.nps?.ci?.low)],
          ['NPS 95% CI high', sg(s.nps?.ci?.high)],
          ['NPS answers', s.nps?.responses ?? 0],
          ['CSAT answers', s.csat?.responses ?? 0],
          ['answers', s.responses?.total ?? 0],
          ['CSAT satisfied %', pc(s.csat?.csat)],
          ['detractor recovery %', pc(s.recovery?.rate)],
          ['detractors re-surveyed', s.recovery?.resurveyed ?? 0],
          ['SLA breach rate %', pc(s.sla?.rate)],
          ['cases', s.sla?.cases ?? 0],
          ['first response p50 (hours)', dur(s.responseTimes?.firstResponse?.p50)],
          ['first response p90 (hours)', dur(s.responseTimes?.firstResponse?.p90)],
          ['resolution p50 (hours)', dur(s.responseTimes?.resolution?.p50)],
          ['resolution p90 (hours)', dur(s.responseTimes?.resolution?.p90)],
        ]
      : [
          ['NPS', `${signed(s.nps?.nps)} (previous ${signed(s.previousNps?.nps)})`],
          ['NPS 95% interval', s.nps?.ci ? `${signed(s.nps.ci.low)} … ${signed(s.nps.ci.high)}` : '–'],
          [
            'Answers (NPS / CSAT / total)',
            `${s.nps?.responses ?? 0} / ${s.csat?.responses ?? 0} / ${s.responses?.total ?? 0}`,
          ],
          ['CSAT (satisfied)', percent(s.csat?.csat)],
          [
            'Detractor recovery',
            s.recovery ? `${percent(s.recovery.rate)} of ${s.recovery.resurveyed} re-surveyed` : '–',
          ],
          ['SLA breach rate', s.sla ? `${percent(s.sla.rate)} of ${s.sla.cases} cases` : '–'],
          ['First response p50 / p90', times(s.responseTimes?.firstResponse)],
          ['Resolution p50 / p90', times(s.responseTimes?.resolution)],
        ];
    out.push({ key: 'summary', title: 'Summary', headers: ['metric', 'value'], rows, empty: '' });
  }
  if (r.redFlags)
    out.push({
      key: 'redFlags',
      title: 'New red-flag cases',
      headers: ['case', 'segment', 'priority', 'status', 'owner', 'NPS', 'comment'],
      rows: r.redFlags.map((c) => [
        c.caseId,
        name(c.segment),
        c.priority,
        c.status,
        c.owner,
        c.nps ?? '–',
        c.comment.slice(0, 200),
      ]),
      empty: `No new red-flag case ${within}.`,
    });
  if (r.breaches)
    out.push({
      key: 'breaches',
      title: 'SLA breaches',
      headers: ['case', 'segment', 'priority', 'status', 'owner', 'deadline', 'at'],
      rows: r.breaches.map((b) => [b.caseId, name(b.segment), b.priority, b.status, b.owner, b.kind, b.at]),
      empty: `No SLA deadline was missed ${within}.`,
    });
  if (r.trend)
    out.push({
      key: 'trend',
      title: 'NPS trend',
      headers: ['period', 'answers', 'NPS', '95% CI low', '95% CI high'],
      rows: r.trend.some((t) => t.responses > 0)
        ? r.trend.map((t) => [t.period, t.responses, sg(t.nps), sg(t.ci?.low), sg(t.ci?.high)])
        : [],
      empty: 'No NPS answer in the trend’s periods, so there is no trend to draw.',
    });
  if (r.bySegment)
    out.push({
      key: 'bySegment',
      title: 'By segment (with sub-segments)',
      headers: NPS_HEAD,
      rows: npsRows(r.bySegment, name),
      empty: `No NPS answer ${within} in these segments.`,
    });
  if (r.byTouchpoint)
    out.push({
      key: 'byTouchpoint',
      title: 'By touchpoint',
      headers: NPS_HEAD,
      rows: npsRows(r.byTouchpoint),
      empty: `No NPS answer ${within} named its touchpoint.`,
    });
  if (r.byLanguage)
    out.push({
      key: 'byLanguage',
      title: 'By language',
      headers: NPS_HEAD,
      rows: npsRows(r.byLanguage),
      empty: `No NPS answer ${within} named its language.`,
    });
  if (r.topics)
    out.push({
      key: 'topics',
      title: 'Topics',
      headers: ['topic', 'mentions', 'previous', 'NPS'],
      rows: r.topics.map((t) => [t.topic, t.mentions, t.previousMentions, sg(t.nps)]),
      empty: `No answer ${within} was given a topic by the classify rules.`,
    });
  if (r.rootCauses)
    out.push({
      key: 'rootCauses',
      title: 'Root causes (Pareto)',
      headers: ['root cause', 'cases', 'share %', 'cumulative %'],
      rows: r.rootCauses.map((c) => [c.rootCause, c.cases, pc(c.share), pc(c.cumulativeShare)]),
      empty: `No case ${within} has a root cause yet (it is set when a case is resolved).`,
    });
  if (r.backlog)
    out.push({
      key: 'backlog',
      title: 'Open-case backlog by age',
      headers: ['segment', 'open', '<1d', '1-3d', '3-7d', '7-30d', '>30d', 'oldest'],
      rows: r.backlog.map((b) => [
        name(b.group),
        b.open,
        b.byAge['<1d'],
        b.byAge['1-3d'],
        b.byAge['3-7d'],
        b.byAge['7-30d'],
        b.byAge['>30d'],
        dur(b.oldestMs),
      ]),
      empty: 'No case is open.',
    });
  return out;
}

/**
 * The report as an email-safe HTML document: tables with inline styles, inline SVG charts
 * (NPS trend, root-cause Pareto). All text from customers and stores is escaped.
 *
 * @example
 * writeFileSync('weekly.html', renderReportHtml(await buildReport(analytics, { cadence: 'weekly' })));
 */
export function renderReportHtml(report: Report): string {
  const a = report.audience;
  const greeting = a?.name ? `<p>Hello ${escapeHtml(a.name)},</p>` : '';
  const parts = sectionTables(report).map((t) => {
    const chart =
      t.key === 'trend' && report.trend?.length
        ? npsTrendSvg(report.trend)
        : t.key === 'rootCauses' && report.rootCauses?.length
          ? paretoSvg(report.rootCauses)
          : '';
    return `<h2 style="font-size:16px;margin:18px 0 6px;color:#1f3b57">${escapeHtml(t.title)}</h2>${chart && t.rows.length ? `<div>${chart}</div>` : ''}${htmlTable(t)}`;
  });
  const title = `${report.title} — ${rangeLabel(report)}`;
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;color:#222;background:#fff">
<div style="max-width:640px">
<h1 style="font-size:20px;margin:0 0 4px">${escapeHtml(title)}</h1>
<p style="margin:0 0 12px;color:#666;font-size:13px">${escapeHtml(report.scope)}${a?.team ? ` · team ${escapeHtml(a.team)}` : ''}${a?.role ? ` · ${escapeHtml(a.role)}` : ''} · generated ${escapeHtml(report.generatedAt)}</p>
${greeting}${parts.join('\n')}
</div></body></html>
`;
}

/** The report as plain text (for a terminal or a text/plain email part). */
export function renderReportText(report: Report): string {
  const lines = [`${report.title} — ${rangeLabel(report)} — ${report.scope}`];
  for (const t of sectionTables(report)) {
    lines.push('', t.title);
    if (t.rows.length === 0) {
      lines.push(`  ${t.empty}`);
      continue;
    }
    const cells = [t.headers, ...t.rows.map((r) => r.map((c) => String(shown(c)).replace(/\s+/g, ' ')))];
    const widths = t.headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
    for (const [n, r] of cells.entries()) {
      lines.push(
        `  ${r
          .map((c, i) => (n > 0 && isNum(t.rows[0]?.[i]) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd()}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The report as JSON (the full typed data). */
export function reportToJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * The report as CSV, one row per table row: `section,<columns…>` with a header row per section.
 * Numbers are numbers with one decimal (no `+` sign, durations in hours), so a spreadsheet can
 * sum and chart them; an empty section has one row saying why.
 */
export function reportToCsv(report: Report): string {
  const rows: (string | number | null)[][] = [];
  for (const t of sectionTables(report, true)) {
    rows.push(['section', ...t.headers.map((h) => h || 'group')]);
    if (t.rows.length === 0) rows.push([t.key, t.empty]);
    for (const r of t.rows) rows.push([t.key, ...r.map(written)]);
  }
  return writeCsv(rows);
}

/** A MIME message (multipart/alternative: text and HTML) ready for any SMTP relay or `sendmail -t`. */
export function reportToEmail(
  report: Report,
  options: {
    from: string;
    to: readonly string[];
    date?: Date;
    /** A stable Message-ID (without `<>`), so a report sent twice by a retried delivery is one message to mail clients. */
    messageId?: string;
  },
): string {
  const boundary = `closedloop-${Date.parse(report.generatedAt).toString(36)}`;
  const subject = `${report.title} — ${rangeLabel(report)} — ${report.scope}`;
  const encodedSubject = /^[\x20-\x7e]*$/.test(subject)
    ? subject
    : `=?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`;
  const b64 = (s: string) => Buffer.from(s).toString('base64').replace(/.{76}/g, '$&\r\n');
  const clean = (s: string) => s.replace(/[\r\n]/g, '');
  return [
    `From: ${clean(options.from)}`,
    `To: ${options.to.map(clean).join(', ')}`,
    `Subject: ${encodedSubject}`,
    `Date: ${(options.date ?? new Date(report.generatedAt)).toUTCString()}`,
    ...(options.messageId ? [`Message-ID: <${clean(options.messageId).replace(/[<>\s]/g, '')}>`] : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    b64(renderReportText(report)),
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    b64(renderReportHtml(report)),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
