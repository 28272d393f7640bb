import type { Need } from './types.ts';

/**
 * Every route of `closedloop serve` with what it needs. The guard looks requests up here, and a
 * test walks the app's routes so a route missing from this table fails the build.
 * Routes of other modules add their lines here (their `// need:` comment says which).
 */
export const ROUTE_NEEDS: readonly { method: string; path: string; need: Need }[] = [
  { method: 'GET', path: '/healthz', need: 'public' },
  { method: 'POST', path: '/v1/feedback', need: 'capture' },
  // Survey webhooks carry their vendor's signature instead of a token.
  { method: 'POST', path: '/v1/inbound/:tool', need: 'public' },
  // Vendors check the URL answers before they send (SurveyMonkey: HEAD must be 200).
  { method: 'GET', path: '/v1/inbound/:tool', need: 'public' },
  { method: 'GET', path: '/v1/feedback/:id', need: 'read' },
  { method: 'GET', path: '/metrics', need: 'read' },
  { method: 'GET', path: '/v1/me', need: 'signedIn' },
  { method: 'GET', path: '/v1/cases', need: 'read' },
  { method: 'GET', path: '/v1/cases.csv', need: 'read' },
  { method: 'GET', path: '/v1/cases.json', need: 'read' },
  { method: 'GET', path: '/v1/cases/:id', need: 'read' },
  { method: 'PATCH', path: '/v1/cases/:id', need: 'write' },
  { method: 'POST', path: '/v1/cases/:id/reassign', need: 'write' },
  { method: 'POST', path: '/v1/cases/:id/comment', need: 'write' },
  { method: 'POST', path: '/v1/cases/:id/resolve', need: 'write' },
  { method: 'POST', path: '/v1/cases/:id/inform', need: 'write' },
  // The Rules API (rules-routes.ts): reading and trying rules is reading; changing them is "rules".
  { method: 'GET', path: '/v1/rules', need: 'read' },
  { method: 'GET', path: '/v1/rules/catalogue', need: 'read' },
  { method: 'GET', path: '/v1/rules/schema', need: 'read' },
  { method: 'POST', path: '/v1/rules/validate', need: 'read' },
  { method: 'POST', path: '/v1/rules/explain', need: 'read' },
  { method: 'POST', path: '/v1/rules/fixtures', need: 'read' },
  { method: 'POST', path: '/v1/rules/backtest', need: 'read' },
  { method: 'GET', path: '/v1/rules/backtest/:jobId', need: 'read' },
  { method: 'POST', path: '/v1/rules/publish', need: 'rules' },
  { method: 'GET', path: '/v1/rules/versions', need: 'read' },
  { method: 'GET', path: '/v1/rules/versions/:version', need: 'read' },
  { method: 'POST', path: '/v1/rules/rollback', need: 'rules' },
  { method: 'POST', path: '/v1/rules/apply', need: 'rules' },
  // Privacy (privacy-routes.ts): erasure, access and the do-not-contact list are for admins; the
  // unsubscribe link in every customer email works without signing in (its token is sealed).
  { method: 'POST', path: '/v1/privacy/erase', need: 'admin' },
  { method: 'POST', path: '/v1/privacy/export', need: 'admin' },
  { method: 'POST', path: '/v1/privacy/do-not-contact', need: 'admin' },
  { method: 'POST', path: '/v1/privacy/do-not-contact/remove', need: 'admin' },
  { method: 'POST', path: '/v1/privacy/do-not-contact/check', need: 'admin' },
  { method: 'GET', path: '/v1/unsubscribe', need: 'public' },
  { method: 'POST', path: '/v1/unsubscribe', need: 'public' },
  // Sign-in and sign-out.
  { method: 'GET', path: '/auth/signin', need: 'public' },
  { method: 'GET', path: '/auth/login', need: 'public' },
  { method: 'GET', path: '/auth/callback', need: 'public' },
  { method: 'GET', path: '/auth/dev', need: 'public' },
  { method: 'POST', path: '/auth/dev', need: 'public' },
  { method: 'POST', path: '/auth/logout', need: 'public' },
  { method: 'GET', path: '/auth/signed-out', need: 'public' },
  // The console: every other page needs a signed-in reader (see `consoleNeed`).
  { method: 'GET', path: '/', need: 'read' },
  { method: 'GET', path: '/cases', need: 'read' },
  { method: 'GET', path: '/cases/:id', need: 'read' },
  { method: 'GET', path: '/rules', need: 'read' },
  { method: 'GET', path: '/rules/:kind/:id', need: 'read' },
  { method: 'GET', path: '/assets/:file', need: 'read' },
  // Cases API for the console (cases-routes.ts); each case route checks the caller's scope too.
  { method: 'GET', path: '/v1/org', need: 'read' },
  { method: 'GET', path: '/v1/templates', need: 'read' },
  { method: 'GET', path: '/v1/cases/:id/actions', need: 'read' },
  { method: 'GET', path: '/v1/cases/:id/feedback', need: 'read' },
  { method: 'POST', path: '/v1/cases/:id/inform/preview', need: 'read' },
];

const compiled = ROUTE_NEEDS.map((r) => ({
  ...r,
  pattern: new RegExp(
    `^${r.path
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}$`,
  ),
}));

/** Whether a path belongs to the JSON API (401/403 as JSON) rather than the console (redirects). */
export const isApiPath = (path: string) => path.startsWith('/v1/') || path === '/v1' || path === '/healthz';

/**
 * What a request needs. Paths outside the table need a reader (GET/HEAD) or a writer (anything
 * else): an unlisted route is never open by mistake.
 */
export function needOf(method: string, path: string): Need {
  const m = method === 'HEAD' ? 'GET' : method;
  const hit = compiled.find((r) => r.method === m && r.pattern.test(path));
  if (hit) return hit.need;
  if (path.startsWith('/auth/')) return 'public';
  return m === 'GET' ? 'read' : 'write';
}
