import {
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  type SortingState,
  useReactTable,
} from '@tanstack/react-table';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { api } from '../api.ts';
import { download } from '../download.ts';
import {
  apiQuery,
  PAGE_SIZE,
  PRIORITIES,
  type Scope,
  type SortColumn,
  STATUSES,
  searchOfView,
  type View,
  viewFromSearch,
} from '../filters.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { nameOf, segmentName, useSession } from '../session.tsx';
import { dayStart, formatTime, fromNow, viewerZone } from '../time.ts';
import { type Case, type CaseList, nextDue, slaState } from '../types.ts';

const SLA_LABELS: Record<string, string> = { dueSoon: 'Due in less than 4 h', breached: 'Breached' };

export function Inbox() {
  const session = useSession();
  const { org } = session;
  const { search } = useLocation();
  const mySegments = session.me?.segments ?? [];
  const roles = session.me?.roles ?? [];
  const scopes: { id: Scope; label: string }[] = [
    ...(session.me || session.devActor ? [{ id: 'mine' as const, label: 'My cases' }] : []),
    ...(mySegments.length > 0 ? [{ id: 'segments' as const, label: 'My segments' }] : []),
    ...(!session.me || roles.some((r) => r === 'admin' || r === 'viewer' || r === 'rulesEditor')
      ? [{ id: 'all' as const, label: 'All cases' }]
      : []),
  ];
  const defaultScope: Scope = scopes.some((s) => s.id === 'all') ? 'all' : (scopes[0]?.id ?? 'all');
  const view = viewFromSearch(search, defaultScope);
  const [data, setData] = useState<CaseList | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const query = apiQuery(view, { mySegments, dayStart });
  const exportQuery = apiQuery(view, { mySegments, dayStart, paged: false });

  useEffect(() => {
    let live = true;
    setLoading(true);
    api<CaseList>('GET', `/v1/cases?${query}`)
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      })
      .catch((e: Error) => live && setError(e.message))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [query]);

  const go = (next: Partial<View>, keepPage = false) => {
    const v = { ...view, ...next, ...(keepPage ? {} : { page: 0 }) };
    const s = searchOfView(v, defaultScope);
    navigate(`/cases${s ? `?${s}` : ''}`);
  };

  const columns = useMemo<ColumnDef<Case>[]>(
    () => [
      {
        id: 'id',
        header: 'Case',
        cell: ({ row }) => (
          <Link to={`/cases/${encodeURIComponent(row.original.id)}`}>{row.original.id}</Link>
        ),
      },
      { id: 'status', header: 'Status', cell: ({ row }) => row.original.status },
      {
        id: 'priority',
        header: 'Priority',
        cell: ({ row }) => <span className={`p-${row.original.priority}`}>{row.original.priority}</span>,
      },
      { id: 'segment', header: 'Segment', cell: ({ row }) => segmentName(org, row.original.segment) },
      { id: 'owner', header: 'Owner', cell: ({ row }) => nameOf(org, row.original.owner) },
      { id: 'customerName', header: 'Customer', cell: ({ row }) => row.original.customerName ?? '—' },
      { id: 'customerEmail', header: 'Email', cell: ({ row }) => row.original.customerEmail ?? '—' },
      { id: 'nps', header: 'NPS', cell: ({ row }) => row.original.nps ?? '—' },
      {
        id: 'slaDue',
        header: 'SLA due',
        cell: ({ row }) => {
          const c = row.original;
          const state = slaState(c);
          const due = nextDue(c);
          if (state === 'breached') return <span className="breached">Breached</span>;
          if (!due) return <span className="muted">—</span>;
          return (
            <span className={state === 'dueSoon' ? 'soon' : ''} title={formatTime(due)}>
              {fromNow(due)}
            </span>
          );
        },
      },
      { id: 'createdAt', header: 'Created', cell: ({ row }) => formatTime(row.original.createdAt) },
      { id: 'updatedAt', header: 'Updated', cell: ({ row }) => formatTime(row.original.updatedAt) },
    ],
    [org],
  );

  const sorting: SortingState = [{ id: view.sort, desc: view.dir === 'desc' }];
  const table = useReactTable({
    data: data?.cases ?? [],
    columns,
    state: { sorting },
    manualSorting: true,
    manualPagination: true,
    getCoreRowModel: getCoreRowModel(),
  });

  const onFilters = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const get = (k: string) => {
      const v = String(f.get(k) ?? '').trim();
      return v === '' ? undefined : v;
    };
    const next: View = { scope: view.scope, sort: view.sort, dir: view.dir, page: 0 };
    for (const k of ['status', 'priority', 'segment', 'owner', 'sla', 'from', 'to', 'q'] as const) {
      const v = get(k);
      if (v) next[k] = v;
    }
    const s = searchOfView(next, defaultScope);
    navigate(`/cases${s ? `?${s}` : ''}`);
  };

  const total = data?.total ?? 0;
  const first = total === 0 ? 0 : view.page * PAGE_SIZE + 1;
  const last = Math.min(total, (view.page + 1) * PAGE_SIZE);
  const allCount = data ? Object.values(data.counts).reduce((a, b) => a + b, 0) : 0;

  return (
    <main id="main">
      <h1>Cases</h1>
      <fieldset className="tabs">
        <legend className="sr-only">Whose cases</legend>
        {scopes.map((s) => (
          <button
            key={s.id}
            type="button"
            aria-pressed={view.scope === s.id}
            onClick={() => go({ scope: s.id })}
          >
            {s.label}
          </button>
        ))}
      </fieldset>
      <fieldset className="counts">
        <legend className="sr-only">Cases by status</legend>
        <button
          type="button"
          aria-pressed={!view.status}
          onClick={() => {
            const { status: _s, ...rest } = view;
            go(rest as View);
          }}
        >
          Any status: {allCount}
        </button>
        {STATUSES.map((s) => (
          <button key={s} type="button" aria-pressed={view.status === s} onClick={() => go({ status: s })}>
            {s}: {data?.counts[s] ?? 0}
          </button>
        ))}
      </fieldset>
      <form className="filters" onSubmit={onFilters} aria-label="Filters" key={search}>
        <div className="field">
          <label htmlFor="f-q">Search (email, name or case id)</label>
          <input id="f-q" name="q" type="search" defaultValue={view.q ?? ''} />
        </div>
        <div className="field">
          <label htmlFor="f-status">Status</label>
          <select id="f-status" name="status" defaultValue={view.status ?? ''}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-priority">Priority</label>
          <select id="f-priority" name="priority" defaultValue={view.priority ?? ''}>
            <option value="">Any</option>
            {PRIORITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-segment">Segment (and below)</label>
          <select id="f-segment" name="segment" defaultValue={view.segment ?? ''}>
            <option value="">Any</option>
            {org.segments.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-owner">Owner</label>
          <select id="f-owner" name="owner" defaultValue={view.owner ?? ''}>
            <option value="">Anyone</option>
            {org.people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-sla">SLA</label>
          <select id="f-sla" name="sla" defaultValue={view.sla ?? ''}>
            <option value="">Any</option>
            {Object.entries(SLA_LABELS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-from">Created from</label>
          <input id="f-from" name="from" type="date" defaultValue={view.from ?? ''} />
        </div>
        <div className="field">
          <label htmlFor="f-to">Created to</label>
          <input id="f-to" name="to" type="date" defaultValue={view.to ?? ''} />
        </div>
        <button className="primary" type="submit">
          Apply filters
        </button>
        <button className="secondary" type="button" onClick={() => navigate('/cases')}>
          Clear
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="pager">
        <span aria-live="polite">
          {loading ? 'Loading…' : total === 0 ? 'No cases match.' : `Cases ${first}–${last} of ${total}`}
        </span>
        <button
          className="secondary"
          type="button"
          disabled={view.page === 0}
          onClick={() => go({ page: view.page - 1 }, true)}
        >
          Previous page
        </button>
        <button
          className="secondary"
          type="button"
          disabled={last >= total}
          onClick={() => go({ page: view.page + 1 }, true)}
        >
          Next page
        </button>
        <span>
          Export this view:{' '}
          <a
            href={`/v1/cases.csv?${exportQuery}`}
            onClick={(e) => {
              e.preventDefault();
              download(`/v1/cases.csv?${exportQuery}`, 'cases.csv').catch((x: Error) => setError(x.message));
            }}
          >
            CSV
          </a>{' '}
          ·{' '}
          <a
            href={`/v1/cases.json?${exportQuery}`}
            onClick={(e) => {
              e.preventDefault();
              download(`/v1/cases.json?${exportQuery}`, 'cases.json').catch((x: Error) =>
                setError(x.message),
              );
            }}
          >
            JSON
          </a>
        </span>
        <span className="muted">Times in {viewerZone()}</span>
      </div>
      <div className="table-wrap">
        <table>
          <caption className="muted" style={{ textAlign: 'left', padding: '0.3rem 0.5rem' }}>
            Sorted by {view.sort}, {view.dir === 'asc' ? 'ascending' : 'descending'}. Select a column heading
            to sort by it.
          </caption>
          <thead>
            {table.getHeaderGroups().map((g) => (
              <tr key={g.id}>
                {g.headers.map((h) => {
                  const id = h.column.id as SortColumn;
                  const active = view.sort === id;
                  return (
                    <th
                      key={h.id}
                      scope="col"
                      aria-sort={active ? (view.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
                    >
                      <button
                        type="button"
                        onClick={() => go({ sort: id, dir: active && view.dir === 'desc' ? 'asc' : 'desc' })}
                      >
                        {flexRender(h.column.columnDef.header, h.getContext())}
                        {active ? (view.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                      </button>
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((r) => (
              <tr key={r.id}>
                {r.getVisibleCells().map((cell) => (
                  <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </main>
  );
}
