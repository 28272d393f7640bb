import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  delightedSignature,
  startTestServer,
  type TestServer,
  typeformPayload,
  typeformSignature,
} from './test-fixture.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ http: { port: 0, bodyLimit: 64 * 1024 } });
});
afterAll(async () => {
  await server?.close();
});

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function call(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
) {
  const headers = init.headers ?? {};
  const signedIn = 'cookie' in headers || 'authorization' in headers || 'x-anonymous' in headers;
  const res = await fetch(`${server.url}${path}`, {
    method,
    ...init,
    headers: signedIn ? headers : { ...server.bearer, ...headers },
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

let seq = 0;
function detractor(email = 'ana@example.com', segment = 'spain') {
  seq++;
  return {
    source: { tool: 'api', responseId: `r-${seq}` },
    customer: { email, segment },
    nps: 2,
    comment: 'Late delivery',
  };
}

async function newCase(email?: string): Promise<string> {
  const r = await call('POST', '/v1/feedback', json(detractor(email)));
  expect(r.status).toBe(201);
  return r.body.case.id as string;
}

describe('POST /v1/feedback', () => {
  it('captures a detractor answer and answers 201 with its case', async () => {
    const input = detractor();
    const r = await call('POST', '/v1/feedback', json(input));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ duplicate: false, case: { status: 'new', segment: 'spain' } });
    const again = await call('POST', '/v1/feedback', json(input));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, loopId: r.body.loopId });
  });

  it('refuses invalid feedback with 400 naming the field', async () => {
    const r = await call('POST', '/v1/feedback', json({ ...detractor(), nps: 11 }));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_FEEDBACK');
    expect(r.body.error.issues.map((i: { path: string }) => i.path)).toContain('nps');
  });

  it('refuses a body that is not JSON with 400 and a wrong content type with 415', async () => {
    const bad = await call('POST', '/v1/feedback', {
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_JSON');
    const text = await call('POST', '/v1/feedback', {
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a body over the limit with 413, with or without a content length', async () => {
    const big = JSON.stringify({ ...detractor(), comment: 'x'.repeat(70 * 1024) });
    const r = await call('POST', '/v1/feedback', {
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    // The connection closes after the answer: a keep-alive client gets no reset on its next request.
    expect(r.headers.get('connection')).toBe('close');
    const chunks = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(10 * 1024)));
        c.close();
      },
    });
    const res = await fetch(`${server.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...server.bearer },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('cases', () => {
  it('lists cases with counts by status, filters and search', async () => {
    const id = await newCase('filter.me@example.com');
    const all = await call('GET', '/v1/cases');
    expect(all.status).toBe(200);
    expect(all.body.total).toBeGreaterThan(0);
    expect(all.body.countsByStatus).toHaveProperty('new');
    const found = await call('GET', '/v1/cases?search=filter.me%40example.com');
    expect(found.body.cases.map((c: { id: string }) => c.id)).toEqual([id]);
    const two = await call('GET', '/v1/cases?status=new&status=open&segment=spain&limit=1');
    expect(two.status).toBe(200);
    expect(two.body.cases).toHaveLength(1);
    const none = await call('GET', '/v1/cases?segment=italy');
    expect(none.body.total).toBe(0);
  });

  it('refuses a bad query with 400 naming the parameter', async () => {
    const r = await call('GET', '/v1/cases?status=lost');
    expect(r.status).toBe(400);
    expect(r.body.error.issues[0].path).toBe('status');
    const l = await call('GET', '/v1/cases?limit=ten');
    expect(l.status).toBe(400);
    expect(l.body.error.issues[0].path).toBe('limit');
  });

  it('answers 404 for an unknown case', async () => {
    const r = await call('GET', '/v1/cases/case_nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('CASE_NOT_FOUND');
  });

  it('updates, comments, reassigns, resolves and informs as the signed-in person', async () => {
    const id = await newCase();
    const sara = await server.signIn('sara');
    const pablo = await server.signIn('pablo');
    const open = await call('PATCH', `/v1/cases/${id}`, json({ status: 'open', priority: 'critical' }, sara));
    expect(open.status).toBe(200);
    expect(open.body).toMatchObject({ status: 'open', priority: 'critical' });
    const c = await call('POST', `/v1/cases/${id}/comment`, json({ body: 'Called the customer' }, sara));
    expect(c.status).toBe(200);
    expect(c.body.comments.at(-1)).toMatchObject({ author: 'sara', body: 'Called the customer' });
    const re = await call('POST', `/v1/cases/${id}/reassign`, json({ owner: 'pablo' }, sara));
    expect(re.body.owner).toBe('pablo');
    const res = await call('POST', `/v1/cases/${id}/resolve`, json({ rootCause: 'courier' }, pablo));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('resolved');
    const inf = await call('POST', `/v1/cases/${id}/inform`, json({ message: 'We changed courier.' }, pablo));
    expect(inf.status).toBe(200);
    const got = await call('GET', `/v1/cases/${id}`);
    expect(got.body.audit.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining(['created', 'status', 'priority', 'owner', 'resolved']),
    );
    const actors = got.body.audit.filter((a: { actor: string }) => a.actor !== 'system');
    expect(new Set(actors.map((a: { actor: string }) => a.actor))).toEqual(new Set(['sara', 'pablo']));
  });

  it('writes the token service actor for a program, and refuses an actor other than the caller', async () => {
    const id = await newCase();
    const ok = await call('POST', `/v1/cases/${id}/comment`, json({ body: 'From the CRM sync' }));
    expect(ok.status).toBe(200);
    expect(ok.body.comments.at(-1).author).toBe('service:tests');
    const sara = await server.signIn('sara');
    const r = await call('PATCH', `/v1/cases/${id}`, json({ status: 'open', actor: 'eva' }, sara));
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('ACTOR_MISMATCH');
    const h = await call(
      'PATCH',
      `/v1/cases/${id}`,
      json({ status: 'open' }, { ...sara, 'x-closedloop-actor': 'system' }),
    );
    expect(h.status).toBe(403);
    expect((await call('GET', `/v1/cases/${id}`)).body.status).toBe('new');
  });

  it('refuses unknown fields with 400 naming them', async () => {
    const id = await newCase();
    const r = await call('PATCH', `/v1/cases/${id}`, json({ state: 'open' }));
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('state');
  });

  it('answers 409 with the allowed moves when the loop refuses a move', async () => {
    const id = await newCase();
    const r = await call('PATCH', `/v1/cases/${id}`, json({ segment: 'europe' }));
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('MOVE_REFUSED');
    expect(r.body.error.details.allowed).toEqual(expect.any(Array));
  });

  it('exports cases as CSV and JSON', async () => {
    await newCase('export@example.com');
    const csv = await call('GET', '/v1/cases.csv?search=export%40example.com');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.body).toContain('export@example.com');
    const js = await call('GET', '/v1/cases.json?search=export%40example.com');
    expect(js.body).toHaveLength(1);
  });
});

describe('POST /v1/inbound/:tool', () => {
  it('accepts a signed Typeform webhook once the feedback is stored', async () => {
    const body = JSON.stringify(typeformPayload('tok-signed', 1));
    const r = await call('POST', '/v1/inbound/typeform', {
      headers: { 'content-type': 'application/json', 'typeform-signature': typeformSignature(body) },
      body,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ tool: 'typeform', received: 1, results: [{ duplicate: false }] });
    const loop = await server.runtime.loop.getLoop(r.body.results[0].loopId);
    expect(loop?.snapshot.context.feedback.nps).toBe(1);
    const c = await call('GET', `/v1/cases/${r.body.results[0].caseId}`);
    expect(c.body.customerEmail).toBe('marta@example.com');
  });

  it('refuses an unsigned or wrongly signed webhook with 401 and stores nothing', async () => {
    const before = (await call('GET', '/v1/cases')).body.total;
    const body = JSON.stringify(typeformPayload('tok-unsigned', 0, 'unsigned@example.com'));
    const none = await call('POST', '/v1/inbound/typeform', {
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('INVALID_SIGNATURE');
    const wrong = await call('POST', '/v1/inbound/typeform', {
      headers: { 'content-type': 'application/json', 'typeform-signature': typeformSignature(body, 'other') },
      body,
    });
    expect(wrong.status).toBe(401);
    expect((await call('GET', '/v1/cases')).body.total).toBe(before);
    expect((await call('GET', '/v1/cases?search=unsigned%40example.com')).body.total).toBe(0);
  });

  it('accepts a signed Delighted webhook and updates the same response later', async () => {
    const event = (type: string, comment: string | null) =>
      JSON.stringify({
        event_type: type,
        event_id: `evt-${type}`,
        event_data: {
          id: 'dl-1',
          person: { id: 'p1', email: 'jan@example.com', name: 'Jan' },
          survey_type: 'nps',
          score: 2,
          comment,
          person_properties: { segment: 'italy' },
          additional_answers: [],
        },
      });
    const b1 = event('survey_response.created', null);
    const r1 = await call('POST', '/v1/inbound/delighted', {
      headers: {
        'content-type': 'application/json',
        'x-delighted-webhook-signature': delightedSignature(b1),
      },
      body: b1,
    });
    expect(r1.status).toBe(200);
    const b2 = event('survey_response.updated', 'Broken on arrival');
    const r2 = await call('POST', '/v1/inbound/delighted', {
      headers: {
        'content-type': 'application/json',
        'x-delighted-webhook-signature': delightedSignature(b2),
      },
      body: b2,
    });
    expect(r2.body.results[0]).toMatchObject({
      loopId: r1.body.results[0].loopId,
      duplicate: true,
      updated: true,
    });
  });

  it('answers 404 for a tool that is not enabled', async () => {
    const r = await call('POST', '/v1/inbound/qualtrics', json({}));
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('UNKNOWN_TOOL');
  });
});

describe('server', () => {
  it('answers /healthz and JSON 404s for unknown paths', async () => {
    expect((await call('GET', '/healthz')).body).toEqual({
      status: 'ok',
      store: expect.any(String),
      replica: { id: expect.any(String), shared: false, leases: { deliveries: 0, timers: 0 } },
    });
    const r = await call('GET', '/v2/nothing');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });

  it('logs requests without customer data', () => {
    const text = JSON.stringify(server.logs);
    expect(text).not.toContain('@example.com');
    expect(text).not.toContain('Late delivery');
    expect(server.logs.some((l) => l.message === 'request')).toBe(true);
  });
});
