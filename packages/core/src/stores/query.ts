import type { Case, CaseStatus } from '../domain/case.ts';
import { CASE_STATUSES } from '../domain/case.ts';
import { type CaseQuery, type CaseSortColumn, PRIORITY_RANK, SLA_DUE_SOON_MS } from './store.ts';

/** A filter or array of filters, as a list. */
export function asList<T>(v: T | T[] | undefined): T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}

/** The due times of a case's SLA clocks that still run (ISO strings). */
export function runningDues(c: Case): string[] {
  if (c.status === 'resolved') return [];
  const out: string[] = [];
  if (c.sla.firstResponseDue && !c.sla.firstRespondedAt) out.push(c.sla.firstResponseDue);
  if (c.sla.resolutionDue) out.push(c.sla.resolutionDue);
  return out;
}

/** The earliest running SLA clock's due time, if any. */
export function nextDue(c: Case): string | undefined {
  return runningDues(c).sort()[0];
}

/** The instant 4 hours after `now` (ISO), the end of "due soon". */
export function dueSoonUntil(now: string): string {
  return new Date(Date.parse(now) + SLA_DUE_SOON_MS).toISOString();
}

/** Whether a case matches a query's filters and search (in JavaScript; for the memory store). */
export function matchesQuery(c: Case, q: CaseQuery): boolean {
  const statuses = asList(q.status);
  const priorities = asList(q.priority);
  const segments = asList(q.segment);
  const owners = asList(q.owner);
  if (statuses && !statuses.includes(c.status)) return false;
  if (priorities && !priorities.includes(c.priority)) return false;
  if (segments && !segments.includes(c.segment)) return false;
  if (owners && !owners.includes(c.owner)) return false;
  if (q.from !== undefined && c.createdAt < q.from) return false;
  if (q.to !== undefined && c.createdAt >= q.to) return false;
  if (q.search !== undefined && q.search !== '') {
    const s = q.search.toLowerCase();
    if (
      !c.id.toLowerCase().startsWith(s) &&
      !(c.customerEmail ?? '').toLowerCase().includes(s) &&
      !(c.customerName ?? '').toLowerCase().includes(s)
    )
      return false;
  }
  if (q.sla !== undefined) {
    const now = q.now ?? new Date().toISOString();
    const dues = runningDues(c);
    if (q.sla === 'dueSoon') {
      const until = dueSoonUntil(now);
      if (!dues.some((d) => d >= now && d < until)) return false;
    } else if (c.sla.breaches.length === 0 && !dues.some((d) => d < now)) return false;
  }
  return true;
}

/** A case's value in a sort column; `undefined` sorts last. */
export function sortValue(c: Case, column: CaseSortColumn): string | number | undefined {
  switch (column) {
    case 'priority':
      return PRIORITY_RANK[c.priority];
    case 'slaDue':
      return nextDue(c);
    default:
      return c[column];
  }
}

/** Sorts by the query's key and order (empty values last), ties broken by case id. */
export function compareCases(q: CaseQuery): (a: Case, b: Case) => number {
  const sort = q.sort ?? 'updatedAt';
  const dir = (q.order ?? 'desc') === 'desc' ? -1 : 1;
  return (a, b) => {
    const ka = sortValue(a, sort);
    const kb = sortValue(b, sort);
    if (ka === undefined && kb !== undefined) return 1;
    if (kb === undefined && ka !== undefined) return -1;
    if (ka !== undefined && kb !== undefined) {
      if (ka < kb) return -dir;
      if (ka > kb) return dir;
    }
    return a.id < b.id ? -dir : a.id > b.id ? dir : 0;
  };
}

export function emptyCounts(): Record<CaseStatus, number> {
  return Object.fromEntries(CASE_STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>;
}
