import { writeCsv } from '../csv/write.ts';
import type { Case } from '../domain/case.ts';

const COLUMNS: [string, (c: Case) => string | number | undefined][] = [
  ['id', (c) => c.id],
  ['status', (c) => c.status],
  ['priority', (c) => c.priority],
  ['segment', (c) => c.segment],
  ['owner', (c) => c.owner],
  ['customerEmail', (c) => c.customerEmail],
  ['customerId', (c) => c.customerId],
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

/** Cases as RFC 4180 CSV with a header row, through the project's one CSV writer. */
export function casesToCsv(cases: readonly Case[]): string {
  return writeCsv([COLUMNS.map(([name]) => name), ...cases.map((c) => COLUMNS.map(([, get]) => get(c)))]);
}
