import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-fixture.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...server.bearer, ...headers },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

describe('privacy routes', () => {
  it('exports what is held, erases it with a receipt, then exports nothing', async () => {
    const email = 'marisol.route-4410@example.es';
    const captured = await post('/v1/feedback', {
      source: { tool: 'api', responseId: 'privacy-1' },
      customer: { email, name: 'Marisol Ruta', segment: 'spain' },
      nps: 1,
      comment: 'Nadie contesta al teléfono 4410',
    });
    expect(captured.status).toBe(201);

    const before = await post('/v1/privacy/export', { email });
    expect(before.status).toBe(200);
    expect(before.headers.get('cache-control')).toBe('no-store');
    expect(before.body.records.feedback[0].comment).toBe('Nadie contesta al teléfono 4410');

    const erased = await post('/v1/privacy/erase', { email });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ erased: true, receipt: { actor: 'service:tests', by: 'email' } });
    expect(JSON.stringify(erased.body)).not.toContain('marisol');

    const after = await post('/v1/privacy/export', { email });
    expect(after.body.records).toEqual({ feedback: [], cases: [], loops: [], deliveries: [] });
    const again = await post('/v1/privacy/erase', { email });
    expect(again.body.erased).toBe(false);
  });

  it('names the field when the person is missing or malformed, and needs an actor to erase', async () => {
    const bad = await post('/v1/privacy/erase', { email: 'not-an-email' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('email');
    const both = await post('/v1/privacy/export', { email: 'a@example.com', customerId: 'x' });
    expect(both.status).toBe(400);
    const anonymous = await post('/v1/privacy/erase', { email: 'a@example.com' }, { authorization: '' });
    expect(anonymous.status).toBe(401);
  });
});
