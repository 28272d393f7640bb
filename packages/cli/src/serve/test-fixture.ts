// Test helpers for the serve tests: a config, a started server, signed webhook bodies.
import { createHmac } from 'node:crypto';
import { parseConfig, type ServeConfig, type ServeConfigInput } from '@closedloop/config';
import { type AppOptions, createApp } from './app.ts';
import { authSettingsFrom } from './auth/setup.ts';
import { createToken } from './auth/tokens.ts';
import type { Logger } from './log.ts';
import { type RunningServer, startServer } from './server.ts';

export const TYPEFORM_SECRET = 'tf-test-secret';
const DELIGHTED_KEY = 'dl-test-key';

export const people = [
  { id: 'eva', name: 'Eva Europe', email: 'eva@example.com' },
  { id: 'sara', name: 'Sara Spain', email: 'sara@example.com' },
  { id: 'pablo', name: 'Pablo Spain', email: 'pablo@example.com' },
  { id: 'ines', name: 'Ines Italy', email: 'ines@example.com' },
];
export const segments = [
  { id: 'europe', name: 'Europe', managers: ['eva'] },
  { id: 'spain', name: 'Spain', parent: 'europe', managers: ['sara', 'pablo'] },
  { id: 'italy', name: 'Italy', parent: 'europe', managers: ['ines'] },
];

export function testConfig(overrides: Partial<ServeConfigInput> = {}) {
  return parseConfig(
    {
      store: ':memory:',
      directory: people,
      segments,
      inbound: {
        typeform: { secret: { env: 'TF_SECRET' } },
        delighted: { apiKey: { env: 'DL_KEY' } },
      },
      http: { port: 0 },
      ...overrides,
    },
    process.cwd(),
  );
}

export interface TestServer extends RunningServer {
  logs: { level: string; message: string; fields?: Record<string, unknown> }[];
  /** `Authorization` header of an API token with the `admin` scope (service actor `service:tests`). */
  bearer: Record<string, string>;
  /** Signs in as a directory person through the dev sign-in page: their cookie and CSRF headers. */
  signIn(personId: string): Promise<Record<string, string>>;
  /** `fetch` on the server with the admin token (for tests about something other than access). */
  api(path: string, init?: RequestInit): Promise<Response>;
}

/** Signs in through `/auth/dev` as a browser would and returns the session cookie and CSRF token headers. */
export async function devSignIn(url: string, personId: string): Promise<Record<string, string>> {
  const page = await (await fetch(`${url}/auth/dev`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const res = await fetch(`${url}/auth/dev`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ person: personId, next: '/', csrf }).toString(),
    redirect: 'manual',
  });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  if (res.status !== 303 || !cookie) throw new Error(`dev sign-in as ${personId} failed: ${res.status}`);
  const me = (await (await fetch(`${url}/v1/me`, { headers: { cookie } })).json()) as { csrfToken: string };
  return { cookie, 'x-csrf-token': me.csrfToken };
}

export async function startTestServer(overrides: Partial<ServeConfigInput> = {}): Promise<TestServer> {
  const logs: TestServer['logs'] = [];
  const logger: Logger = (level, message, fields) =>
    logs.push({ level, message, ...(fields ? { fields } : {}) });
  const server = await startServer(testConfig(overrides), {
    logger,
    env: { TF_SECRET: TYPEFORM_SECRET, DL_KEY: DELIGHTED_KEY },
  });
  const { token } = await createToken(server.runtime.loop.store, { name: 'tests', scopes: ['admin'] });
  return Object.assign(server, {
    logs,
    bearer: { authorization: `Bearer ${token}` },
    signIn: (personId: string) => devSignIn(server.url, personId),
    api: (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          ...Object.fromEntries(new Headers(init.headers).entries()),
        },
      }),
  });
}

export function typeformPayload(
  token: string,
  nps: number,
  email = 'marta@example.com',
  comment = 'Parcel left in the rain.',
) {
  return {
    event_id: `ev-${token}`,
    event_type: 'form_response',
    form_response: {
      form_id: 'f1',
      token,
      submitted_at: '2026-03-02T09:12:00Z',
      hidden: { email, segment: 'spain' },
      definition: {
        id: 'f1',
        fields: [
          { id: 'Q1', title: 'How likely are you to recommend us?', type: 'nps', ref: 'nps' },
          { id: 'Q2', title: 'Why?', type: 'long_text', ref: 'why' },
        ],
      },
      answers: [
        { type: 'number', number: nps, field: { id: 'Q1', type: 'nps', ref: 'nps' } },
        { type: 'text', text: comment, field: { id: 'Q2', type: 'long_text', ref: 'why' } },
      ],
    },
  };
}

export const typeformSignature = (body: string, secret = TYPEFORM_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('base64')}`;

export const delightedSignature = (body: string, key = DELIGHTED_KEY) =>
  `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

/**
 * An app with the dev sign-in, for route tests written as "who acts": a request's
 * `X-Closedloop-Actor` header is turned into that person's signed-in session (cookie and CSRF
 * token) before it reaches the app, and a request without one uses an admin API token.
 */
const LOOPBACK = { host: '127.0.0.1:4100' };

export function createTestApp(options: Omit<AppOptions, 'auth'>, config: ServeConfig) {
  const store = options.loop.store;
  const app = createApp({
    ...options,
    auth: authSettingsFrom(config, { env: {}, store, logger: () => {} }),
  });
  const sessions = new Map<string, Promise<Record<string, string>>>();
  let token: Promise<string> | undefined;
  const signIn = async (personId: string): Promise<Record<string, string>> => {
    const page = await (await app.request('/auth/dev', { headers: LOOPBACK })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const res = await app.request('/auth/dev', {
      method: 'POST',
      headers: { ...LOOPBACK, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ person: personId, csrf }).toString(),
    });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    if (!cookie) throw new Error(`dev sign-in as ${personId} failed: ${res.status}`);
    const me = (await (await app.request('/v1/me', { headers: { ...LOOPBACK, cookie } })).json()) as {
      csrfToken: string;
    };
    return { cookie, 'x-csrf-token': me.csrfToken };
  };
  const request = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('host', LOOPBACK.host);
    const actor = headers.get('x-closedloop-actor');
    headers.delete('x-closedloop-actor');
    if (actor) {
      let s = sessions.get(actor);
      if (!s) {
        s = signIn(actor);
        sessions.set(actor, s);
      }
      for (const [k, v] of Object.entries(await s)) headers.set(k, v);
    } else {
      token ??= createToken(store, { name: 'route-tests', scopes: ['admin'] }).then((t) => t.token);
      headers.set('authorization', `Bearer ${await token}`);
    }
    return app.request(path, { ...init, headers });
  };
  return { app, request };
}
