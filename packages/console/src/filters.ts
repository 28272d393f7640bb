// The inbox's view (scope, filters, search, sort, page) ⇄ the browser's URL ⇄ the API's query.

export type Scope = 'mine' | 'segments' | 'all';
export const STATUSES = ['new', 'open', 'escalated', 'resolved'] as const;
export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export const SORT_COLUMNS = [
  'id',
  'status',
  'priority',
  'segment',
  'owner',
  'customerEmail',
  'customerName',
  'nps',
  'csat',
  'createdAt',
  'updatedAt',
  'slaDue',
] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
export const PAGE_SIZE = 25;

export interface View {
  scope: Scope;
  status?: string;
  priority?: string;
  segment?: string;
  owner?: string;
  sla?: string;
  /** Local calendar days (`YYYY-MM-DD`), both included. */
  from?: string;
  to?: string;
  q?: string;
  sort: SortColumn;
  dir: 'asc' | 'desc';
  page: number;
}

export const DEFAULT_VIEW: View = { scope: 'all', sort: 'updatedAt', dir: 'desc', page: 0 };
const TEXT_KEYS = ['status', 'priority', 'segment', 'owner', 'sla', 'from', 'to', 'q'] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The view a URL's query string describes; unknown or bad values fall back to the defaults. */
export function viewFromSearch(search: string, fallbackScope: Scope = 'all'): View {
  const p = new URLSearchParams(search);
  const view: View = { ...DEFAULT_VIEW, scope: fallbackScope };
  const scope = p.get('scope');
  if (scope === 'mine' || scope === 'segments' || scope === 'all') view.scope = scope;
  for (const k of TEXT_KEYS) {
    const v = p.get(k);
    if (v) view[k] = v;
  }
  if (view.from && !DAY.test(view.from)) delete view.from;
  if (view.to && !DAY.test(view.to)) delete view.to;
  const sort = p.get('sort');
  if (sort && (SORT_COLUMNS as readonly string[]).includes(sort)) view.sort = sort as SortColumn;
  const dir = p.get('dir');
  if (dir === 'asc' || dir === 'desc') view.dir = dir;
  const page = Number(p.get('page'));
  if (Number.isInteger(page) && page > 0) view.page = page;
  return view;
}

/** The URL query string of a view (defaults left out, so links stay short). */
export function searchOfView(view: View, defaultScope: Scope = 'all'): string {
  const p = new URLSearchParams();
  if (view.scope !== defaultScope) p.set('scope', view.scope);
  for (const k of TEXT_KEYS) {
    const v = view[k];
    if (v) p.set(k, v);
  }
  if (view.sort !== DEFAULT_VIEW.sort) p.set('sort', view.sort);
  if (view.dir !== DEFAULT_VIEW.dir) p.set('dir', view.dir);
  if (view.page > 0) p.set('page', String(view.page));
  return p.toString();
}

/**
 * The `GET /v1/cases` query of a view. Days are the viewer's: `from` is the instant the day starts
 * in the viewer's zone, `to` the instant the day after starts. `mySegments`: the scope "My segments".
 */
export function apiQuery(
  view: View,
  opts: { mySegments: string[]; dayStart: (day: string) => string; paged?: boolean },
): string {
  const p = new URLSearchParams();
  if (view.scope === 'mine') p.set('mine', '1');
  if (view.segment) p.append('segment', view.segment);
  else if (view.scope === 'segments') for (const s of opts.mySegments) p.append('segment', s);
  for (const k of ['status', 'priority', 'owner', 'sla', 'q'] as const) {
    const v = view[k];
    if (v) p.set(k, v);
  }
  if (view.from) p.set('from', opts.dayStart(view.from));
  if (view.to) p.set('to', opts.dayStart(nextDay(view.to)));
  p.set('sort', view.sort);
  p.set('dir', view.dir);
  if (opts.paged !== false) {
    p.set('limit', String(PAGE_SIZE));
    p.set('offset', String(view.page * PAGE_SIZE));
  }
  return p.toString();
}

/** The calendar day after `YYYY-MM-DD`. */
export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + 1));
  return t.toISOString().slice(0, 10);
}
