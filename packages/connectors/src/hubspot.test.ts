import { DeliveryError, EffectSchema } from '@closedloop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hungHttp, type RecordedRequest, type Reply, type TestHttp, testHttp } from './__tests__/http.ts';
import { hubspotConnector } from './hubspot.ts';
import { connectorTestKit, sampleCase, sampleEffect } from './testing/index.ts';

const ctx = (attempt = 1) => ({ attempt, signal: new AbortController().signal });
const TOKEN = 'pat-eu1-test';

// A HubSpot CRM stand-in: ticket upsert by a unique property, contact search, v4 default associations, notes.
const tickets = new Map<string, { properties: Record<string, string>; associations: string[] }>();
const notes: { properties: Record<string, string>; associations: unknown[] }[] = [];
let nextId = 1;
type Search = { filterGroups: { filters: { propertyName: string; operator: string; value: string }[] }[] };
function hubspot(req: RecordedRequest): Reply {
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    return {
      status: 401,
      body: {
        status: 'error',
        message: 'Authentication credentials not found.',
        category: 'INVALID_AUTHENTICATION',
      },
    };
  }
  const body = req.json as Record<string, unknown>;
  if (req.method === 'POST' && req.path === '/crm/v3/objects/tickets/search') {
    const f = (body as unknown as Search).filterGroups[0]!.filters[0]!;
    const results = [...tickets.entries()]
      .filter(([, t]) => t.properties[f.propertyName] === f.value)
      .map(([id, t]) => ({ id, properties: t.properties }));
    return { status: 200, body: { total: results.length, results } };
  }
  if (req.method === 'POST' && req.path === '/crm/v3/objects/contacts/search') {
    const f = (body as unknown as Search).filterGroups[0]!.filters[0]!;
    const results =
      f.propertyName === 'email' && f.value === 'marta.garcia@example.com'
        ? [{ id: '501', properties: { email: f.value } }]
        : [];
    return { status: 200, body: { total: results.length, results } };
  }
  if (req.method === 'POST' && req.path === '/crm/v3/objects/tickets/batch/upsert') {
    const inputs = (
      body as { inputs: { idProperty: string; id: string; properties: Record<string, string> }[] }
    ).inputs;
    const results = inputs.map((input) => {
      if (input.idProperty !== 'closedloop_case_id')
        throw new Error(`unexpected idProperty ${input.idProperty}`);
      const found = [...tickets.entries()].find(([, t]) => t.properties.closedloop_case_id === input.id);
      if (found) {
        Object.assign(found[1].properties, input.properties);
        return {
          id: found[0],
          new: false,
          properties: found[1].properties,
          createdAt: '2026-03-02T09:15:00Z',
          updatedAt: '2026-03-02T09:16:00Z',
          archived: false,
        };
      }
      const id = String(nextId++);
      tickets.set(id, {
        properties: { closedloop_case_id: input.id, ...input.properties },
        associations: [],
      });
      return {
        id,
        new: true,
        properties: input.properties,
        createdAt: '2026-03-02T09:15:00Z',
        updatedAt: '2026-03-02T09:15:00Z',
        archived: false,
      };
    });
    return {
      status: 200,
      body: {
        status: 'COMPLETE',
        results,
        startedAt: '2026-03-02T09:15:00Z',
        completedAt: '2026-03-02T09:15:01Z',
      },
    };
  }
  const assoc = /^\/crm\/v4\/objects\/tickets\/(\d+)\/associations\/default\/contacts\/(\d+)$/.exec(req.path);
  if (req.method === 'PUT' && assoc) {
    const t = tickets.get(assoc[1]!);
    if (!t) return { status: 404, body: { status: 'error', message: 'not found' } };
    if (!t.associations.includes(assoc[2]!)) t.associations.push(assoc[2]!);
    return {
      status: 200,
      body: {
        status: 'COMPLETE',
        results: [
          {
            from: { id: assoc[1] },
            to: { id: assoc[2] },
            associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 16 },
          },
        ],
        startedAt: '2026-03-02T09:15:00Z',
        completedAt: '2026-03-02T09:15:00Z',
      },
    };
  }
  if (req.method === 'POST' && req.path === '/crm/v3/objects/notes') {
    notes.push(body as never);
    return {
      status: 201,
      body: {
        id: `n${notes.length}`,
        properties: {},
        createdAt: '2026-03-02T09:15:00Z',
        updatedAt: '2026-03-02T09:15:00Z',
        archived: false,
      },
    };
  }
  return { status: 404, body: { status: 'error', message: `no route ${req.method} ${req.path}` } };
}

let api: TestHttp;
beforeAll(async () => {
  api = await testHttp(hubspot);
});
afterAll(() => api.close());

const connector = () =>
  hubspotConnector({
    accessToken: { env: 'HS_TOKEN' },
    basePath: api.url,
    noteOnContact: true,
    env: { HS_TOKEN: TOKEN },
  });
const ticketsFor = (caseId: string) =>
  [...tickets.values()].filter((t) => t.properties.closedloop_case_id === caseId);

describe('hubspot connector (@hubspot/api-client)', () => {
  it('upserts a ticket on the contact found by email, notes the feedback once, then updates the same ticket', async () => {
    const c = connector();
    const e = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'hs-1',
      case: sampleCase({ id: 'CS-HS1' }),
    });
    await c.deliver(e, ctx());
    const [t] = ticketsFor('CS-HS1');
    expect(t?.properties).toEqual({
      closedloop_case_id: 'CS-HS1',
      subject: '[Case CS-HS1] NPS 3 from Marta García',
      content: 'The courier left my parcel in the rain & nobody answered <my> calls.',
      hs_pipeline: '0',
      hs_pipeline_stage: '1',
      hs_ticket_priority: 'HIGH',
    });
    expect(t?.associations).toEqual(['501']);
    expect(notes.at(-1)).toMatchObject({
      properties: {
        hs_note_body:
          'Feedback (case CS-HS1, NPS 3): The courier left my parcel in the rain & nobody answered <my> calls.',
      },
      associations: [
        { to: { id: '501' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] },
      ],
    });
    await connector().deliver(
      EffectSchema.parse({
        ...e,
        key: 'hs-2',
        change: 'updated',
        case: sampleCase({ id: 'CS-HS1', status: 'resolved', priority: 'critical' }),
      }),
      ctx(),
    );
    expect(ticketsFor('CS-HS1')).toHaveLength(1);
    expect(notes.filter((n) => n.properties.hs_note_body?.includes('CS-HS1'))).toHaveLength(1);
    expect(ticketsFor('CS-HS1')[0]?.properties).toMatchObject({
      hs_pipeline_stage: '4',
      hs_ticket_priority: 'URGENT',
    });
  });

  it('retries 429 after Retry-After and 5xx; 401 is permanent', async () => {
    const c = connector();
    const e = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'hs-3',
      case: sampleCase({ id: 'CS-HS2' }),
    });
    api.replyNext({
      status: 429,
      headers: { 'retry-after': '10' },
      body: { status: 'error', message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' },
    });
    const rl = (await c.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError;
    expect([rl instanceof DeliveryError, rl.retryable, rl.retryAfterMs]).toEqual([true, true, 10_000]);
    api.replyNext({ status: 502, body: { status: 'error', message: 'bad gateway' } });
    expect(((await c.deliver(e, ctx(2)).catch((x: unknown) => x)) as DeliveryError).retryable).toBe(true);
    const bad = hubspotConnector({ accessToken: 'nope', basePath: api.url });
    const denied = (await bad.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError;
    expect(denied.retryable).toBe(false);
    expect((await bad.health?.())?.ok).toBe(false);
    expect((await connector().health?.())?.ok).toBe(true);
  });

  describe('contract test kit', () => {
    for (const check of connectorTestKit({
      create: connector,
      received: (e) => (e.type === 'syncCase' ? ticketsFor(e.case.id).length : 0),
      failNext: (f) =>
        api.replyNext(
          f === 'transient'
            ? { status: 503, body: { status: 'error', message: 'unavailable' } }
            : f === 'permanent'
              ? { status: 400, body: { status: 'error', message: 'Property values were not valid' } }
              : { status: 429, headers: { 'retry-after': '1' }, body: { status: 'error', message: 'limit' } },
        ),
      retryAfterMs: 1000,
    })) {
      it(check.name, check.run);
    }
  });
});

describe('a hung HubSpot', () => {
  it('an aborted delivery fails as retryable and drops the request it was waiting on', async () => {
    const hung = await hungHttp();
    try {
      const c = hubspotConnector({ accessToken: TOKEN, basePath: hung.url });
      const ac = new AbortController();
      const delivery = c.deliver(sampleEffect('syncCase'), { attempt: 1, signal: ac.signal });
      await hung.arrived;
      ac.abort();
      await expect(delivery).rejects.toMatchObject({ retryable: true, message: 'hubspot: delivery aborted' });
      await hung.dropped;
    } finally {
      await hung.close();
    }
  });

  it('a HubSpot that does not answer within timeoutMs is a retryable failure, and the request is dropped', async () => {
    const hung = await hungHttp();
    try {
      const c = hubspotConnector({ accessToken: TOKEN, basePath: hung.url, timeoutMs: 50 });
      await expect(c.deliver(sampleEffect('syncCase'), ctx())).rejects.toMatchObject({
        retryable: true,
        message: 'hubspot: no answer within 50 ms',
      });
      await hung.dropped;
    } finally {
      await hung.close();
    }
  });

  it('a bad config names the field', () => {
    expect(() => hubspotConnector({ accessToken: TOKEN, basePath: 'hubapi' })).toThrow(
      'hubspot: basePath: Invalid URL',
    );
  });
});
