import type { Case, CaseStatus } from '../domain/case.ts';
import { CASE_STATUSES } from '../domain/case.ts';
import { type CaseQuery, PRIORITY_RANK } from './store.ts';

/** A filter or array of filters, as a list. */
export function asList<T>(v: T | T[] | undefined): T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
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
  if (q.search !== undefined && q.search !== '') {
    const s = q.search.toLowerCase();
    if (c.id.toLowerCase() !== s && !c.customerEmail.toLowerCase().includes(s)) return false;
  }
  return true;
}

/** Sorts by the query's key and order, ties broken by case id. */
export function compareCases(q: CaseQuery): (a: Case, b: Case) => number {
  const sort = q.sort ?? 'updatedAt';
  const dir = (q.order ?? 'desc') === 'desc' ? -1 : 1;
  return (a, b) => {
    const ka = sort === 'priority' ? PRIORITY_RANK[a.priority] : a[sort];
    const kb = sort === 'priority' ? PRIORITY_RANK[b.priority] : b[sort];
    if (ka < kb) return -dir;
    if (ka > kb) return dir;
    return a.id < b.id ? -dir : a.id > b.id ? dir : 0;
  };
}

export function emptyCounts(): Record<CaseStatus, number> {
  return Object.fromEntries(CASE_STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>;
}
