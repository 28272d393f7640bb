// Each attack from issue 11, tried as an attacker would against a default set-up, now refused.
import { connect } from 'node:net';
import { parseConfig } from '@closedloop/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../server.ts';
import { people, segments, startTestServer, type TestServer } from '../test-fixture.ts';
import { AUDIT_KIND } from './audit.ts';
import { raw } from './test-kit.ts';

let server: TestServer;
let madridCase: string;
let sara: Record<string, string>;
let ines: Record<string, string>;
const host = () => new URL(server.url).host;

async function capture(segment: string, email: string) {
  const r = await raw(
    server.url,
    'POST',
    '/v1/feedback',
    { host: host(), 'content-type': 'application/json', ...server.bearer },
    JSON.stringify({
      source: { tool: 'api', responseId: `${segment}-${email}` },
      customer: { email, segment },
      nps: 1,
      comment: 'The parcel came late',
    }),
  );
  expect(r.status).toBe(201);
  return r.json.case.id as string;
}

beforeAll(async () => {
  server = await startTestServer();
  madridCase = await capture('spain', 'madrid@example.com');
  await capture('italy', 'roma@example.com');
  sara = await server.signIn('sara');
  ines = await server.signIn('ines');
});
afterAll(async () => {
  await server?.close();
});

describe('nobody reads customer data without being someone', () => {
  it('refuses an unauthenticated export and case list with 401, naming how to sign in', async () => {
    for (const path of ['/v1/cases.json', '/v1/cases.csv', '/v1/cases', `/v1/cases/${madridCase}`]) {
      const r = await raw(server.url, 'GET', path, { host: host() });
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('UNAUTHENTICATED');
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(r.text).not.toContain('madrid@example.com');
    }
  });

  it('answers 421 to a foreign Host (DNS rebinding), even for a signed-in browser', async () => {
    const r = await raw(server.url, 'GET', '/v1/cases.json', {
      host: 'evil.example:80',
      cookie: sara.cookie!,
    });
    expect(r.status).toBe(421);
    expect(r.json.error.code).toBe('HOST_NOT_ALLOWED');
    expect(r.text).not.toContain('@example.com');
    const ok = await raw(server.url, 'GET', '/healthz', { host: `localhost:${new URL(server.url).port}` });
    expect(ok.status).toBe(200);
  });

  it('redirects a console page (also any future one) to sign-in when nobody is signed in', async () => {
    for (const path of ['/', `/cases/${madridCase}`, '/app/some/page?x=1']) {
      const r = await raw(server.url, 'GET', path, { host: host() });
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe(`/auth/signin?next=${encodeURIComponent(path)}`);
    }
  });
});

describe('the actor is who signed in', () => {
  it('refuses an actor named in a header or body, whatever it holds', async () => {
    for (const actor of ['ghost', 'system', '<b>x</b>', 'a\r\nb']) {
      const r = await raw(
        server.url,
        'POST',
        `/v1/cases/${madridCase}/comment`,
        { host: host(), 'content-type': 'application/json', ...sara },
        JSON.stringify({ body: 'hello', actor }),
      );
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('ACTOR_MISMATCH');
    }
    const c = await raw(server.url, 'GET', `/v1/cases/${madridCase}`, { host: host(), ...server.bearer });
    expect(c.json.comments).toEqual([]);
  });

  it('keeps a manager of Italy out of a Madrid case: no comment, no read, not in lists, counts or exports', async () => {
    const comment = await raw(
      server.url,
      'POST',
      `/v1/cases/${madridCase}/comment`,
      { host: host(), 'content-type': 'application/json', ...ines },
      JSON.stringify({ body: 'Not my case' }),
    );
    expect(comment.status).toBe(403);
    expect(comment.json.error.code).toBe('FORBIDDEN');
    expect(comment.json.error.message).toContain('spain');
    expect((await raw(server.url, 'GET', `/v1/cases/${madridCase}`, { host: host(), ...ines })).status).toBe(
      403,
    );
    const list = await raw(server.url, 'GET', '/v1/cases', { host: host(), ...ines });
    expect(list.json.cases.map((c: { segment: string }) => c.segment)).toEqual(['italy']);
    expect(list.json.total).toBe(1);
    expect(Object.values(list.json.countsByStatus).reduce((a, b) => Number(a) + Number(b), 0)).toBe(1);
    const asked = await raw(server.url, 'GET', '/v1/cases?segment=spain&search=madrid%40example.com', {
      host: host(),
      ...ines,
    });
    expect(asked.json.total).toBe(0);
    const csv = await raw(server.url, 'GET', '/v1/cases.csv', { host: host(), ...ines });
    expect(csv.text).toContain('roma@example.com');
    expect(csv.text).not.toContain('madrid@example.com');
    // The console page is the app's shell (no data); the case itself comes only from the API.
    const page = await raw(server.url, 'GET', `/cases/${madridCase}`, { host: host(), cookie: ines.cookie! });
    expect(page.text).not.toContain('madrid@example.com');
    const api = await raw(server.url, 'GET', `/v1/cases/${madridCase}/feedback`, { host: host(), ...ines });
    expect(api.status).toBe(403);
    expect(api.text).not.toContain('madrid@example.com');
    // Eva manages Europe, above Spain and Italy: she sees both.
    const eva = await server.signIn('eva');
    expect((await raw(server.url, 'GET', '/v1/cases', { host: host(), ...eva })).json.total).toBe(2);
  });
});

describe('browser protections', () => {
  it('refuses a cross-site empty-body form post to inform, and never informs the customer', async () => {
    const path = `/v1/cases/${madridCase}/inform`;
    const attempts: Record<string, string>[] = [
      // From another site: the browser names it in Origin.
      { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', ...sara },
      { 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain', ...sara },
      // A sandboxed frame or data: page posts with Origin "null".
      { origin: 'null', 'content-type': 'application/json', ...sara },
      // Same site but without the CSRF token, or not JSON.
      { 'content-type': 'application/json', cookie: sara.cookie! },
      { 'content-type': 'text/plain', ...sara },
      { ...sara },
    ];
    const codes = [];
    for (const headers of attempts) {
      const r = await raw(server.url, 'POST', path, { host: host(), ...headers }, '');
      codes.push(r.json.error.code);
      expect([403, 415]).toContain(r.status);
    }
    expect(codes).toEqual([
      'CROSS_SITE_REFUSED',
      'CROSS_SITE_REFUSED',
      'CROSS_SITE_REFUSED',
      'CSRF_TOKEN_INVALID',
      'UNSUPPORTED_MEDIA_TYPE',
      'UNSUPPORTED_MEDIA_TYPE',
    ]);
    const informed = await server.runtime.loop.store.documents.list(AUDIT_KIND);
    expect(informed.filter((d) => (d.value as { action: string }).action === 'inform')).toEqual([]);
  });

  it('sends headers that forbid framing and sniffing, and no-store on pages and exports', async () => {
    for (const path of ['/', '/v1/cases.csv', '/auth/signin']) {
      const r = await raw(server.url, 'GET', path, { host: host(), ...sara });
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['cache-control']).toBe('no-store');
    }
    const unauth = await raw(server.url, 'GET', '/v1/cases', { host: host() });
    expect(unauth.headers['x-frame-options']).toBe('DENY');
  });

  it('never echoes body text in an error, and lists no survey tools to strangers', async () => {
    const secret = 'customer-secret-text@example.com';
    const r = await raw(
      server.url,
      'POST',
      '/v1/feedback',
      { host: host(), 'content-type': 'application/json', ...server.bearer },
      `{"x": "${secret}"`,
    );
    expect(r.status).toBe(400);
    expect(r.text).not.toContain(secret);
    const tool = await raw(
      server.url,
      'POST',
      '/v1/inbound/nosuch',
      { host: host(), 'content-type': 'application/json' },
      '{}',
    );
    expect(tool.status).toBe(404);
    expect(tool.json.error.code).toBe('UNKNOWN_TOOL');
    expect(tool.text).not.toContain('typeform');
    expect(tool.text).not.toContain('delighted');
  });
});

describe('sign-in redirects', () => {
  it('go back only to a page of this site', async () => {
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/auth/logout']) {
      const r = await raw(server.url, 'GET', `/auth/signin?next=${encodeURIComponent(next)}`, {
        host: host(),
        cookie: sara.cookie!,
      });
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe('/');
    }
    const ok = await raw(server.url, 'GET', '/auth/signin?next=%2Fcases%2Fx%3Fa%3D1', {
      host: host(),
      cookie: sara.cookie!,
    });
    expect(ok.headers.location).toBe('/cases/x?a=1');
  });
});

describe('survey webhooks', () => {
  it('need no token: an Authorization header of their own is left to the vendor check', async () => {
    const r = await raw(
      server.url,
      'POST',
      '/v1/inbound/typeform',
      { host: host(), 'content-type': 'application/json', authorization: 'Basic dmVuZG9yOnNlY3JldA==' },
      '{}',
    );
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('INVALID_SIGNATURE');
  });
});

describe('who did what is kept', () => {
  it('records who informed the customer and the message, and who took an export', async () => {
    const id = await capture('spain', 'told@example.com');
    const resolved = await raw(
      server.url,
      'POST',
      `/v1/cases/${id}/resolve`,
      { host: host(), 'content-type': 'application/json', ...sara },
      JSON.stringify({ rootCause: 'courier' }),
    );
    expect(resolved.status).toBe(200);
    const r = await raw(
      server.url,
      'POST',
      `/v1/cases/${id}/inform`,
      { host: host(), 'content-type': 'application/json', ...sara },
      JSON.stringify({ message: 'We refunded the delivery.' }),
    );
    expect(r.status).toBe(200);
    await raw(server.url, 'GET', '/v1/cases.json?status=new', { host: host(), ...sara });
    const log = (await server.runtime.loop.store.documents.list(AUDIT_KIND)).map((d) => d.value);
    expect(log).toContainEqual(
      expect.objectContaining({
        action: 'inform',
        actor: 'sara',
        caseId: id,
        message: 'We refunded the delivery.',
      }),
    );
    expect(log).toContainEqual(expect.objectContaining({ action: 'export', actor: 'sara', format: 'json' }));
  });
});

describe('secure by default', () => {
  const base = { store: ':memory:', directory: people, segments };

  it('refuses to listen beyond loopback without an auth section, saying what to add', async () => {
    const config = parseConfig({ ...base, http: { host: '0.0.0.0', port: 0 } }, process.cwd());
    await expect(startServer(config, { logger: () => {} })).rejects.toThrow(
      /no "auth" section.*"auth": \{ "mode": "oidc"/,
    );
    const dev = parseConfig(
      { ...base, auth: { mode: 'dev' }, http: { host: '0.0.0.0', port: 0 } },
      process.cwd(),
    );
    await expect(startServer(dev, { logger: () => {} })).rejects.toThrow(
      /only listens on a loopback address/,
    );
  });

  it('starts on loopback without an auth section, in dev mode, with a warning', async () => {
    const logs: string[] = [];
    const s = await startServer(parseConfig({ ...base, http: { port: 0 } }, process.cwd()), {
      logger: (level, message) => logs.push(`${level} ${message}`),
    });
    try {
      expect(logs.some((l) => l.startsWith('warn no "auth" section: dev mode'))).toBe(true);
      const page = await raw(s.url, 'GET', '/auth/dev', { host: new URL(s.url).host });
      expect(page.text).toContain('Sara Spain');
    } finally {
      await s.close();
    }
  });

  it('refuses OpenID Connect without http.publicUrl or with a short session secret', async () => {
    const oidc = {
      mode: 'oidc',
      issuer: { env: 'ISS' },
      clientId: { env: 'CID' },
      sessionSecret: { env: 'SEC' },
    } as const;
    const env = { ISS: 'https://id.example.com', CID: 'closedloop', SEC: 'x'.repeat(40) };
    const noUrl = parseConfig({ ...base, auth: oidc, http: { port: 0 } }, process.cwd());
    await expect(startServer(noUrl, { logger: () => {}, env })).rejects.toThrow(/needs http.publicUrl/);
    const short = parseConfig(
      { ...base, auth: oidc, http: { port: 0, publicUrl: 'https://cx.example.com' } },
      process.cwd(),
    );
    await expect(startServer(short, { logger: () => {}, env: { ...env, SEC: 'short' } })).rejects.toThrow(
      /at least 32 characters/,
    );
  });

  it('answers only the allowed hosts and caps connections', async () => {
    const s = await startServer(
      parseConfig(
        { ...base, http: { port: 0, allowedHosts: ['cx.internal'], maxConnections: 1 } },
        process.cwd(),
      ),
      { logger: () => {} },
    );
    try {
      const port = new URL(s.url).port;
      expect((await raw(s.url, 'GET', '/healthz', { host: `cx.internal:${port}` })).status).toBe(200);
      expect((await raw(s.url, 'GET', '/healthz', { host: `127.0.0.1:${port}` })).status).toBe(421);
      // One connection held open: the next one is closed without an answer.
      const first = connect(Number(port), '127.0.0.1');
      await new Promise((r) => first.once('connect', r));
      const second = connect(Number(port), '127.0.0.1');
      const got = await new Promise<string>((resolve) => {
        let data = '';
        second.on('data', (d) => {
          data += d;
        });
        second.on('close', () => resolve(data));
        second.on('error', () => resolve(data));
        second.write(`GET /healthz HTTP/1.1\r\nhost: cx.internal:${port}\r\nconnection: close\r\n\r\n`);
      });
      expect(got).toBe('');
      first.destroy();
    } finally {
      await s.close();
    }
  });

  it("behind a TLS proxy: allows publicUrl's host and origin, and sets Secure __Host- cookies", async () => {
    const s = await startServer(
      parseConfig({ ...base, http: { port: 0, publicUrl: 'https://cx.example.com' } }, process.cwd()),
      { logger: () => {} },
    );
    try {
      const proxied = { host: 'cx.example.com' };
      expect((await raw(s.url, 'GET', '/healthz', proxied)).status).toBe(200);
      expect((await raw(s.url, 'GET', '/healthz', { host: 'cx.example.com.evil.example' })).status).toBe(421);
      const page = await raw(s.url, 'GET', '/auth/dev', proxied);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
      const signIn = await raw(
        s.url,
        'POST',
        '/auth/dev',
        { ...proxied, origin: 'https://cx.example.com', 'content-type': 'application/x-www-form-urlencoded' },
        new URLSearchParams({ person: 'sara', csrf }).toString(),
      );
      expect(signIn.status).toBe(303);
      const cookie = String(signIn.headers['set-cookie']);
      expect(cookie).toMatch(/^__Host-closedloop_session=/);
      expect(cookie).toContain('Secure');
      const foreign = await raw(
        s.url,
        'POST',
        '/auth/dev',
        { ...proxied, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
        new URLSearchParams({ person: 'sara', csrf }).toString(),
      );
      expect(foreign.status).toBe(403);
    } finally {
      await s.close();
    }
  });

  it('rejects unknown roles in the directory, naming the person', () => {
    expect(() =>
      parseConfig({ ...base, directory: [{ ...people[0]!, roles: ['superuser'] }] }, process.cwd()),
    ).toThrow(/directory\[0\]\.roles: unknown role "superuser"/);
  });
});
