import {
  CASE_STATUSES,
  type Case,
  type CaseQuery,
  ClosedLoopError,
  type EmbeddedClosedLoop,
  PRIORITIES,
} from '@closedloop/core';
import type { Context, Hono } from 'hono';
import { narrowQuery, seesCase } from './auth/access.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
const e = escapeHtml;

const PAGE_SIZE = 50;

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#1d3557;color:#fff;padding:.6rem 1rem}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:1rem;max-width:1200px;margin:auto}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
.counts a{display:inline-block;margin:0 .5rem .5rem 0;padding:.25rem .6rem;border-radius:1rem;background:#e3e6ea;color:#1d232a;text-decoration:none}
.counts a.on{background:#1d3557;color:#fff}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:1rem;align-items:end}
label{display:flex;flex-direction:column;font-size:12px;color:#555}
.p-critical{color:#b00020;font-weight:700}.p-high{color:#c25e00;font-weight:600}
section{background:#fff;padding:.75rem 1rem;margin-bottom:1rem;border:1px solid #e3e6ea}
blockquote{margin:0;padding:.5rem;background:#f1f3f5;white-space:pre-wrap}
.muted{color:#666}.err{color:#b00020}
`;

/** The console's only script: actions call the JSON API; nothing is built from HTML strings. */
const JS = `
let me;
const whoAmI = () => (me ??= fetch('/v1/me').then((r) => r.json()));
document.getElementById('signout')?.addEventListener('click', async () => {
  const { csrfToken } = await whoAmI();
  const res = await fetch('/auth/logout', { method: 'POST', headers: { 'x-csrf-token': csrfToken, accept: 'application/json' } });
  const answer = await res.json().catch(() => ({}));
  location.href = answer.redirect || '/auth/signed-out';
});
for (const form of document.querySelectorAll('form[data-api]')) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = form.querySelector('.err');
    const body = {};
    for (const [k, v] of new FormData(form)) if (v !== '') body[k] = v;
    const { csrfToken } = await whoAmI();
    const res = await fetch(form.dataset.api, {
      method: form.dataset.method || 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: JSON.stringify(body),
    });
    if (res.ok) { location.reload(); return; }
    const answer = await res.json().catch(() => ({}));
    out.textContent = (answer.error && answer.error.message) || ('HTTP ' + res.status);
  });
}
`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(title)} · closedloop</title><link rel="stylesheet" href="/console.css"></head>
<body><header><a href="/">closedloop</a> · cases · <button id="signout" type="button">Sign out</button></header><main>${body}</main><script src="/console.js"></script></body></html>`;
}

// Security headers (CSP, frame-ancestors, nosniff, no-store) come from the auth middleware.
function html(c: Context, body: string, status: 200 | 400 | 404 = 200) {
  return c.html(body, status);
}

function queryString(q: Record<string, string | string[] | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) if (x !== '') p.append(k, x);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

function select(name: string, values: readonly string[], current: string | undefined): string {
  return `<label>${e(name)}<select name="${e(name)}"><option value="">all</option>${values
    .map((v) => `<option${v === current ? ' selected' : ''}>${e(v)}</option>`)
    .join('')}</select></label>`;
}

function inbox(
  filters: Record<string, string | undefined>,
  result: Awaited<ReturnType<EmbeddedClosedLoop['cases']['list']>>,
  offset: number,
): string {
  const { status, ...rest } = filters;
  const counts = CASE_STATUSES.map(
    (s) =>
      `<a class="${status === s ? 'on' : ''}" href="/${queryString({ ...rest, status: s })}">${e(s)} ${result.countsByStatus[s] ?? 0}</a>`,
  ).join('');
  const all = `<a class="${status ? '' : 'on'}" href="/${queryString(rest)}">all ${Object.values(result.countsByStatus).reduce((a, b) => a + b, 0)}</a>`;
  const form = `<form class="filters" method="get" action="/">
${select('status', CASE_STATUSES, filters.status)}${select('priority', PRIORITIES, filters.priority)}
<label>segment<input name="segment" value="${e(filters.segment)}"></label>
<label>owner<input name="owner" value="${e(filters.owner)}"></label>
<label>search (email or case id)<input name="search" type="search" value="${e(filters.search)}"></label>
<button>Filter</button></form>`;
  const rows = result.cases
    .map(
      (c) => `<tr><td><a href="/cases/${encodeURIComponent(c.id)}">${e(c.id)}</a></td><td>${e(c.status)}</td>
<td class="p-${e(c.priority)}">${e(c.priority)}</td><td>${e(c.segment)}</td><td>${e(c.owner)}</td>
<td>${e(c.customerEmail)}</td><td>${e(c.nps ?? c.csat ?? '')}</td><td>${e(c.feedbackComment.slice(0, 120))}</td><td class="muted">${e(c.updatedAt.slice(0, 16).replace('T', ' '))}</td></tr>`,
    )
    .join('');
  const qs = queryString(filters);
  const more =
    offset + result.cases.length < result.total
      ? ` · <a href="/${queryString({ ...filters, offset: String(offset + PAGE_SIZE) })}">next ${PAGE_SIZE}</a>`
      : '';
  return page(
    'Cases',
    `<div class="counts">${all}${counts}</div>${form}
<p>${result.total} case(s)${more} · export <a href="/v1/cases.csv${qs}">CSV</a> · <a href="/v1/cases.json${qs}">JSON</a></p>
<table><thead><tr><th>case</th><th>status</th><th>priority</th><th>segment</th><th>owner</th><th>customer</th><th>score</th><th>comment</th><th>updated</th></tr></thead>
<tbody>${rows || '<tr><td colspan="9" class="muted">No cases match.</td></tr>'}</tbody></table>`,
  );
}

function actionForm(id: string, path: string, method: string, fields: string, button: string): string {
  return `<form data-api="/v1/cases/${encodeURIComponent(id)}${path}" data-method="${method}">${fields}<button>${e(button)}</button> <span class="err"></span></form>`;
}

function casePage(c: Case): string {
  const comments = c.comments
    .map(
      (m) =>
        `<li><b>${e(m.author)}</b> <span class="muted">${e(m.at)}</span><blockquote>${e(m.body)}</blockquote></li>`,
    )
    .join('');
  const log = c.audit
    .map(
      (a) =>
        `<tr><td class="muted">${e(a.at)}</td><td>${e(a.actor)}</td><td>${e(a.action)}</td><td>${e(a.before ?? '')}</td><td>${e(a.after ?? '')}</td><td>${e(a.note ?? '')}</td></tr>`,
    )
    .join('');
  const id = c.id;
  return page(
    `Case ${c.id}`,
    `<h1>Case ${e(c.id)}</h1>
<section><p><b>${e(c.status)}</b> · <span class="p-${e(c.priority)}">${e(c.priority)}</span> · segment ${e(c.segment)} · owner ${e(c.owner)}</p>
<p>Customer: ${e(c.customerName ?? '')} &lt;${e(c.customerEmail)}&gt; · NPS ${e(c.nps ?? '–')} · CSAT ${e(c.csat ?? '–')} · language ${e(c.language ?? '–')}</p>
<blockquote>${e(c.feedbackComment)}</blockquote>
<p class="muted">created ${e(c.createdAt)} · updated ${e(c.updatedAt)}${c.rootCause ? ` · root cause ${e(c.rootCause)}` : ''}</p></section>
<section><h2>Act</h2>
${actionForm(id, '', 'PATCH', `${select('status', CASE_STATUSES, undefined)}${select('priority', PRIORITIES, undefined)}<input name="segment" placeholder="segment">`, 'Update')}
${actionForm(id, '/reassign', 'POST', '<input name="owner" placeholder="new owner" required>', 'Reassign')}
${actionForm(id, '/resolve', 'POST', '<input name="rootCause" placeholder="root cause" required>', 'Resolve')}
${actionForm(id, '/inform', 'POST', '<input name="message" placeholder="message to the customer">', 'Inform customer')}</section>
<section><h2>Comments</h2><ul>${comments || '<li class="muted">No comments yet.</li>'}</ul>
${actionForm(id, '/comment', 'POST', '<textarea name="body" rows="3" cols="60" required></textarea>', 'Comment')}</section>
<section><h2>Log</h2><table><thead><tr><th>when</th><th>who</th><th>what</th><th>before</th><th>after</th><th>note</th></tr></thead><tbody>${log}</tbody></table></section>`,
  );
}

/** The web console: `GET /` (cases inbox) and `GET /cases/:id` (a case with comments and log). */
export function registerConsole(app: Hono, loop: EmbeddedClosedLoop): void {
  app.get('/console.css', (c) => c.body(CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));
  app.get('/console.js', (c) => c.body(JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }));

  app.get('/', async (c) => {
    const filters: Record<string, string | undefined> = {};
    for (const k of ['status', 'priority', 'segment', 'owner', 'search'] as const) {
      const v = c.req.query(k)?.trim();
      if (v) filters[k] = v;
    }
    const offset = Math.max(0, Math.trunc(Number(c.req.query('offset') ?? 0)) || 0);
    try {
      const query = narrowQuery({ ...(filters as CaseQuery), limit: PAGE_SIZE, offset }, c.get('caseScope'));
      const result = await loop.cases.list(query);
      return html(c, inbox(filters, result, offset));
    } catch (err) {
      if (err instanceof ClosedLoopError && err.code === 'INVALID_INPUT')
        return html(
          c,
          page('Cases', `<p class="err">${e(err.message)}</p><p><a href="/">All cases</a></p>`),
          400,
        );
      throw err;
    }
  });

  app.get('/cases/:id', async (c) => {
    try {
      const found = await loop.cases.get(c.req.param('id'));
      if (!seesCase(c.get('caseScope'), found))
        throw new ClosedLoopError('CASE_NOT_FOUND', 'not in your scope', { details: { caseId: found.id } });
      return html(c, casePage(found));
    } catch (err) {
      if (err instanceof ClosedLoopError && err.code === 'CASE_NOT_FOUND')
        return html(
          c,
          page(
            'Not found',
            `<p class="err">No case ${e(c.req.param('id'))}.</p><p><a href="/">All cases</a></p>`,
          ),
          404,
        );
      throw err;
    }
  });
}
