import { DeliveryError, EffectSchema } from '@closedloop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordedRequest, type Reply, type TestHttp, testHttp } from './__tests__/http.ts';
import { connectorTestKit, sampleCase, sampleEffect } from './testing/index.ts';
import { zendeskConnector } from './zendesk.ts';

const ctx = (attempt = 1) => ({ attempt, signal: new AbortController().signal });
const AUTH = `Basic ${Buffer.from('agent@shop.example/token:zd-token').toString('base64')}`;

// A small Zendesk Support API: tickets by external_id, create (honouring Idempotency-Key), update.
const tickets = new Map<number, Record<string, unknown>>();
const comments: { ticket: number; body: string }[] = [];
const idempotency = new Map<string, number>();
let nextId = 100;
function zendesk(req: RecordedRequest): Reply {
  if (req.headers.authorization !== AUTH)
    return { status: 401, body: { error: "Couldn't authenticate you" } };
  const url = new URL(req.path, 'http://x');
  if (req.method === 'GET' && url.pathname === '/api/v2/users/me.json') {
    return { status: 200, body: { user: { id: 1, email: 'agent@shop.example', role: 'agent' } } };
  }
  if (req.method === 'GET' && url.pathname === '/api/v2/tickets.json') {
    const ext = url.searchParams.get('external_id');
    return {
      status: 200,
      body: { tickets: [...tickets.values()].filter((t) => t.external_id === ext), count: 0 },
    };
  }
  if (req.method === 'POST' && url.pathname === '/api/v2/tickets.json') {
    const key = String(req.headers['idempotency-key'] ?? '');
    const t = (req.json as { ticket?: Record<string, unknown> }).ticket;
    if (!t?.comment || !t.subject) return { status: 422, body: { error: 'RecordInvalid' } };
    if (key && idempotency.has(key))
      return { status: 201, body: { ticket: tickets.get(idempotency.get(key)!) } };
    const id = nextId++;
    tickets.set(id, { ...t, id });
    if (key) idempotency.set(key, id);
    comments.push({ ticket: id, body: String((t.comment as { body: string }).body) });
    return { status: 201, body: { ticket: { ...t, id } } };
  }
  const m = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(url.pathname);
  if (req.method === 'PUT' && m) {
    const id = Number(m[1]);
    const t = tickets.get(id);
    if (!t) return { status: 404, body: { error: 'RecordNotFound' } };
    const upd = (req.json as { ticket: Record<string, unknown> }).ticket;
    const { comment, ...rest } = upd;
    Object.assign(t, rest);
    if (comment) comments.push({ ticket: id, body: String((comment as { body: string }).body) });
    return { status: 200, body: { ticket: t } };
  }
  return { status: 404, body: { error: 'InvalidEndpoint' } };
}

let api: TestHttp;
beforeAll(async () => {
  api = await testHttp(zendesk);
});
afterAll(() => api.close());

const connector = () =>
  zendeskConnector({
    baseUrl: api.url,
    email: 'agent@shop.example',
    apiToken: { env: 'ZD_TOKEN' },
    capabilities: ['syncCase', 'notify'],
    env: { ZD_TOKEN: 'zd-token' },
  });

describe('zendesk connector', () => {
  it('creates a ticket for a new case, then updates the same ticket', async () => {
    const c = connector();
    const created = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'zd-1',
      case: sampleCase({ id: 'CS-ZD1' }),
    });
    await c.deliver(created, ctx());
    const t = [...tickets.values()].find((x) => x.external_id === 'CS-ZD1')!;
    expect(t).toMatchObject({
      subject: '[Case CS-ZD1] NPS 3 from Marta García',
      priority: 'high',
      status: 'new',
      tags: ['closedloop', 'segment_spain'],
      requester: { email: 'marta.garcia@example.com', name: 'Marta García' },
    });
    const updated = EffectSchema.parse({
      ...created,
      key: 'zd-2',
      change: 'updated',
      case: sampleCase({ id: 'CS-ZD1', status: 'resolved', priority: 'critical' }),
    });
    await c.deliver(updated, ctx());
    expect([...tickets.values()].filter((x) => x.external_id === 'CS-ZD1')).toHaveLength(1);
    expect(t).toMatchObject({ status: 'solved', priority: 'urgent' });
  });

  it('does not open a second ticket when a new process replays the creation', async () => {
    const e = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'zd-3',
      case: sampleCase({ id: 'CS-ZD2' }),
    });
    await connector().deliver(e, ctx());
    await connector().deliver(e, ctx(2));
    expect([...tickets.values()].filter((x) => x.external_id === 'CS-ZD2')).toHaveLength(1);
  });

  it('adds case comments as internal notes', async () => {
    const c = connector();
    await c.deliver(
      EffectSchema.parse({ ...sampleEffect('syncCase'), key: 'zd-4', case: sampleCase({ id: 'CS-ZD3' }) }),
      ctx(),
    );
    const id = Number([...tickets.values()].find((x) => x.external_id === 'CS-ZD3')!.id);
    const n = EffectSchema.parse({
      ...sampleEffect('notify'),
      key: 'zd-5',
      reason: 'caseUpdated',
      case: sampleCase({ id: 'CS-ZD3' }),
      changes: [{ field: 'status', before: 'new', after: 'open' }],
      comment: 'Called the customer.',
      actor: 'ana.lopez',
    });
    await c.deliver(n, ctx());
    expect(comments.filter((x) => x.ticket === id).map((x) => x.body)).toEqual([
      'The courier left my parcel in the rain & nobody answered <my> calls.',
      'ana.lopez:\nstatus: new → open\nCalled the customer.',
    ]);
  });

  it('retries 429 after Retry-After and 5xx; refuses bad credentials for good', async () => {
    const c = connector();
    const e = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'zd-6',
      case: sampleCase({ id: 'CS-ZD4' }),
    });
    api.replyNext({ status: 429, headers: { 'retry-after': '12' }, body: { error: 'TooManyRequests' } });
    const rl = (await c.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError;
    expect([rl instanceof DeliveryError, rl.retryable, rl.retryAfterMs]).toEqual([true, true, 12_000]);
    api.replyNext({ status: 503, body: 'maintenance' });
    expect(((await c.deliver(e, ctx(2)).catch((x: unknown) => x)) as DeliveryError).retryable).toBe(true);
    const bad = zendeskConnector({ baseUrl: api.url, email: 'agent@shop.example', apiToken: 'wrong' });
    const denied = (await bad.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError;
    expect(denied.retryable).toBe(false);
    expect(await connector().health?.()).toEqual({
      ok: true,
      detail: 'signed in as agent@shop.example (agent)',
    });
    expect((await bad.health?.())?.ok).toBe(false);
  });

  describe('contract test kit', () => {
    for (const check of connectorTestKit({
      create: connector,
      // The error checks deliver the first effect: a case sync (notify only adds notes to a ticket).
      effects: [sampleEffect('syncCase'), sampleEffect('notify')],
      received: (e) =>
        e.type === 'syncCase' ? [...tickets.values()].filter((t) => t.external_id === e.case.id).length : 0,
      failNext: (f) =>
        api.replyNext(
          f === 'transient'
            ? { status: 500 }
            : f === 'permanent'
              ? { status: 403, body: { error: 'Forbidden' } }
              : { status: 429, headers: { 'retry-after': '60' } },
        ),
      retryAfterMs: 60_000,
    })) {
      it(check.name, check.run);
    }
  });
});
