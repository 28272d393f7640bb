// Survey intake over HTTP: one bad field does not lose an answer; refusals name the field.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  delightedSignature,
  startTestServer,
  type TestServer,
  TYPEFORM_SECRET,
  typeformPayload,
  typeformSignature,
} from './test-fixture.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    inbound: {
      typeform: { secret: { env: 'TF_SECRET' } },
      delighted: { apiKey: { env: 'DL_KEY' } },
    },
  });
});
afterAll(async () => {
  await server?.close();
});

async function post(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
const getJson = async (path: string): Promise<any> => (await server.api(path)).json();

describe('an invalid email in a hidden field', () => {
  it('keeps the answer, drops the field, and records a warning visible in the API and in /metrics', async () => {
    const p = typeformPayload('tok-bad-email', 2, 'ana@');
    (p.form_response.hidden as Record<string, string>).customer_id = 'C-77';
    const body = JSON.stringify(p);
    const r = await post('/v1/inbound/typeform', body, { 'typeform-signature': typeformSignature(body) });
    expect(r.status).toBe(200);
    const [result] = r.body.results;
    expect(result.warnings).toEqual([
      { field: 'customer.email', message: expect.stringContaining('not a valid email') },
    ]);
    expect(result.duplicate).toBe(false);

    const fb = await getJson(`/v1/feedback/${result.feedbackId}`);
    expect(fb).toMatchObject({
      nps: 2,
      comment: 'Parcel left in the rain.',
      customer: { id: 'C-77', segment: 'spain' },
      warnings: [{ field: 'customer.email' }],
    });
    expect(fb.customer.email).toBeUndefined();
    // The warning never repeats the bad value.
    expect(JSON.stringify(fb.warnings)).not.toContain('ana@');

    const metrics = await server.api('/metrics').then((x) => x.text());
    expect(metrics).toContain(
      'closedloop_inbound_field_warnings_total{tool="typeform",field="customer.email"} 1',
    );
    expect(metrics).toMatch(/closedloop_inbound_requests_total\{tool="typeform",status="200"\} \d+/);
    expect(JSON.stringify(server.logs)).not.toContain('ana@');
  });

  it('keeps an answer whose only identity was the bad email, as anonymous feedback', async () => {
    const body = JSON.stringify(typeformPayload('tok-bad-only', 9, 'not-an-email'));
    const r = await post('/v1/inbound/typeform', body, { 'typeform-signature': typeformSignature(body) });
    expect(r.status).toBe(200);
    const fb = await getJson(`/v1/feedback/${r.body.results[0].feedbackId}`);
    expect(fb).toMatchObject({
      nps: 9,
      customer: { anonymous: true },
      warnings: [{ field: 'customer.email' }],
    });
  });
});

describe('inbound refusals', () => {
  it('a 422 names the field in issues, and nothing is stored', async () => {
    const body = JSON.stringify(typeformPayload('tok-nps-11', 11));
    const r = await post('/v1/inbound/typeform', body, { 'typeform-signature': typeformSignature(body) });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'INVALID_FEEDBACK', issues: [{ path: 'nps' }] });
    const cases = await getJson('/v1/cases?search=marta%40example.com');
    expect(cases.cases.some((c: { responseId?: string }) => c.responseId === 'tok-nps-11')).toBe(false);
  });

  it('GET /v1/feedback/:id answers 404 for an unknown id', async () => {
    const r = await server.api('/v1/feedback/nope');
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('FEEDBACK_NOT_FOUND');
  });
});

describe('HEAD on a webhook URL', () => {
  it('answers 200 for an enabled tool (SurveyMonkey checks this before saving a webhook) and 404 otherwise', async () => {
    expect((await fetch(`${server.url}/v1/inbound/typeform`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${server.url}/v1/inbound/nothing`, { method: 'HEAD' })).status).toBe(404);
  });
});

describe('signatures over the raw bytes', () => {
  it('accepts a body that is not valid UTF-8 when it is signed over the bytes received', async () => {
    const text = JSON.stringify(typeformPayload('tok-latin1', 8, 'jose@example.com', 'JosX'));
    // A Latin-1 "é" (0xE9) in place of the X: decoding and re-encoding would change it.
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf('JosX');
    expect(at).toBeGreaterThan(0);
    bytes[at + 3] = 0xe9;
    const sig = `sha256=${createHmac('sha256', TYPEFORM_SECRET).update(bytes).digest('base64')}`;
    const res = await fetch(`${server.url}/v1/inbound/typeform`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'typeform-signature': sig },
      body: bytes,
    });
    expect(res.status).toBe(200);
    // Signed over the decoded text instead, it is refused: the bytes are what counts.
    const wrong = `sha256=${createHmac('sha256', TYPEFORM_SECRET).update(new TextDecoder().decode(bytes)).digest('base64')}`;
    const res2 = await fetch(`${server.url}/v1/inbound/typeform`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'typeform-signature': wrong },
      body: bytes,
    });
    expect(res2.status).toBe(401);
  });
});

describe('a Delighted SMS respondent (a person id, no email)', () => {
  it('is identified by id: a detractor gets a case without an email, and informing them is refused with why', async () => {
    const { readFileSync } = await import('node:fs');
    const body = readFileSync(
      new URL('../../../connectors/src/inbound/fixtures/delighted-sms.json', import.meta.url),
      'utf8',
    );
    const r = await post('/v1/inbound/delighted', body, {
      'x-delighted-webhook-signature': delightedSignature(body),
    });
    expect(r.status).toBe(200);
    const fb = await getJson(`/v1/feedback/${r.body.results[0].feedbackId}`);
    expect(fb.customer).toMatchObject({ id: 'delighted:70707' });
    expect(fb.customer.anonymous).not.toBe(true);

    const list = await getJson('/v1/cases?search=&limit=200');
    const c = list.cases.find((x: { feedbackId: string }) => x.feedbackId === fb.id);
    expect(c, 'a case was opened for the SMS detractor').toBeDefined();
    expect(c).toMatchObject({
      customerId: 'delighted:70707',
      nps: 1,
      feedbackComment: 'Nobody called me back.',
    });
    expect(c.customerEmail).toBeUndefined();

    const detail = await getJson(`/v1/cases/${c.id}`);
    expect(detail.case ?? detail).toMatchObject({ customerId: 'delighted:70707' });
    const resolved = await server.api(`/v1/cases/${c.id}/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rootCause: 'no call-back' }),
    });
    expect(resolved.status, await resolved.clone().text()).toBe(200);
    const preview = await server.api(`/v1/cases/${c.id}/inform/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'We called you.' }),
    });
    expect(preview.status).toBe(409);
    expect(await preview.text()).toContain('no email address');
    const informed = await server.api(`/v1/cases/${c.id}/inform`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'We called you.' }),
    });
    expect(informed.status).toBe(409);
    expect(await informed.text()).toContain('no email address');
  });
});
