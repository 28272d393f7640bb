// Every route × role × token scope: allowed, 403 or 401 (or the sign-in redirect for pages).
// The routes come from the app itself, so a route added without a line in ROUTE_NEEDS fails here.

import { parseConfig } from '@closedloop/config';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { segments } from '../test-fixture.ts';
import { ROUTE_NEEDS } from './routes.ts';
import { authSettingsFrom } from './setup.ts';
import { createToken } from './tokens.ts';
import type { Need } from './types.ts';

const people = [
  { id: 'ada', name: 'Ada Admin', email: 'ada@example.com', roles: ['admin'] },
  { id: 'rita', name: 'Rita Rules', email: 'rita@example.com', roles: ['rulesEditor'] },
  { id: 'eva', name: 'Eva Europe', email: 'eva@example.com' },
  { id: 'alex', name: 'Alex Agent', email: 'alex@example.com', roles: ['agent'] },
  { id: 'vera', name: 'Vera Viewer', email: 'vera@example.com', roles: ['viewer'] },
  { id: 'sara', name: 'Sara Spain', email: 'sara@example.com' },
  { id: 'pablo', name: 'Pablo Spain', email: 'pablo@example.com' },
  { id: 'ines', name: 'Ines Italy', email: 'ines@example.com' },
];

/** Who passes each need: written out here, not computed by the code under test. */
const ALLOWED: Record<Need, readonly string[]> = {
  public: [
    'anonymous',
    'ada',
    'rita',
    'eva',
    'alex',
    'vera',
    'token:capture',
    'token:read',
    'token:write',
    'token:admin',
  ],
  signedIn: [
    'ada',
    'rita',
    'eva',
    'alex',
    'vera',
    'token:capture',
    'token:read',
    'token:write',
    'token:admin',
  ],
  capture: ['ada', 'token:capture', 'token:admin'],
  read: ['ada', 'rita', 'eva', 'alex', 'vera', 'token:read', 'token:write', 'token:admin'],
  write: ['ada', 'eva', 'alex', 'token:write', 'token:admin'],
  rules: ['ada', 'rita', 'token:admin'],
  admin: ['ada', 'token:admin'],
};
const CALLERS = ALLOWED.public;

let runtime: Runtime;
let app: Hono;
let caseId: string;
const headersOf: Record<string, Record<string, string>> = {};
const HOST = { host: '127.0.0.1:4100' };

function config(extra: object = {}) {
  return parseConfig(
    { store: ':memory:', directory: people, segments, http: { port: 0 }, ...extra },
    process.cwd(),
  );
}

/** The app's own routes (middleware excluded). */
const routesOf = (a: Hono) => [
  ...new Map(a.routes.filter((r) => r.method !== 'ALL').map((r) => [`${r.method} ${r.path}`, r])).values(),
];

beforeAll(async () => {
  const c = config();
  runtime = createRuntime(c, { logger: () => {} });
  app = createApp({
    loop: runtime.loop,
    adapters: runtime.adapters,
    auth: authSettingsFrom(c, { env: {}, store: runtime.loop.store, logger: () => {} }),
  });
  for (const scope of ['capture', 'read', 'write', 'admin']) {
    const { token } = await createToken(runtime.loop.store, { name: `t-${scope}`, scopes: [scope] });
    headersOf[`token:${scope}`] = { authorization: `Bearer ${token}` };
  }
  for (const id of ['ada', 'rita', 'eva', 'alex', 'vera']) {
    const page = await (await app.request('/auth/dev', { headers: HOST })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const res = await app.request('/auth/dev', {
      method: 'POST',
      headers: { ...HOST, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ person: id, csrf }).toString(),
    });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const me = (await (await app.request('/v1/me', { headers: { ...HOST, cookie } })).json()) as {
      csrfToken: string;
    };
    headersOf[id] = { cookie, 'x-csrf-token': me.csrfToken };
  }
  headersOf.anonymous = {};
  const captured = await runtime.loop.capture({
    source: { tool: 'api', responseId: 'table-1' },
    customer: { email: 'table@example.com', segment: 'spain' },
    nps: 1,
  });
  caseId = captured.case!.id;
  await runtime.loop.cases.reassign(caseId, 'alex', { actor: 'ada' });
});
afterAll(async () => {
  await runtime?.close();
});

describe('route table', () => {
  it('names what every route needs, in dev and OpenID Connect mode', () => {
    const oidcApp = createApp({
      loop: runtime.loop,
      auth: authSettingsFrom(
        config({
          auth: { mode: 'oidc', issuer: { env: 'I' }, clientId: { env: 'C' }, sessionSecret: { env: 'S' } },
          http: { port: 0, publicUrl: 'https://cx.example.com' },
        }),
        {
          env: { I: 'https://id.example.com', C: 'c', S: 's'.repeat(32) },
          store: runtime.loop.store,
          logger: () => {},
        },
      ),
    });
    const listed = new Set(ROUTE_NEEDS.map((r) => `${r.method} ${r.path}`));
    const missing = [...routesOf(app), ...routesOf(oidcApp)]
      .map((r) => `${r.method} ${r.path}`)
      .filter((r) => !listed.has(r));
    expect(missing).toEqual([]);
    expect(routesOf(oidcApp).map((r) => r.path)).toContain('/auth/callback');
  });

  it('answers every route × role × scope as the table says', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const route of routesOf(app)) {
      const need = ROUTE_NEEDS.find((r) => r.method === route.method && r.path === route.path)!.need;
      const path = route.path.replace(':id', caseId).replace(':tool', 'typeform');
      const api = path.startsWith('/v1/') || path === '/healthz';
      for (const caller of CALLERS) {
        const body = route.method === 'GET' ? undefined : '{}';
        const res = await app.request(path, {
          method: route.method,
          headers: { ...HOST, ...(body ? { 'content-type': 'application/json' } : {}), ...headersOf[caller] },
          ...(body ? { body } : {}),
        });
        const text = await res.text();
        const code = /"code":"([A-Z_]+)"/.exec(text)?.[1];
        const toSignIn = res.status === 302 && (res.headers.get('location') ?? '').startsWith('/auth/signin');
        const outcome =
          res.status === 401 && code === 'UNAUTHENTICATED'
            ? '401'
            : res.status === 403 && code === 'FORBIDDEN'
              ? '403'
              : toSignIn
                ? 'redirect'
                : 'allowed';
        const expected = ALLOWED[need].includes(caller)
          ? 'allowed'
          : caller === 'anonymous'
            ? api || route.method !== 'GET'
              ? '401'
              : 'redirect'
            : '403';
        checked++;
        if (outcome !== expected)
          problems.push(
            `${route.method} ${route.path} as ${caller}: ${outcome} (${res.status}), expected ${expected}`,
          );
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });
});
