import { DeliveryError, EffectSchema } from '@closedloop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hungHttp, type RecordedRequest, type Reply, type TestHttp, testHttp } from './__tests__/http.ts';
import { salesforceConnector } from './salesforce.ts';
import { connectorTestKit, sampleCase, sampleEffect } from './testing/index.ts';

const ctx = (attempt = 1) => ({ attempt, signal: new AbortController().signal });
const TOKEN = '00Dxx0000001gPL!AR8AQ';

// A Salesforce REST API stand-in: upsert by external id, limits, and its error shapes.
const cases = new Map<string, Record<string, unknown>>();
function salesforce(req: RecordedRequest): Reply {
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    return {
      status: 401,
      body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }],
    };
  }
  if (req.method === 'GET' && req.path === '/services/data/v62.0/limits') {
    return { status: 200, body: { DailyApiRequests: { Max: 15000, Remaining: 14998 } } };
  }
  const m = /^\/services\/data\/v62\.0\/sobjects\/Case\/ClosedLoop_Case_Id__c\/([^/]+)$/.exec(req.path);
  if (req.method === 'PATCH' && m) {
    const id = decodeURIComponent(m[1]!);
    const body = req.json as Record<string, unknown>;
    if ('ClosedLoop_Case_Id__c' in body) {
      return {
        status: 400,
        body: [{ message: 'External ID must not be in the body', errorCode: 'INVALID_FIELD' }],
      };
    }
    const existing = cases.get(id);
    cases.set(id, { ...existing, ...body });
    return existing
      ? { status: 200, body: { id: '500xx0000001', success: true, errors: [], created: false } }
      : { status: 201, body: { id: '500xx0000001', success: true, errors: [], created: true } };
  }
  return {
    status: 404,
    body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }],
  };
}

let api: TestHttp;
beforeAll(async () => {
  api = await testHttp(salesforce);
});
afterAll(() => api.close());

const connector = () =>
  salesforceConnector({
    instanceUrl: api.url,
    accessToken: { env: 'SF_TOKEN' },
    env: { SF_TOKEN: TOKEN },
    fields: { Origin: 'Survey' },
  });

describe('salesforce connector (jsforce)', () => {
  it('upserts the Case by its external id, creating then updating one record', async () => {
    const c = connector();
    const e = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'sf-1',
      case: sampleCase({ id: 'CS-SF1' }),
    });
    await c.deliver(e, ctx());
    expect(cases.get('CS-SF1')).toEqual({
      Subject: '[Case CS-SF1] NPS 3 from Marta García',
      Description: 'The courier left my parcel in the rain & nobody answered <my> calls.',
      Status: 'New',
      Priority: 'High',
      SuppliedEmail: 'marta.garcia@example.com',
      SuppliedName: 'Marta García',
      Origin: 'Survey',
    });
    await c.deliver(
      EffectSchema.parse({
        ...e,
        key: 'sf-2',
        change: 'updated',
        case: sampleCase({ id: 'CS-SF1', status: 'resolved' }),
      }),
      ctx(),
    );
    expect(cases.get('CS-SF1')?.Status).toBe('Closed');
    const upserts = api.requests.filter((r) => r.path.endsWith('/CS-SF1'));
    expect(upserts.map((r) => r.method)).toEqual(['PATCH', 'PATCH']);
  });

  it('retries rate limits and outages, not invalid sessions or fields', async () => {
    const c = connector();
    const e = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'sf-3',
      case: sampleCase({ id: 'CS-SF2' }),
    });
    api.replyNext({
      status: 403,
      body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
    });
    const limited = (await c.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError;
    expect([limited instanceof DeliveryError, limited.retryable]).toEqual([true, true]);
    api.replyNext({
      status: 503,
      body: [{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }],
    });
    expect(((await c.deliver(e, ctx(2)).catch((x: unknown) => x)) as DeliveryError).retryable).toBe(true);
    const bad = salesforceConnector({ instanceUrl: api.url, accessToken: 'expired' });
    const denied = (await bad.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError;
    expect([denied.retryable, denied.message]).toEqual([
      false,
      'salesforce: INVALID_SESSION_ID: Session expired or invalid',
    ]);
    expect((await connector().health?.())?.ok).toBe(true);
    expect((await bad.health?.())?.ok).toBe(false);
  });

  describe('contract test kit', () => {
    for (const check of connectorTestKit({
      create: connector,
      received: (e) => (e.type === 'syncCase' && cases.has(e.case.id) ? 1 : 0),
      failNext: (f) =>
        api.replyNext(
          f === 'permanent'
            ? { status: 400, body: [{ message: 'bad field', errorCode: 'INVALID_FIELD' }] }
            : { status: 503, body: [{ message: 'unavailable', errorCode: 'SERVER_UNAVAILABLE' }] },
        ),
    })) {
      it(check.name, check.run);
    }
  });
});

describe('a hung Salesforce', () => {
  // jsforce takes no abort signal: the delivery stops waiting; the upsert it sent may still land.
  it('an aborted delivery fails as retryable without waiting for the answer', async () => {
    const hung = await hungHttp();
    try {
      const c = salesforceConnector({ instanceUrl: hung.url, accessToken: TOKEN });
      const ac = new AbortController();
      const delivery = c.deliver(sampleEffect('syncCase'), { attempt: 1, signal: ac.signal });
      await hung.arrived;
      ac.abort();
      await expect(delivery).rejects.toMatchObject({
        retryable: true,
        message: 'salesforce: delivery aborted',
      });
    } finally {
      await hung.close();
    }
  });

  it('a bad config names the field', () => {
    expect(() =>
      salesforceConnector({
        instanceUrl: 'https://acme.my.salesforce.com',
        accessToken: TOKEN,
        apiVersion: 'v62',
      }),
    ).toThrow('salesforce: apiVersion: Invalid string');
  });
});
