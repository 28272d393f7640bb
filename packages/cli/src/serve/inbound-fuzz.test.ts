// Fuzz: 3,000 signed (mostly), mutated webhook deliveries of all five survey tools, posted to a real
// listening server whose follow-up API calls go to a local fake of the tools' APIs. No answer is a
// 5xx; every 4xx names its error; a refused delivery leaves no row; the accepted ones are stored.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { signWebhook } from '@closedloop/connectors';
import { idsFor } from '@closedloop/core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer } from './server.ts';
import { type TestServer, testConfig, typeformPayload } from './test-fixture.ts';

const TOTAL = 3_000;
const CONCURRENCY = 8;
const SECRETS = {
  TF_SECRET: 'tf-fuzz',
  DL_KEY: 'dl-fuzz',
  FB_SECRET: `whsec_${Buffer.alloc(24, 3).toString('base64')}`,
  QX_KEY: 'qx-shared',
  QX_API: 'qx-api',
  SM_KEY: 'sm-key',
  SM_SECRET: 'sm-secret',
  SM_TOKEN: 'sm-token',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// The tools' APIs: answers for any id, except ids ending in 7 (the tool answers 404: a 422 for us).
let api: Server;
let apiUrl = '';
function apiAnswer(path: string): { status: number; body: unknown } {
  let m = /^\/API\/v3\/surveys\/([^/]+)\/responses\/([^/]+)$/.exec(path);
  if (m) {
    if (m[2]!.endsWith('7')) return { status: 404, body: { meta: { httpStatus: '404 - Not Found' } } };
    const n = m[2]!.length % 11;
    return {
      status: 200,
      body: {
        result: {
          responseId: m[2],
          values: {
            endDate: '2026-03-02T12:03:00Z',
            recipientEmail: `${m[2]!.toLowerCase()}@example.com`,
            QID1: n,
            QID2_TEXT: 'Slow refund',
          },
        },
      },
    };
  }
  m = /^\/v3\/surveys\/(\d+)\/details$/.exec(path);
  if (m)
    return {
      status: 200,
      body: {
        id: m[1],
        pages: [
          {
            id: 'p1',
            questions: [
              {
                id: 'q1',
                family: 'matrix',
                subtype: 'rating',
                headings: [{ heading: 'How likely are you to recommend us?' }],
                answers: {
                  choices: Array.from({ length: 11 }, (_, i) => ({ id: `c${i}`, text: String(i) })),
                },
              },
              { id: 'q2', family: 'open_ended', subtype: 'essay', headings: [{ heading: 'Why?' }] },
            ],
          },
        ],
      },
    };
  m = /^\/v3\/surveys\/(\d+)\/responses\/(\d+)\/details$/.exec(path);
  if (m) {
    if (m[2]!.endsWith('7')) return { status: 404, body: { error: { message: 'Resource not found' } } };
    return {
      status: 200,
      body: {
        id: m[2],
        date_modified: '2026-03-02T10:00:00+00:00',
        custom_variables: { segment: 'italy' },
        metadata: { contact: { email: { value: `sm${m[2]}@example.com` } } },
        pages: [
          {
            id: 'p1',
            questions: [
              { id: 'q1', answers: [{ choice_id: `c${Number(m[2]) % 11}` }] },
              { id: 'q2', answers: [{ text: 'Troppa attesa' }] },
            ],
          },
        ],
      },
    };
  }
  return { status: 404, body: {} };
}

let server: Awaited<ReturnType<typeof startServer>> & { logs: TestServer['logs'] };
let capturedEvents = 0;
beforeAll(async () => {
  api = createServer((req, res) => {
    const a = apiAnswer(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const address = api.address();
  apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const logs: TestServer['logs'] = [];
  const running = await startServer(
    testConfig({
      http: { port: 0, bodyLimit: 16 * 1024 },
      inbound: {
        typeform: { secret: { env: 'TF_SECRET' } },
        delighted: { apiKey: { env: 'DL_KEY' } },
        formbricks: { secret: { env: 'FB_SECRET' } },
        qualtrics: { sharedKey: { env: 'QX_KEY' }, apiToken: { env: 'QX_API' }, baseUrl: apiUrl },
        surveymonkey: {
          apiKey: { env: 'SM_KEY' },
          apiSecret: { env: 'SM_SECRET' },
          accessToken: { env: 'SM_TOKEN' },
          baseUrl: apiUrl,
        },
      },
    }),
    {
      logger: (level, message, fields) => logs.push({ level, message, ...(fields ? { fields } : {}) }),
      env: SECRETS,
    },
  );
  server = Object.assign(running, { logs });
  server.runtime.loop.on('feedback.captured', () => {
    capturedEvents++;
  });
});
afterAll(async () => {
  await server?.close();
  await new Promise((r) => api?.close(r));
});

const Mutation = fc.record({
  kind: fc.constantFrom(
    'none',
    'none',
    'none',
    'set',
    'set',
    'delete',
    'replaceAll',
    'truncate',
    'junk',
    'proto',
  ),
  pick: fc.nat(),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  junk: fc.string({ maxLength: 12, unit: 'binary' }),
  signing: fc.constantFrom('good', 'good', 'good', 'good', 'good', 'good', 'none', 'wrong'),
});
type Mutation = typeof Mutation extends fc.Arbitrary<infer T> ? T : never;

const Answer = fc.record({
  score: fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: 0, max: 10 }) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 99 }) },
  ),
  email: fc.oneof(
    { weight: 6, arbitrary: fc.stringMatching(/^[a-z][a-z0-9.]{0,10}$/).map((l) => `${l}@example.com`) },
    { weight: 1, arbitrary: fc.constantFrom('ana@', 'not-an-email', '', '@example.com') },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  ),
  comment: fc.string({ maxLength: 80 }),
});

function pathsOf(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (v !== null && typeof v === 'object')
    for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
      out.push([...prefix, k]);
      pathsOf(child as Json, [...prefix, k], out);
    }
  return out;
}

function mutate(payload: Json, m: Mutation): string {
  const value = structuredClone(payload);
  const paths = pathsOf(value);
  const path = paths.length > 0 ? paths[m.pick % paths.length]! : undefined;
  const at = (v: Json | undefined) => {
    if (!path) return;
    let node = value as Record<string | number, Json>;
    for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
    const last = path.at(-1)!;
    if (v === undefined) {
      if (Array.isArray(node)) node.splice(Number(last), 1);
      else delete node[last];
    } else node[last] = v;
  };
  const text = JSON.stringify(value);
  switch (m.kind) {
    case 'set':
      at(m.value);
      return JSON.stringify(value);
    case 'delete':
      at(undefined);
      return JSON.stringify(value);
    case 'replaceAll':
      return JSON.stringify(m.value);
    case 'truncate':
      return text.slice(0, m.pick % Math.max(1, text.length));
    case 'junk': {
      const i = m.pick % (text.length + 1);
      return text.slice(0, i) + m.junk + text.slice(i);
    }
    case 'proto':
      return text.replace(/^\{/, '{"__proto__":{"polluted":true},');
    default:
      return text;
  }
}

const hmacOf = (alg: string, key: string, body: string, enc: 'hex' | 'base64') =>
  createHmac(alg, key).update(body).digest(enc);

interface Delivery {
  tool: string;
  responseId: string;
  headers: Record<string, string>;
  body: string;
}

/** One delivery of `tool`, built from an answer, mutated, then signed the tool's way. */
function delivery(
  i: number,
  tool: string,
  a: { score: number; email: string; comment: string },
  m: Mutation,
): Delivery {
  const key = (k: string) => (m.signing === 'wrong' ? `${k}-wrong` : k);
  switch (tool) {
    case 'typeform': {
      const responseId = `tf${i}`;
      const body = mutate(typeformPayload(responseId, a.score, a.email, a.comment) as unknown as Json, m);
      const sig = `sha256=${hmacOf('sha256', key(SECRETS.TF_SECRET), body, 'base64')}`;
      return { tool, responseId, body, headers: m.signing === 'none' ? {} : { 'typeform-signature': sig } };
    }
    case 'delighted': {
      const responseId = `${900000 + i}`;
      const payload = {
        event_type: i % 3 === 0 ? 'survey_response.updated' : 'survey_response.created',
        event_id: `e${i}`,
        event_data: {
          id: responseId,
          person:
            i % 4 === 0
              ? { id: `p${i}`, email: null, phone_number: '+15555550100' }
              : { id: `p${i}`, email: a.email },
          survey_type: 'nps',
          score: a.score,
          comment: a.comment || null,
          person_properties: { segment: 'spain' },
          additional_answers: [],
          created_at: 1772442000,
        },
      };
      const body = mutate(payload as unknown as Json, m);
      const sig = `sha256=${hmacOf('sha256', key(SECRETS.DL_KEY), body, 'hex')}`;
      return {
        tool,
        responseId,
        body,
        headers: m.signing === 'none' ? {} : { 'x-delighted-webhook-signature': sig },
      };
    }
    case 'formbricks': {
      const responseId = `fb${i}`;
      const payload = {
        webhookId: 'wh1',
        event: i % 2 ? 'responseFinished' : 'responseCreated',
        data: {
          id: responseId,
          createdAt: '2026-03-02T11:00:00.000Z',
          surveyId: 's1',
          data: { nps: a.score, email: a.email, why: a.comment },
          survey: {
            questions: [
              { id: 'nps', type: 'nps' },
              { id: 'why', type: 'openText' },
            ],
          },
          contact: null,
          contactAttributes: null,
          language: 'es',
          variables: {},
        },
      };
      const body = mutate(payload as unknown as Json, m);
      const ts = Math.floor(Date.now() / 1000);
      const secret =
        m.signing === 'wrong' ? `whsec_${Buffer.alloc(24, 9).toString('base64')}` : SECRETS.FB_SECRET;
      const headers: Record<string, string> = { 'webhook-id': `m${i}`, 'webhook-timestamp': String(ts) };
      if (m.signing !== 'none') headers['webhook-signature'] = signWebhook(secret, `m${i}`, ts, body);
      return { tool, responseId, body, headers };
    }
    case 'qualtrics': {
      const responseId = `R_fz${i}x${i % 10}`;
      const msg = mutate(
        {
          Status: 'Complete',
          SurveyID: 'SV_cVn9uBwheR9hz01',
          ResponseID: responseId,
          CompletedDate: '2026-03-02 12:03:00',
          BrandID: 'b',
        },
        m,
      );
      const form = new URLSearchParams({
        Topic: 'b.surveyengine.completedResponse.SV_cVn9uBwheR9hz01',
        MSG: msg,
      });
      if (m.signing !== 'none') form.set('HMAC', hmacOf('sha512', key(SECRETS.QX_KEY), msg, 'hex'));
      return {
        tool,
        responseId,
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      };
    }
    default: {
      const responseId = `${5_000_000 + i}`;
      const payload = {
        name: 'closedloop',
        filter_type: 'survey',
        filter_id: '405000001',
        event_type: 'response_completed',
        event_id: `e${i}`,
        object_type: 'response',
        object_id: responseId,
        resources: { respondent_id: responseId, survey_id: '405000001' },
      };
      const body = mutate(payload as unknown as Json, m);
      const sig = hmacOf('sha1', `${SECRETS.SM_KEY}&${key(SECRETS.SM_SECRET)}`, body, 'base64');
      return {
        tool: 'surveymonkey',
        responseId,
        body,
        headers: m.signing === 'none' ? {} : { 'sm-signature': sig },
      };
    }
  }
}

it('answers 3,000 signed, mutated deliveries of five tools with no 5xx, named 4xx, and no row for a refusal', async () => {
  const tools = ['typeform', 'delighted', 'formbricks', 'qualtrics', 'surveymonkey'];
  const samples = fc.sample(fc.tuple(Answer, Mutation), { numRuns: TOTAL, seed: 20261204 });
  const problems: string[] = [];
  const accepted = new Set<string>();
  let newlyCaptured = 0;
  const refused: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < samples.length) {
        const i = next++;
        const [a, m] = samples[i]!;
        const d = delivery(i, tools[i % tools.length]!, a, m);
        const res = await fetch(`${server.url}/v1/inbound/${d.tool}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...d.headers },
          body: d.body,
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        let out: {
          results?: { loopId: string; duplicate: boolean }[];
          error?: { code?: unknown; message?: unknown };
        } = {};
        try {
          out = JSON.parse(text);
        } catch {}
        if (res.status >= 200 && res.status < 300) {
          for (const r of out.results ?? []) {
            accepted.add(r.loopId);
            if (!r.duplicate) newlyCaptured++;
          }
        } else {
          const named = typeof out.error?.code === 'string' && typeof out.error.message === 'string';
          if (res.status >= 500 || res.status < 400 || !named)
            problems.push(`${d.tool} #${i}: ${res.status} ${text.slice(0, 200)}`);
          refused.push(idsFor({ tool: d.tool, responseId: d.responseId }).loopId);
        }
        if (m.signing !== 'good' && res.status < 400)
          problems.push(`${d.tool} #${i}: unsigned body accepted`);
      }
    }),
  );
  expect(problems.slice(0, 10)).toEqual([]);
  const loop = server.runtime.loop;
  await loop.idle();
  // Every capture the loop saw was answered 2xx: nothing was stored for a refused delivery.
  expect(capturedEvents).toBe(newlyCaptured);
  const leftovers = [];
  for (const id of refused) if (!accepted.has(id) && (await loop.store.getLoop(id))) leftovers.push(id);
  expect(leftovers).toEqual([]);
  for (const id of accepted) expect(await loop.store.getLoop(id)).toBeDefined();
  // The run exercised both sides: many accepted, many refused (401, 400 and 422 among them).
  expect(accepted.size).toBeGreaterThan(TOTAL / 5);
  for (const s of [400, 401, 422]) expect(statuses.get(s) ?? 0).toBeGreaterThan(10);
}, 300_000);
