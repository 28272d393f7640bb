import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, startTestServer, type TestServer, testConfig } from './test-fixture.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const sessions = new Map<string, Promise<Record<string, string>>>();
/** Captures use the admin token; everything else acts as the signed-in `actor`. */
async function call(method: string, path: string, body?: unknown, actor = 'sara') {
  let who: Record<string, string>;
  if (path === '/v1/feedback') who = server.bearer;
  else {
    let s = sessions.get(actor);
    if (!s) {
      s = server.signIn(actor);
      sessions.set(actor, s);
    }
    who = await s;
  }
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...who },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, text, headers: res.headers };
}

let seq = 0;
async function newCase(over: { email?: string; name?: string; segment?: string; language?: string } = {}) {
  seq++;
  const r = await call('POST', '/v1/feedback', {
    source: { tool: 'api', responseId: `cr-${seq}` },
    customer: {
      email: over.email ?? `c${seq}@example.com`,
      segment: over.segment ?? 'spain',
      ...(over.name ? { name: over.name } : {}),
    },
    nps: 2,
    comment: 'Llegó tarde y roto',
    ...(over.language ? { language: over.language } : {}),
  });
  expect(r.status).toBe(201);
  return r.body.case as { id: string; owner: string; segment: string };
}

describe('GET /v1/cases (console filters)', () => {
  it('a segment matches its whole subtree, counts come with the page, q finds names and id prefixes', async () => {
    const spain = await newCase({ segment: 'spain', name: 'Zoë Quintana' });
    const italy = await newCase({ segment: 'italy' });
    const europe = await call('GET', '/v1/cases?segment=europe&limit=100', undefined, 'eva');
    const ids = europe.body.cases.map((c: { id: string }) => c.id);
    expect(ids).toEqual(expect.arrayContaining([spain.id, italy.id]));
    expect(europe.body.counts.new).toBe(europe.body.total);
    const onlySpain = await call('GET', '/v1/cases?segment=spain&limit=100');
    expect(onlySpain.body.cases.map((c: { id: string }) => c.id)).not.toContain(italy.id);
    expect((await call('GET', '/v1/cases?q=quintana')).body.cases.map((c: { id: string }) => c.id)).toEqual([
      spain.id,
    ]);
    const prefix = spain.id.slice(0, spain.id.length - 2).toLowerCase();
    expect(
      (await call('GET', `/v1/cases?q=${prefix}`)).body.cases.map((c: { id: string }) => c.id),
    ).toContain(spain.id);
  });

  it("mine=1 lists the caller's cases; sort and dir order by any column; a bad sort names the field", async () => {
    const c = await newCase();
    const mine = await call('GET', `/v1/cases?mine=1&limit=100`, undefined, c.owner);
    expect(mine.body.cases.every((x: { owner: string }) => x.owner === c.owner)).toBe(true);
    expect(mine.body.cases.map((x: { id: string }) => x.id)).toContain(c.id);
    const asc = await call('GET', '/v1/cases?sort=customerEmail&dir=asc&limit=100');
    const emails = asc.body.cases.map((x: { customerEmail: string }) => x.customerEmail);
    expect(emails).toEqual([...emails].sort());
    const bad = await call('GET', '/v1/cases?sort=shoeSize');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('sort');
  });

  it('sla=dueSoon and sla=breached filter; from/to take days', async () => {
    await newCase();
    const soon = await call('GET', '/v1/cases?sla=dueSoon&limit=100');
    expect(soon.status).toBe(200);
    const breached = await call('GET', '/v1/cases?sla=breached');
    expect(breached.body.total).toBe(0); // nothing is late yet
    const today = new Date().toISOString().slice(0, 10);
    const all = await call('GET', '/v1/cases?limit=0');
    expect((await call('GET', `/v1/cases?from=${today}&to=${today}&limit=0`)).body.total).toBe(
      all.body.total,
    );
    expect((await call('GET', `/v1/cases?to=2000-01-01&limit=0`)).body.total).toBe(0);
    expect((await call('GET', '/v1/cases?sla=late')).status).toBe(400);
  });

  it('the CSV export starts with a byte order mark and keeps accents', async () => {
    await newCase({ name: 'José Núñez' });
    const res = await server.api('/v1/cases.csv?q=n%C3%BA%C3%B1ez');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toContain('Llegó tarde');
  });
});

describe('GET /v1/cases/:id/actions', () => {
  it('offers only the moves the loop allows now, with segment names', async () => {
    const c = await newCase({ segment: 'spain' });
    const a = await call('GET', `/v1/cases/${c.id}/actions`);
    expect(a.status).toBe(200);
    expect(a.body.statuses).toEqual(['open', 'escalated', 'resolved']);
    expect(a.body.statuses).not.toContain('new');
    expect(a.body.segments).toEqual([{ id: 'italy', name: 'Italy' }]);
    expect(a.body.escalationSegments).toEqual([{ id: 'europe', name: 'Europe' }]);
    expect(a.body.canResolve).toBe(true);
    expect(a.body.canInform).toBe(false);
    await call('POST', `/v1/cases/${c.id}/resolve`, { rootCause: 'carrier' });
    const after = (await call('GET', `/v1/cases/${c.id}/actions`)).body;
    expect(after.statuses).toEqual(['open']);
    expect(after.canResolve).toBe(false);
    expect(after.canInform).toBe(true);
    expect((await call('GET', '/v1/cases/CS-NOPE/actions')).status).toBe(404);
  });

  it('a refused move explains itself in words and lists the allowed segments, not event names', async () => {
    const c = await newCase({ segment: 'spain' });
    const r = await call('PATCH', `/v1/cases/${c.id}`, { segment: 'europe' });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/refused the update: .*Allowed: italy/);
    await call('POST', `/v1/cases/${c.id}/resolve`, { rootCause: 'carrier' });
    await call('POST', `/v1/cases/${c.id}/inform`, { message: 'Sorry' });
    const late = await call('POST', `/v1/cases/${c.id}/resolve`, { rootCause: 'again' });
    expect(late.status).toBe(409);
    expect(late.body.error.message).not.toMatch(/RESOLVE|UPDATE|COMMENT|TIMER_FIRED|FEEDBACK_UPDATED/);
    expect(late.body.error.message).toMatch(/resolving the case is not possible while the case is/);
  });
});

describe('inform: templates, preview and send', () => {
  it('lists the templates with their languages', async () => {
    const t = await call('GET', '/v1/templates');
    expect(t.body).toEqual(
      expect.arrayContaining([{ id: 'caseResolved', languages: ['en', 'es', 'it', 'pl'] }]),
    );
  });

  it('previews the exact mail (message, gesture, language) without sending it', async () => {
    const c = await newCase({ name: 'Lucía', language: 'es' });
    await call('POST', `/v1/cases/${c.id}/resolve`, { rootCause: 'carrier' });
    const p = await call('POST', `/v1/cases/${c.id}/inform/preview`, {
      message: 'Le enviamos otro.',
      gesture: { description: 'un 10 % de descuento', code: 'PERDON10' },
    });
    expect(p.status).toBe(200);
    expect(p.body.to).toEqual([{ name: 'Lucía', address: expect.stringContaining('@example.com') }]);
    expect(p.body.language).toBe('es');
    expect(p.body.text).toContain('Le enviamos otro.');
    expect(p.body.text).toContain('PERDON10');
    expect(p.body.html).toContain('PERDON10');
    const en = await call('POST', `/v1/cases/${c.id}/inform/preview`, {
      language: 'en',
      template: 'thankYou',
    });
    expect(en.body.subject).toBe('Thank you for your feedback');
    const log = (await call('GET', `/v1/cases/${c.id}`)).body;
    expect(log.customerInformedAt).toBeUndefined();
    const bad = await call('POST', `/v1/cases/${c.id}/inform/preview`, { template: 'thank-you' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('template');
    expect(bad.body.error.message).toContain('thankYou');
  });

  it('inform takes the template and language the preview showed', async () => {
    const c = await newCase({ language: 'es' });
    await call('POST', `/v1/cases/${c.id}/resolve`, { rootCause: 'carrier' });
    const r = await call('POST', `/v1/cases/${c.id}/inform`, {
      message: 'Thanks',
      template: 'thankYou',
      language: 'en',
    });
    expect(r.status).toBe(200);
    const record = await server.runtime.loop.getLoop((r.body as { loopId: string }).loopId);
    expect(record).toBeDefined();
    const bad = await call('POST', `/v1/cases/${c.id}/inform`, { template: 'nope' });
    expect(bad.status).toBe(400);
  });
});

describe('the console app', () => {
  it('serves index.html at its client routes, files as they are, and keeps /v1 and /healthz', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
    const app = createTestApp({ loop: server.runtime.loop, consoleDir: dir }, testConfig());
    for (const path of ['/', '/cases', '/cases/CS-1', '/rules', '/rules/route/r1']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('<title>app</title>');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
    const js = await app.request('/assets/app-1.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await app.request('/assets/../../etc/passwd')).status).toBe(404);
    expect((await app.request('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await app.request('/assets/..%2f..%2f..%2fetc%2fpasswd')).status).toBe(404);
    expect((await app.request('/assets/index.html')).status).toBe(404);
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/v1/nothing')).status).toBe(404);
    expect((await app.request('/nothing-here')).status).toBe(404);
  });
});

describe('who asks', () => {
  it('the case routes answer only for cases the caller may see (the scope check identity passes in)', async () => {
    const c = await newCase();
    const { Hono } = await import('hono');
    const { registerCasesRoutes } = await import('./cases-routes.ts');
    const app = new Hono();
    app.onError((e, ctx) => ctx.json({ error: e.message }, 403));
    registerCasesRoutes(app, {
      loop: server.runtime.loop,
      org: { segments: [], directory: [] },
      caseInScope: async () => {
        throw new Error('outside your segments');
      },
    });
    for (const [method, path] of [
      ['GET', `/v1/cases/${c.id}/actions`],
      ['GET', `/v1/cases/${c.id}/feedback`],
      ['POST', `/v1/cases/${c.id}/inform/preview`],
    ] as const) {
      const res = await app.request(path, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      expect(res.status, path).toBe(403);
      expect(await res.text()).not.toContain('@example.com');
    }
  });
});
