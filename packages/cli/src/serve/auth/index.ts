import type { Person, Segment, Store } from '@closedloop/core';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Logger } from '../log.ts';
import { allows, type CaseScope, caseScopeOf, needText, rolesOf } from './access.ts';
import { hmac, sameText } from './crypto.ts';
import { registerDevSignIn } from './dev.ts';
import { hostAllowed } from './hosts.ts';
import { type OidcSettings, registerOidc } from './oidc.ts';
import { signedOutPage, signInPage } from './pages.ts';
import { isApiPath, needOf } from './routes.ts';
import {
  clearSession,
  csrfTokenOf,
  readSession,
  type Session,
  type SessionSettings,
  sessionCookieName,
} from './session.ts';
import { principalOfToken } from './tokens.ts';
import type { Principal } from './types.ts';

export type { Principal } from './types.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The cases the caller may see (set with `principal`). */
    caseScope: CaseScope;
  }
}

/** Everything the guard needs, built from the config by `authSettingsFrom`. */
export interface AuthSettings {
  mode: 'dev' | 'oidc';
  directory: readonly Person[];
  segments: readonly Segment[];
  store: Store;
  sessions: SessionSettings;
  /** `Host` values answered; others get 421. */
  allowedHosts: readonly string[];
  /** The origin of `http.publicUrl`, when set. */
  publicOrigin?: string;
  oidc?: OidcSettings;
  logger: Logger;
}

/** The content security policy: a static single-page app from this origin, never framed. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function jsonError(
  c: Context,
  status: 401 | 403 | 415 | 421,
  code: string,
  message: string,
  details?: object,
) {
  return c.json({ error: { code, message, issues: [], ...(details ? { details } : {}) } }, status);
}

/** Security headers on every response, set last so no handler can drop them. */
const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  const h = c.res.headers;
  h.set('content-security-policy', CONTENT_SECURITY_POLICY);
  h.set('x-frame-options', 'DENY');
  h.set('x-content-type-options', 'nosniff');
  // Not `no-referrer`: with it browsers send `Origin: null` on our own form posts.
  h.set('referrer-policy', 'same-origin');
  h.set('cross-origin-opener-policy', 'same-origin');
  if (!h.has('cache-control')) h.set('cache-control', 'no-store');
};

const isJsonType = (type: string | undefined) =>
  /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test((type ?? '').trim());

/** The token a browser form or script sends back to prove the request comes from our own page. */
export const formToken = (s: AuthSettings) => hmac(s.sessions.keys.mac, 'signin-form');

/** The person principal of a session, or undefined when they left the directory. */
function personPrincipal(
  s: AuthSettings,
  session: Pick<Session, 'sub' | 'groupRoles'>,
): Principal | undefined {
  const person = s.directory.find((p) => p.id === session.sub);
  if (!person) return undefined;
  return {
    kind: 'person',
    id: person.id,
    name: person.name,
    roles: rolesOf(person, s.segments, session.groupRoles),
  };
}

function originAllowed(c: Context, s: AuthSettings): boolean {
  const origin = c.req.header('origin');
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  if (origin === undefined) return true;
  // A browser that hides the origin still says (in a header pages cannot set) where it came from.
  if (origin === 'null') return site === 'same-origin';
  if (s.publicOrigin && origin === s.publicOrigin) return true;
  try {
    const u = new URL(origin);
    return u.host === c.req.header('host') && hostAllowed(u.host, s.allowedHosts);
  } catch {
    return false;
  }
}

/** The one answer to "who is acting": the signed-in person or the token's service actor. */
export function principalOf(c: Context): Principal | undefined {
  return c.get('principal');
}

/**
 * Installs identity and access on the app: security headers, the Host allow-list and a guard
 * that authenticates every request and checks what its route needs (see `ROUTE_NEEDS`).
 * Call it before any other middleware or route but the request log.
 */
export function installAuth(app: Hono, s: AuthSettings): void {
  app.use(securityHeaders);
  app.use(async (c, next) => {
    if (!hostAllowed(c.req.header('host'), s.allowedHosts))
      return jsonError(
        c,
        421,
        'HOST_NOT_ALLOWED',
        'This server does not answer for that host name: add it to http.allowedHosts or set http.publicUrl',
      );
    const unsafe = !SAFE_METHODS.has(c.req.method);
    if (unsafe && !originAllowed(c, s))
      return jsonError(c, 403, 'CROSS_SITE_REFUSED', 'A state change from another site is refused');

    const path = c.req.path;
    const need = needOf(c.req.method, path);
    // Who is asking: a bearer token, else the session cookie. (A webhook's own Authorization
    // header on a public route is the adapter's business, not a token.)
    let principal: Principal | undefined;
    let session: Session | undefined;
    const authorization = c.req.header('authorization');
    const hadSession = getCookie(c, sessionCookieName(s.sessions)) !== undefined;
    if (authorization !== undefined && need !== 'public') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      principal = m ? await principalOfToken(s.store, m[1]!) : undefined;
      if (!principal)
        return jsonError(
          c,
          401,
          'INVALID_TOKEN',
          'The bearer token is unknown or revoked: create one with `closedloop tokens create`',
        );
    } else if (authorization === undefined) {
      session = readSession(c, s.sessions);
      principal = session ? personPrincipal(s, session) : undefined;
      if (session && !principal) clearSession(c, s.sessions);
    }
    if (principal) {
      c.set('principal', principal);
      c.set('caseScope', caseScopeOf(principal, s.segments));
      c.set('csrfToken', session ? csrfTokenOf(s.sessions, session) : '');
    }

    if (!allows(principal, need)) {
      if (principal)
        return jsonError(
          c,
          403,
          'FORBIDDEN',
          `This needs ${needText(need)}; ${principal.id} has ${principal.kind === 'service' ? `scope ${principal.scopes?.join(', ')}` : `role ${principal.roles.join(', ')}`}`,
          { need },
        );
      if (!isApiPath(path) && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
        const next = c.req.url.slice(new URL(c.req.url).origin.length);
        return c.redirect(
          `/auth/signin?next=${encodeURIComponent(next)}${hadSession ? '&expired=1' : ''}`,
          302,
        );
      }
      c.header('www-authenticate', 'Bearer');
      return jsonError(
        c,
        401,
        'UNAUTHENTICATED',
        `Sign in, or send "Authorization: Bearer <token>" (closedloop tokens create); this needs ${needText(need)}`,
        { need },
      );
    }
    const bodiless =
      c.req.method === 'DELETE' && !c.req.header('content-length') && !c.req.header('transfer-encoding');
    if (
      unsafe &&
      !bodiless &&
      isApiPath(path) &&
      need !== 'public' &&
      !isJsonType(c.req.header('content-type'))
    )
      return jsonError(
        c,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Send the body as JSON with "Content-Type: application/json" (also when it is empty)',
      );
    if (unsafe && session && principal && isApiPath(path)) {
      const sent = c.req.header('x-csrf-token') ?? '';
      if (!sameText(sent, c.get('csrfToken')))
        return jsonError(
          c,
          403,
          'CSRF_TOKEN_INVALID',
          'Send the "X-CSRF-Token" header with the csrfToken from GET /v1/me',
        );
    }
    await next();
  });
}

/** `GET /v1/me`, the sign-in pages and sign-out. */
export function registerAuthRoutes(app: Hono, s: AuthSettings): void {
  app.get('/v1/me', (c) => {
    const p = c.get('principal');
    const scope = c.get('caseScope');
    return c.json({
      kind: p.kind,
      id: p.id,
      name: p.name,
      roles: p.roles,
      ...(p.scopes ? { scopes: p.scopes } : {}),
      segments: scope.all ? s.segments.map((x) => x.id) : scope.segments,
      csrfToken: c.get('csrfToken'),
      can: {
        read: allows(p, 'read'),
        write: allows(p, 'write'),
        editRules: allows(p, 'rules'),
        admin: allows(p, 'admin'),
      },
    });
  });

  app.get('/auth/signin', (c) => {
    if (c.get('principal')) return c.redirect(safeNext(c.req.query('next')), 302);
    return c.html(
      signInPage({
        oidc: s.mode === 'oidc',
        dev: s.mode === 'dev',
        next: safeNext(c.req.query('next')),
        expired: c.req.query('expired') === '1',
      }),
    );
  });

  app.get('/auth/signed-out', (c) => c.html(signedOutPage()));

  if (s.mode === 'dev') registerDevSignIn(app, s);
  if (s.oidc) registerOidc(app, s, s.oidc);

  app.post('/auth/logout', async (c) => {
    const session = readSession(c, s.sessions);
    const form = isJsonType(c.req.header('content-type')) ? {} : await c.req.parseBody().catch(() => ({}));
    const sent = c.req.header('x-csrf-token') ?? String((form as Record<string, unknown>).csrf ?? '');
    if (session && !sameText(sent, csrfTokenOf(s.sessions, session)))
      return jsonError(
        c,
        403,
        'CSRF_TOKEN_INVALID',
        'Sign out from the console (the request lacks its CSRF token)',
      );
    clearSession(c, s.sessions);
    const target = s.oidc ? await s.oidc.endSessionUrl(session) : '/auth/signed-out';
    if ((c.req.header('accept') ?? '').includes('application/json')) return c.json({ redirect: target });
    return c.redirect(target, 303);
  });
}

/** A same-site path to go back to after signing in (never another site). */
export function safeNext(next: string | undefined): string {
  if (next === undefined) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || /[\\\r\n]/.test(next) || next.startsWith('/auth/'))
    return '/';
  return next.slice(0, 2000);
}
