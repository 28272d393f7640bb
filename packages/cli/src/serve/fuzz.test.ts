// Fuzz: 10,000 generated and mutated payloads against a real listening server. Every answer is a
// 2xx (valid) or a 4xx with a JSON error naming the problem; never a 5xx, never a crash; and the
// store holds exactly the loops of the 2xx answers (nothing half-stored).
import { idsFor } from '@closedloop/core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer, typeformPayload, typeformSignature } from './test-fixture.ts';

const TOTAL = 10_000;
const CONCURRENCY = 16;

let server: TestServer;
let capturedEvents = 0;
beforeAll(async () => {
  server = await startTestServer({ http: { port: 0, bodyLimit: 16 * 1024 } });
  server.runtime.loop.on('feedback.captured', () => {
    capturedEvents++;
  });
});
afterAll(async () => {
  await server?.close();
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const Mutation = fc.record({
  kind: fc.constantFrom(
    'none',
    'none',
    'set',
    'set',
    'delete',
    'replaceAll',
    'truncate',
    'junk',
    'proto',
    'contentType',
    'huge',
  ),
  pick: fc.nat(),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  junk: fc.string({ maxLength: 12, unit: 'binary' }),
  signing: fc.constantFrom('good', 'good', 'good', 'good', 'good', 'good', 'none', 'wrong'),
});
type Mutation = typeof Mutation extends fc.Arbitrary<infer T> ? T : never;

/** Mostly plain addresses, sometimes anything fast-check calls an email address. */
const Email = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9._-]{0,12}$/),
        fc.constantFrom('example.com', 'mail.example.org'),
      )
      .map(([l, d]) => `${l}@${d}`),
  },
  { weight: 1, arbitrary: fc.emailAddress() },
);

// Mostly valid answers; the mutations below break them.
const Feedback = fc.record({
  customer: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ email: Email, segment: fc.constantFrom('spain', 'italy', 'europe', 'mars') }),
    },
    { weight: 1, arbitrary: fc.record({ anonymous: fc.constant(true) }) },
    { weight: 1, arbitrary: fc.record({ email: fc.string({ maxLength: 20 }) }) },
  ),
  nps: fc.option(
    fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0, max: 10 }) },
      { weight: 1, arbitrary: fc.integer() },
    ),
    { nil: undefined },
  ),
  csat: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined, freq: 3 }),
  comment: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
  language: fc.option(fc.constantFrom('es', 'it', 'pl', 'en-GB', 'xx_YY'), { nil: undefined, freq: 2 }),
  touchpoint: fc.option(fc.constantFrom('delivery', 'support'), { nil: undefined }),
});

function pathsOf(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (v !== null && typeof v === 'object') {
    for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
      const p = [...prefix, k];
      out.push(p);
      pathsOf(child as Json, p, out);
    }
  }
  return out;
}

function setAt(root: Json, path: (string | number)[], value: Json | undefined) {
  let node = root as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  const last = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
}

/** The body to send and its content type, after one mutation of a valid-ish payload. */
function mutate(payload: Json, m: Mutation): { body: string; contentType: string } {
  const value = structuredClone(payload);
  const paths = pathsOf(value);
  const path = paths.length > 0 ? paths[m.pick % paths.length]! : undefined;
  let body = JSON.stringify(value);
  switch (m.kind) {
    case 'set':
      if (path) setAt(value, path, m.value);
      body = JSON.stringify(value);
      break;
    case 'delete':
      if (path) setAt(value, path, undefined);
      body = JSON.stringify(value);
      break;
    case 'replaceAll':
      body = JSON.stringify(m.value);
      break;
    case 'truncate':
      body = body.slice(0, m.pick % Math.max(1, body.length));
      break;
    case 'junk': {
      const at = m.pick % (body.length + 1);
      body = body.slice(0, at) + m.junk + body.slice(at);
      break;
    }
    case 'proto':
      body = body.replace(/^\{/, '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},');
      break;
    case 'huge':
      body = JSON.stringify({ ...(value as object), comment: 'x'.repeat(17 * 1024) });
      break;
  }
  return { body, contentType: m.kind === 'contentType' ? 'text/plain' : 'application/json' };
}

interface Outcome {
  status: number;
  body: unknown;
}

async function send(path: string, body: string, headers: Record<string, string>): Promise<Outcome> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}

it('answers 10,000 generated and mutated payloads with 2xx or a named 4xx, and stores exactly the accepted ones', async () => {
  const half = TOTAL / 2;
  const feedbacks = fc.sample(fc.tuple(Feedback, Mutation), { numRuns: half, seed: 20261123 });
  const typeforms = fc.sample(
    fc.tuple(fc.integer({ min: -1, max: 11 }), Email, fc.string({ maxLength: 100 }), Mutation),
    { numRuns: half, seed: 11232026 },
  );
  const jobs: (() => Promise<void>)[] = [];
  let accepted = 0;
  const refusedIds: string[] = [];
  const acceptedLoops: string[] = [];
  const problems: string[] = [];

  const check = (what: string, body: string, out: Outcome) => {
    if (out.status >= 200 && out.status < 300) return true;
    const err = (out.body as { error?: { code?: unknown; message?: unknown } })?.error;
    const named = typeof err?.code === 'string' && typeof err.message === 'string' && err.message.length > 0;
    if (out.status < 400 || out.status >= 500 || !named)
      problems.push(
        `${what}: ${out.status} ${JSON.stringify(out.body).slice(0, 300)} for ${body.slice(0, 300)}`,
      );
    return false;
  };

  feedbacks.forEach(([f, m], i) => {
    const responseId = `fz-${i}`;
    const payload = JSON.parse(JSON.stringify({ source: { tool: 'fuzz', responseId }, ...f })) as Json;
    jobs.push(async () => {
      const { body, contentType } = mutate(payload, m);
      const out = await send('/v1/feedback', body, { 'content-type': contentType, ...server.bearer });
      if (check('feedback', body, out)) {
        const r = out.body as { loopId: string; duplicate: boolean };
        if (!r.duplicate) accepted++;
        acceptedLoops.push(r.loopId);
      } else refusedIds.push(idsFor({ tool: 'fuzz', responseId }).loopId);
    });
  });
  typeforms.forEach(([nps, email, comment, m], i) => {
    const token = `tf-fz-${i}`;
    const payload = typeformPayload(token, nps, email, comment) as unknown as Json;
    jobs.push(async () => {
      const { body, contentType } = mutate(payload, m);
      const signature =
        m.signing === 'good'
          ? typeformSignature(body)
          : m.signing === 'wrong'
            ? typeformSignature(body, 'not-the-secret')
            : undefined;
      const out = await send('/v1/inbound/typeform', body, {
        'content-type': contentType,
        ...(signature ? { 'typeform-signature': signature } : {}),
      });
      if (check('typeform', body, out)) {
        const r = out.body as { results: { loopId: string; duplicate: boolean }[] };
        for (const x of r.results) {
          if (!x.duplicate) accepted++;
          acceptedLoops.push(x.loopId);
        }
      } else refusedIds.push(idsFor({ tool: 'typeform', responseId: token }).loopId);
      if (m.signing !== 'good' && out.status !== 401 && out.status !== 413)
        problems.push(`typeform: unsigned/mis-signed body answered ${out.status}`);
    });
  });

  // Interleave the two endpoints and run a bounded number of requests at a time.
  const order = jobs.map((_, i) => (i % 2 === 0 ? i / 2 : half + (i - 1) / 2));
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < order.length) {
        const job = jobs[order[next++]!]!;
        await job();
      }
    }),
  );

  expect(problems.slice(0, 10)).toEqual([]);
  const loop = server.runtime.loop;
  await loop.idle();
  expect(capturedEvents).toBe(accepted);
  expect(accepted).toBeGreaterThan(TOTAL / 10);
  expect(refusedIds.length).toBeGreaterThan(TOTAL / 10);
  for (const id of acceptedLoops) expect(await loop.getLoop(id)).toBeDefined();
  // A refused payload left nothing behind under its response id.
  const acceptedSet = new Set(acceptedLoops);
  const leftovers = [];
  for (const id of refusedIds) if (!acceptedSet.has(id) && (await loop.store.getLoop(id))) leftovers.push(id);
  expect(leftovers).toEqual([]);
  // The server still answers.
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
}, 120_000);
