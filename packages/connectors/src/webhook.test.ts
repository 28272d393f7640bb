import { DeliveryError } from '@closedloop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordedRequest, type TestHttp, testHttp } from './__tests__/http.ts';
import { connectorTestKit, sampleEffect } from './testing/index.ts';
import { generateWebhookSecret, signWebhook, verifyWebhook, webhookConnector, webhookId } from './webhook.ts';

const ctx = (attempt = 1) => ({ attempt, signal: new AbortController().signal });
const SECRET = generateWebhookSecret();

let receiver: TestHttp;
const accepted = new Map<string, number>();

beforeAll(async () => {
  // A receiver that verifies the signature and keeps each webhook-id once, as the spec advises.
  receiver = await testHttp((req: RecordedRequest) => {
    const v = verifyWebhook({ secret: SECRET, headers: req.headers, body: req.body });
    if (!v.ok) return { status: 401, body: v.reason };
    accepted.set(v.id, 1);
    return { status: 204 };
  });
});
afterAll(() => receiver.close());

describe('webhook connector', () => {
  it('posts the effect in a signed Standard Webhooks envelope', async () => {
    const c = webhookConnector({ url: `${receiver.url}/hooks/closedloop`, secret: SECRET });
    const e = sampleEffect('syncCase');
    await c.deliver(e, ctx());
    const req = receiver.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/closedloop');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['webhook-id']).toBe(webhookId(e.key));
    expect(req.headers['idempotency-key']).toBe(e.key);
    expect(req.json).toMatchObject({
      type: 'closedloop.syncCase',
      data: { key: e.key, case: { id: 'CS-1042' } },
    });
    expect(verifyWebhook({ secret: SECRET, headers: req.headers, body: req.body })).toMatchObject({
      ok: true,
    });
  });

  it('verifies signatures the way the spec computes them, and refuses tampering and replays', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const ts = 1614265330;
    // The example from the Standard Webhooks specification.
    expect(signWebhook(secret, id, ts, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': `v1a,x v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=`,
    };
    expect(verifyWebhook({ secret, headers, body, now: ts * 1000 })).toEqual({ ok: true, id, timestamp: ts });
    expect(verifyWebhook({ secret, headers, body: `${body} `, now: ts * 1000 })).toMatchObject({ ok: false });
    expect(verifyWebhook({ secret, headers, body, now: (ts + 301) * 1000 })).toEqual({
      ok: false,
      reason: 'webhook-timestamp 1614265330 is more than 300s from now (1614265631)',
    });
  });

  it('sends an effect once per process however often it is handed over', async () => {
    const c = webhookConnector({ url: `${receiver.url}/once`, secret: SECRET });
    const e = sampleEffect('informCustomer');
    await Promise.all([c.deliver(e, ctx(1)), c.deliver(e, ctx(1))]);
    await c.deliver(e, ctx(2));
    expect(receiver.requests.filter((r) => r.path === '/once')).toHaveLength(1);
  });

  it('sends alerts only for its channels', async () => {
    const c = webhookConnector({ url: receiver.url, secret: SECRET });
    const before = receiver.requests.length;
    await c.deliver(sampleEffect('alert'), ctx()); // channel email
    expect(receiver.requests.length).toBe(before);
  });

  it('retries 5xx and 429 (with Retry-After), gives up on other 4xx', async () => {
    const c = webhookConnector({ url: receiver.url, secret: SECRET });
    receiver.replyNext({ status: 503 });
    const e1 = await c.deliver(sampleEffect('notify'), ctx()).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(DeliveryError);
    expect((e1 as DeliveryError).retryable).toBe(true);
    receiver.replyNext({ status: 429, headers: { 'retry-after': '7' } });
    const e2 = (await c.deliver(sampleEffect('notify'), ctx(2)).catch((e: unknown) => e)) as DeliveryError;
    expect([e2.retryable, e2.retryAfterMs]).toEqual([true, 7000]);
    receiver.replyNext({ status: 410, body: 'gone' });
    const e3 = (await c.deliver(sampleEffect('notify'), ctx(3)).catch((e: unknown) => e)) as DeliveryError;
    expect(e3.retryable).toBe(false);
    expect(e3.message).toBe('webhook: webhook endpoint answered HTTP 410: gone');
  });

  it('treats an unreachable endpoint as retryable', async () => {
    const c = webhookConnector({ url: 'http://127.0.0.1:9/x', secret: SECRET });
    const err = (await c.deliver(sampleEffect('notify'), ctx()).catch((e: unknown) => e)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.retryable).toBe(true);
  });

  describe('contract test kit', () => {
    for (const check of connectorTestKit({
      create: () => webhookConnector({ url: receiver.url, secret: SECRET }),
      received: (e) => accepted.get(webhookId(e.key)) ?? 0,
      failNext: (f) =>
        receiver.replyNext(
          f === 'transient'
            ? { status: 502 }
            : f === 'permanent'
              ? { status: 400, body: 'bad' }
              : { status: 429, headers: { 'retry-after': '2' } },
        ),
      retryAfterMs: 2000,
    })) {
      it(check.name, check.run);
    }
  });
});
