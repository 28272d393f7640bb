// The worker's HTTP endpoints: /healthz, /metrics and the codec endpoint the Temporal UI calls
// (`/codec/encode`, `/codec/decode`), with a body limit.
import { serve } from '@hono/node-server';
import type { PayloadCodec } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { WorkerError } from './errors.ts';
import type { WorkerMetrics } from './metrics.ts';

export interface WorkerHttpOptions {
  host: string;
  port: number;
  /** Largest codec request body in bytes; a larger one gets 413. */
  bodyLimit: number;
  /** Origin allowed to call the codec endpoint (the Temporal UI). */
  codecCorsOrigin?: string;
  worker: Pick<Worker, 'getState'>;
  metrics: WorkerMetrics;
  codec?: PayloadCodec;
}

type JsonPayload = { metadata?: Record<string, string>; data?: string };
const fromJson = (p: JsonPayload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

function payloadsOf(body: unknown): JsonPayload[] {
  const payloads = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads))
    throw new WorkerError('BAD_REQUEST', 'send { "payloads": [{ "metadata": {…}, "data": "<base64>" }] }');
  return payloads as JsonPayload[];
}

/**
 * The worker's HTTP app (a hono app; `startWorkerHttp` serves it).
 *
 * @example
 * const app = workerHttpApp({ host: '127.0.0.1', port: 9464, bodyLimit: 1 << 20, worker, metrics });
 */
export function workerHttpApp(o: WorkerHttpOptions): Hono {
  const app = new Hono();
  if (o.codecCorsOrigin) {
    const origin = o.codecCorsOrigin;
    app.use(async (c, next) => {
      await next();
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      c.res.headers.set('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
      c.res.headers.set('Access-Control-Allow-Headers', 'X-Namespace, Content-Type, Authorization');
    });
  }
  app.options('*', (c) => c.body(null, 204));
  app.get('/healthz', (c) => {
    const state = o.worker.getState();
    const ok = state === 'RUNNING';
    return c.json({ ok, state }, ok ? 200 : 503);
  });
  app.get('/metrics', async (c) =>
    c.body(await o.metrics.registry.metrics(), 200, { 'content-type': o.metrics.registry.contentType }),
  );
  const codec = o.codec;
  if (codec) {
    const limit = bodyLimit({
      maxSize: o.bodyLimit,
      onError: (c) =>
        c.json({ error: `the body is larger than worker.http.bodyLimit (${o.bodyLimit} bytes)` }, 413),
    });
    for (const op of ['encode', 'decode'] as const) {
      app.post(`/codec/${op}`, limit, async (c) => {
        try {
          const payloads = payloadsOf(await c.req.json()).map(fromJson);
          const out = op === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
          return c.json({ payloads: out.map(toJson) });
        } catch (e) {
          const code = e instanceof WorkerError ? e.code : 'BAD_REQUEST';
          return c.json({ error: e instanceof Error ? e.message : String(e), code }, 400);
        }
      });
    }
  }
  return app;
}

/** A running HTTP server of the worker. */
export interface WorkerHttp {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves {@link workerHttpApp} on `host:port` (port 0: any free port). */
export async function startWorkerHttp(o: WorkerHttpOptions): Promise<WorkerHttp> {
  const app = workerHttpApp(o);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: o.host, port: o.port }, (info) => {
      resolve({
        port: info.port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
