import type { Case } from '../domain/case.ts';

const COLUMNS: [string, (c: Case) => string | number | undefined][] = [
  ['id', (c) => c.id],
  ['status', (c) => c.status],
  ['priority', (c) => c.priority],
  ['segment', (c) => c.segment],
  ['owner', (c) => c.owner],
  ['customerEmail', (c) => c.customerEmail],
  ['nps', (c) => c.nps],
  ['csat', (c) => c.csat],
  ['comment', (c) => c.feedbackComment],
  ['rootCause', (c) => c.rootCause],
  ['createdAt', (c) => c.createdAt],
  ['updatedAt', (c) => c.updatedAt],
  ['resolvedAt', (c) => c.resolvedAt],
  ['firstResponseDue', (c) => c.sla.firstResponseDue],
  ['resolutionDue', (c) => c.sla.resolutionDue],
  ['slaBreaches', (c) => c.sla.breaches.length],
  ['comments', (c) => c.comments.length],
];

/** One CSV cell: quoted when needed; a leading = + - @ is neutralised so spreadsheets never run it. */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Cases as RFC 4180 CSV with a header row. */
export function casesToCsv(cases: readonly Case[]): string {
  const lines = [COLUMNS.map(([name]) => name).join(',')];
  for (const c of cases) lines.push(COLUMNS.map(([, get]) => csvCell(get(c))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
