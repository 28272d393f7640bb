import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectorTestKit } from '@closedloop/connectors/testing';
import { createClosedLoop, memoryStore } from '@closedloop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentConnector } from './incident-connector.ts';

// A test double of the incident API on 127.0.0.1: it keeps one incident per case id, remembers
// idempotency keys, and can be told to fail the next request.
const incidents = new Map<string, { status: string; priority: string }>();
const seenKeys = new Map<string, number>();
let failNext: 'transient' | 'permanent' | 'rateLimited' | undefined;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    if (req.url === '/health') return res.end('ok');
    if (req.headers.authorization !== 'Bearer test-token') return res.writeHead(401).end();
    const failure = failNext;
    failNext = undefined;
    if (failure === 'transient') return res.writeHead(503).end();
    if (failure === 'permanent') return res.writeHead(422).end();
    if (failure === 'rateLimited') return res.writeHead(429, { 'retry-after': '2' }).end();
    const key = String(req.headers['idempotency-key']);
    if (!seenKeys.has(key)) incidents.set(decodeURIComponent(req.url!.split('/').pop()!), JSON.parse(body));
    seenKeys.set(key, (seenKeys.get(key) ?? 0) + 1);
    res.writeHead(200).end('{}');
  });
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the incident connector passes the connector contract', () => {
  for (const check of connectorTestKit({
    create: () => incidentConnector({ url, token: 'test-token' }),
    received: (effect) => (seenKeys.has(effect.key) ? 1 : 0),
    failNext: (f) => {
      failNext = f;
    },
    retryAfterMs: 2000,
  })) {
    it(check.name, check.run);
  }
});

it('mirrors a case into the incident API as the loop works it', async () => {
  const loop = createClosedLoop({
    store: memoryStore(),
    directory: [{ id: 'ana', name: 'Ana', email: 'ana@shop.example' }],
    segments: [{ id: 'spain', name: 'Spain', managers: ['ana'] }],
    connectors: [incidentConnector({ url, token: 'test-token' })],
  });
  const { case: c } = await loop.capture({
    source: { tool: 'example', responseId: 'inc-1' },
    customer: { email: 'marta@example.es', segment: 'spain' },
    nps: 1,
  });
  await loop.cases.update(c!.id, { status: 'open', priority: 'critical' }, { actor: 'ana' });
  await loop.idle();
  expect(incidents.get(c!.id)).toMatchObject({ status: 'open', priority: 'critical' });
  await loop.close();
});
