// The tool's API on a follow-up read, through serve: its own 4xx is a permanent 422, a 5xx a 502
// with Retry-After; neither stores anything.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { idsFor } from '@closedloop/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from './server.ts';
import { testConfig } from './test-fixture.ts';

let api: Server;
let server: RunningServer;
beforeAll(async () => {
  api = createServer((req, res) => {
    if (req.url?.endsWith('/R_busy000000001'))
      return void res.writeHead(503, { 'retry-after': '30' }).end('maintenance');
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"meta":{"httpStatus":"404 - Not Found"}}');
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const a = api.address();
  const baseUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  server = await startServer(
    testConfig({
      inbound: { qualtrics: { sharedKey: { env: 'QX_KEY' }, apiToken: { env: 'QX_API' }, baseUrl } },
    }),
    { logger: () => {}, env: { QX_KEY: 'k', QX_API: 'api' } },
  );
});
afterAll(async () => {
  await server?.close();
  await new Promise((r) => api?.close(r));
});

async function deliver(responseId: string) {
  const msg = JSON.stringify({ Status: 'Complete', SurveyID: 'SV_abc123', ResponseID: responseId });
  const body = new URLSearchParams({
    Topic: 'b.surveyengine.completedResponse.SV_abc123',
    MSG: msg,
    HMAC: createHmac('sha512', 'k').update(msg).digest('hex'),
  }).toString();
  const res = await fetch(`${server.url}/v1/inbound/qualtrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as { error: { code: string } },
  };
}

it('answers 502 UPSTREAM_FAILED with Retry-After when the tool API is down, and 422 when it refuses', async () => {
  const busy = await deliver('R_busy000000001');
  expect(busy).toMatchObject({ status: 502, retryAfter: '30', body: { error: { code: 'UPSTREAM_FAILED' } } });
  const gone = await deliver('R_gone000000001');
  expect(gone).toMatchObject({
    status: 422,
    retryAfter: null,
    body: { error: { code: 'INVALID_FEEDBACK' } },
  });
  for (const responseId of ['R_busy000000001', 'R_gone000000001'])
    expect(
      await server.runtime.loop.store.getLoop(idsFor({ tool: 'qualtrics', responseId }).loopId),
    ).toBeUndefined();
});
