// `closedloop-worker` for platform teams: config file + env vars, graceful shutdown on SIGTERM,
// /healthz, /metrics (Prometheus text), a codec endpoint for the Temporal UI, and structured logs
// without customer data.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { ReportMailer, ReportMailerOptions } from '@closedloop/connectors';
import {
  type Audience,
  type Cadence,
  type Connector,
  type CustomerRef,
  createAnalytics,
  type Decider,
  Directory,
  type ErasureResult,
  type Person,
  PersonSchema,
  parseRetentionPolicy,
  postgresExecutor,
  postgresStore,
  ReportScheduleConfigSchema,
  resolveAudiences,
  runRetention,
  type Segment,
  SegmentSchema,
  SegmentTree,
  type Store,
  subtractDuration,
} from '@closedloop/core';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { DefaultLogger, type LogEntry, NativeConnection, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { z } from 'zod';
import { createActivities, type LoopActivities } from './activities.ts';
import { aesGcmCodec, privateDataConverter } from './codec.ts';
import { customerKeyCodec, eraseCustomerOnTemporal } from './customer-keys.ts';
import { type BackfillProgress, backfillMirror } from './mirror.ts';
import { type AppliedSchedules, applyReportSchedules, createReportActivities } from './reports.ts';
import { checkSearchAttributes } from './search-attributes.ts';
import { createClosedLoopWorker } from './worker.ts';

const PostgresConfigSchema = z
  .object({
    /** The environment variable holding the connection string (secrets stay out of the file). */
    urlEnv: z.string().min(1).default('CLOSEDLOOP_MIRROR_URL'),
    schema: z.string().min(1).default('closedloop'),
  })
  .strict();

export const WorkerConfigSchema = z
  .object({
    temporal: z
      .object({
        address: z.string().default('127.0.0.1:7233'),
        namespace: z.string().default('default'),
        taskQueue: z.string().default('closedloop'),
        apiKey: z.string().optional(),
        tls: z
          .union([
            z.boolean(),
            z.object({
              serverName: z.string().optional(),
              caPath: z.string().optional(),
              certPath: z.string().optional(),
              keyPath: z.string().optional(),
            }),
          ])
          .optional(),
      })
      .default({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'closedloop' }),
    /** A folder of JSON rule files for @closedloop/rules; without it, the default decider. */
    rulesPath: z.string().optional(),
    directory: z.array(PersonSchema),
    segments: z.array(SegmentSchema),
    /** Email connectors (@closedloop/connectors `emailConnector` options). */
    connectors: z.array(z.object({ type: z.literal('email') }).loose()).default([]),
    /** Payload encryption keys (base64 of 32 bytes each); `current` encrypts, all decrypt. */
    encryption: z
      .object({
        current: z.string(),
        keys: z.record(z.string(), z.string()),
        /** A data key per customer, in the mirror's key table, so erasure can shred (docs/privacy.md). */
        perCustomer: z.boolean().optional(),
      })
      .optional(),
    /** How long personal data is kept in the mirror (docs/privacy.md), and how often to check. */
    retention: z
      .object({
        comments: z.string().optional(),
        identity: z.string().optional(),
        closedCases: z.string().optional(),
        logs: z.string().optional(),
        every: z.string().optional(),
        batchSize: z.int().min(1).max(10_000).optional(),
      })
      .strict()
      .optional(),
    /** Who may be contacted (docs/privacy.md): `requireConsent`; the do-not-contact list is the mirror's. */
    contact: z
      .object({ requireConsent: z.boolean().default(false) })
      .strict()
      .default({ requireConsent: false }),
    /** Keep the ClosedLoop* search attributes current (they must be registered). */
    searchAttributes: z.boolean().default(true),
    http: z
      .object({ host: z.string().default('127.0.0.1'), port: z.int().min(0).default(9464) })
      .default({ host: '127.0.0.1', port: 9464 }),
    /** Origin allowed to call the codec endpoint (the Temporal UI), e.g. http://127.0.0.1:8233. */
    codecCorsOrigin: z.string().optional(),
    logLevel: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    shutdownGraceTime: z.string().default('30s'),
    /** Copy every loop (feedback, case, snapshot) into PostgreSQL, for analytics and reports. */
    mirror: z.object({ postgres: PostgresConfigSchema }).strict().optional(),
    /** Scheduled reports (Temporal Schedules, applied when the worker starts); they read the mirror. */
    reports: ReportScheduleConfigSchema.extend({
      /** Sender and transport, as `reportMailer` from @closedloop/connectors takes them. */
      mail: z.object({ from: z.string().min(3), transport: z.record(z.string(), z.unknown()) }).strict(),
      /** Schedule id prefix (default `closedloop-report`); one per deployment sharing a namespace. */
      schedulePrefix: z.string().min(1).optional(),
    }).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.reports && !c.mirror) {
      ctx.addIssue({
        code: 'custom',
        path: ['reports'],
        message:
          'reports read the mirror: add "mirror": { "postgres": { "urlEnv": "CLOSEDLOOP_MIRROR_URL" } }',
      });
    }
    if (c.encryption?.perCustomer && !c.mirror) {
      ctx.addIssue({
        code: 'custom',
        path: ['encryption', 'perCustomer'],
        message:
          'per-customer keys live in the mirror database: add "mirror": { "postgres": { "urlEnv": "CLOSEDLOOP_MIRROR_URL" } }',
      });
    }
  });
export type WorkerConfig = z.output<typeof WorkerConfigSchema>;
export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;

/**
 * Reads the config file (JSON) and applies env vars over it: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_TASK_QUEUE, TEMPORAL_API_KEY, TEMPORAL_TLS (1), TEMPORAL_TLS_CA / _CERT / _KEY (paths),
 * CLOSEDLOOP_RULES, CLOSEDLOOP_HTTP_PORT, CLOSEDLOOP_ENCRYPTION_KEYS (`id:base64,id2:base64`, the
 * first one current), CLOSEDLOOP_LOG_LEVEL.
 *
 * @example
 * const config = loadWorkerConfig('closedloop.worker.json');
 */
export function loadWorkerConfig(path?: string, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const raw = (path ? JSON.parse(readFileSync(path, 'utf8')) : {}) as Record<string, unknown> & {
    temporal?: Record<string, unknown>;
    http?: Record<string, unknown>;
  };
  const temporal = { ...(raw.temporal ?? {}) };
  if (env.TEMPORAL_ADDRESS) temporal.address = env.TEMPORAL_ADDRESS;
  if (env.TEMPORAL_NAMESPACE) temporal.namespace = env.TEMPORAL_NAMESPACE;
  if (env.TEMPORAL_TASK_QUEUE) temporal.taskQueue = env.TEMPORAL_TASK_QUEUE;
  if (env.TEMPORAL_API_KEY) temporal.apiKey = env.TEMPORAL_API_KEY;
  if (env.TEMPORAL_TLS_CA || env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_KEY) {
    temporal.tls = {
      caPath: env.TEMPORAL_TLS_CA,
      certPath: env.TEMPORAL_TLS_CERT,
      keyPath: env.TEMPORAL_TLS_KEY,
    };
  } else if (env.TEMPORAL_TLS === '1') temporal.tls = true;
  const config: Record<string, unknown> = { ...raw, temporal };
  if (env.CLOSEDLOOP_RULES) config.rulesPath = env.CLOSEDLOOP_RULES;
  if (env.CLOSEDLOOP_HTTP_PORT) config.http = { ...(raw.http ?? {}), port: Number(env.CLOSEDLOOP_HTTP_PORT) };
  if (env.CLOSEDLOOP_LOG_LEVEL) config.logLevel = env.CLOSEDLOOP_LOG_LEVEL;
  if (env.CLOSEDLOOP_ENCRYPTION_KEYS) {
    const pairs = env.CLOSEDLOOP_ENCRYPTION_KEYS.split(',').map(
      (p) => p.trim().split(':') as [string, string],
    );
    config.encryption = { current: pairs[0]![0], keys: Object.fromEntries(pairs) };
  }
  const parsed = WorkerConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new Error(
      `Invalid worker config${path ? ` in ${path}` : ''}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Counters for /metrics. */
class Metrics {
  readonly counters = new Map<string, number>();
  inc(name: string, labels: Record<string, string> = {}, by = 1) {
    const key = `${name}${
      Object.keys(labels).length
        ? `{${Object.entries(labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(',')}}`
        : ''
    }`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }
  text(gauges: Record<string, number>): string {
    const lines: string[] = [];
    for (const [k, v] of Object.entries(gauges)) lines.push(`# TYPE ${k} gauge`, `${k} ${v}`);
    const types = new Set<string>();
    for (const [k, v] of this.counters) {
      const name = k.split('{')[0]!;
      if (!types.has(name)) lines.push(`# TYPE ${name} counter`);
      types.add(name);
      lines.push(`${k} ${v}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function instrument(activities: LoopActivities, metrics: Metrics): LoopActivities {
  return {
    async decide(feedback, now) {
      try {
        const r = await activities.decide(feedback, now);
        metrics.inc('closedloop_decisions_total', { ruleset: r.decision.ruleSetVersion });
        return r;
      } catch (e) {
        metrics.inc('closedloop_decision_failures_total');
        throw e;
      }
    },
    async mirrorLoop(snapshot, at) {
      try {
        const r = await activities.mirrorLoop(snapshot, at);
        if (r.written) metrics.inc('closedloop_mirror_writes_total');
        return r;
      } catch (e) {
        metrics.inc('closedloop_mirror_failures_total');
        throw e;
      }
    },
    route: (effect, consent) => activities.route(effect, consent),
    async deliverTo(effect, connector) {
      try {
        await activities.deliverTo(effect, connector);
        metrics.inc('closedloop_effects_delivered_total', { type: effect.type });
      } catch (e) {
        metrics.inc('closedloop_effect_failures_total', { type: effect.type });
        throw e;
      }
    },
    async deliver(effect, consent) {
      try {
        const r = await activities.deliver(effect, consent);
        metrics.inc('closedloop_effects_delivered_total', { type: effect.type });
        return r;
      } catch (e) {
        metrics.inc('closedloop_effect_failures_total', { type: effect.type });
        throw e;
      }
    },
  };
}

/** A JSON-lines logger that drops payload-bearing fields (customer data never reaches the logs). */
/**
 * An error as a log line can show it: its name and message (an Error serialises as `{}`), with
 * email addresses masked, since messages may quote a customer's address.
 */
export function loggedError(e: unknown): { name: string; message: string } | string {
  const mask = (s: string) =>
    s.replace(/[^\s@"'<>()]+@[^\s@"'<>()]+\.[A-Za-z]{2,}/g, '<email>').slice(0, 1000);
  if (e instanceof Error) return { name: e.name, message: mask(e.message) };
  if (e && typeof e === 'object' && 'message' in e && typeof e.message === 'string')
    return { name: 'Error', message: mask(e.message) };
  return mask(String(e));
}

export function structuredLogger(
  level: WorkerConfig['logLevel'],
  write = (line: string) => process.stderr.write(line),
) {
  const SAFE = new Set([
    'namespace',
    'taskQueue',
    'workflowId',
    'runId',
    'workflowType',
    'activityType',
    'activityId',
    'attempt',
    'key',
    'type',
    'loopId',
    'event',
    'sdkComponent',
    'error',
  ]);
  return new DefaultLogger(level, (entry: LogEntry) => {
    const meta = Object.fromEntries(
      Object.entries(entry.meta ?? {})
        .filter(([k]) => SAFE.has(k))
        .map(([k, v]) => [k, k === 'error' ? loggedError(v) : v]),
    );
    write(
      `${JSON.stringify({ ts: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(), level: entry.level, msg: entry.message, ...meta })}\n`,
    );
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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

/**
 * The audiences of the configured report cadences: a `person` entry becomes that person's
 * personalised audience (the segments they manage, their email); a listed one is checked against
 * the segment tree.
 */
export function reportAudiences(config: WorkerConfig): Partial<Record<Cadence, Audience[]>> {
  if (!config.reports) return {};
  return resolveAudiences(
    config.reports.audiences,
    config.directory as Person[],
    config.segments as Segment[],
  );
}

function tlsOf(t: WorkerConfig['temporal']) {
  return typeof t.tls === 'object'
    ? {
        serverNameOverride: t.tls.serverName,
        serverRootCACertificate: t.tls.caPath ? readFileSync(t.tls.caPath) : undefined,
        clientCertPair:
          t.tls.certPath && t.tls.keyPath
            ? { crt: readFileSync(t.tls.certPath), key: readFileSync(t.tls.keyPath) }
            : undefined,
      }
    : t.tls;
}

function mirrorUrl(config: WorkerConfig, env: NodeJS.ProcessEnv): string {
  const urlEnv = config.mirror?.postgres.urlEnv ?? 'CLOSEDLOOP_MIRROR_URL';
  const url = env[urlEnv];
  if (!url) {
    throw new Error(
      `mirror.postgres.urlEnv: the environment variable ${urlEnv} is not set: set it to the mirror's postgres:// connection string`,
    );
  }
  return url;
}

/**
 * Retention on the Temporal runtime: the mirror is anonymised like an embedded store, at start
 * and then every `retention.every` (default a day); histories go with the namespace retention or
 * by crypto-shredding.
 */
function startMirrorRetention(config: WorkerConfig, mirror: Store | undefined): () => Promise<void> {
  const { every, batchSize, ...policy } = config.retention ?? {};
  if (!mirror || Object.keys(policy).length === 0) return async () => {};
  const parsed = parseRetentionPolicy(policy);
  const now = Date.now();
  const everyMs = Math.max(60_000, now - subtractDuration(now, every ?? 'P1D', 'every'));
  let running: Promise<unknown> | undefined;
  const pass = () => {
    running ??= runRetention(mirror, parsed, { batchSize: batchSize ?? 200 })
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(pass, everyMs);
  timer.unref();
  const first = setTimeout(pass, 1_000);
  first.unref();
  return async () => {
    clearInterval(timer);
    clearTimeout(first);
    await running;
  };
}

/** The payload codec a config describes (per-customer keys live in the mirror's documents). */
function codecFor(config: WorkerConfig, mirror: Store | undefined): PayloadCodec {
  const e = config.encryption!;
  return e.perCustomer && mirror ? customerKeyCodec({ master: e, keys: mirror.documents }) : aesGcmCodec(e);
}

/**
 * Runs `work` with a client on the configured Temporal namespace and the configured mirror
 * (whose documents hold the per-customer keys), and closes both after it. `missingMirror` says
 * what to add when the config has no mirror.
 */
async function withMirrorClient<T>(
  config: WorkerConfig,
  env: NodeJS.ProcessEnv,
  missingMirror: string,
  work: (client: Client, mirror: ReturnType<typeof postgresStore>) => Promise<T>,
): Promise<T> {
  if (!config.mirror) {
    throw new Error(
      `mirror: ${missingMirror}: add "mirror": { "postgres": { "urlEnv": "CLOSEDLOOP_MIRROR_URL" } }`,
    );
  }
  const t = config.temporal;
  const pool = new pg.Pool({ connectionString: mirrorUrl(config, env), max: 4 });
  const mirror = postgresStore({ pool, schema: config.mirror.postgres.schema });
  const connection = await Connection.connect({ address: t.address, tls: tlsOf(t), apiKey: t.apiKey });
  try {
    const client = new Client({
      connection,
      namespace: t.namespace,
      dataConverter: config.encryption ? privateDataConverter(codecFor(config, mirror)) : undefined,
    });
    return await work(client, mirror);
  } finally {
    await connection.close();
    await mirror.close();
    await pool.end();
  }
}

/**
 * `closedloop-worker privacy-erase`: erases one customer on the Temporal runtime (see
 * `eraseCustomerOnTemporal`): running loops terminated, data keys destroyed, mirror erased.
 */
export function runPrivacyErase(
  config: WorkerConfig,
  person: CustomerRef,
  options: { actor: string; env?: NodeJS.ProcessEnv },
): Promise<ErasureResult & { terminated: number }> {
  return withMirrorClient(
    config,
    options.env ?? process.env,
    'erasure finds the person in the mirror',
    (client, mirror) => eraseCustomerOnTemporal(person, { client, mirror, actor: options.actor }),
  );
}

/**
 * `closedloop-worker mirror-backfill`: brings the loops that ran before the mirror was configured
 * into it (see `backfillMirror`). The workers must be running: they answer the queries.
 */
export function runMirrorBackfill(
  config: WorkerConfig,
  options: { since?: Date; env?: NodeJS.ProcessEnv; onProgress?: (p: BackfillProgress) => void } = {},
): Promise<BackfillProgress> {
  return withMirrorClient(config, options.env ?? process.env, 'the config has no mirror', (client, mirror) =>
    backfillMirror({
      client,
      taskQueue: config.temporal.taskQueue,
      mirror,
      ...(options.since ? { since: options.since } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    }),
  );
}

export interface RunningWorker {
  /** The port /healthz, /metrics and /codec/{encode,decode} listen on. */
  readonly httpPort: number;
  /** What applying the report schedules did (when `reports` is configured). */
  readonly schedules?: AppliedSchedules;
  /** Resolves when the worker stopped (after SIGTERM or `shutdown()`). */
  readonly done: Promise<void>;
  shutdown(): Promise<void>;
}

export interface RunWorkerExtras {
  /** Connectors built in code (added to the config's). */
  connectors?: readonly Connector[];
  decider?: Decider;
  /** Install the structured logger as the Temporal runtime's logger (default true). */
  installRuntime?: boolean;
  /** Where `mirror.postgres.urlEnv` is read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Connects to Temporal and runs the closedloop worker until SIGTERM/SIGINT or `shutdown()`.
 *
 * @example
 * const running = await runWorker(loadWorkerConfig('closedloop.worker.json'));
 * await running.done;
 */
export async function runWorker(config: WorkerConfig, extras: RunWorkerExtras = {}): Promise<RunningWorker> {
  if (extras.installRuntime !== false) {
    Runtime.install({
      logger: structuredLogger(config.logLevel),
      telemetryOptions: { logging: { filter: config.logLevel, forward: {} } },
      shutdownSignals: ['SIGINT', 'SIGTERM'],
    });
  }
  const t = config.temporal;
  const tls = tlsOf(t);
  const connection = await NativeConnection.connect({ address: t.address, tls, apiKey: t.apiKey });
  if (config.searchAttributes) {
    try {
      await checkSearchAttributes(connection, t.namespace, t.address);
    } catch (e) {
      await connection.close();
      throw e;
    }
  }
  let codec: PayloadCodec | undefined = config.encryption ? aesGcmCodec(config.encryption) : undefined;
  const connectors: Connector[] = [...(extras.connectors ?? [])];
  if (config.connectors.length > 0) {
    const { emailConnector } = await import('@closedloop/connectors');
    for (const c of config.connectors) {
      const { type: _t, ...options } = c;
      connectors.push(emailConnector(options as unknown as Parameters<typeof emailConnector>[0]));
    }
  }
  let decider = extras.decider;
  if (!decider && config.rulesPath) {
    const { createRulesDecider } = await import('@closedloop/rules');
    decider = createRulesDecider(config.rulesPath);
  }
  const metrics = new Metrics();
  const audiences = reportAudiences(config);
  let pool: pg.Pool | undefined;
  let mirror: Store | undefined;
  const closeAll = async () => {
    for (const c of connectors) await c.close?.();
    await mailer?.close();
    await mirror?.close();
    await pool?.end();
    await connection.close();
  };
  let mailer: ReportMailer | undefined;
  let reportActivities = {};
  let schedules: AppliedSchedules | undefined;
  try {
    if (config.mirror) {
      const { schema } = config.mirror.postgres;
      pool = new pg.Pool({ connectionString: mirrorUrl(config, extras.env ?? process.env), max: 10 });
      mirror = postgresStore({ pool, schema });
      await mirror.init();
      if (config.encryption?.perCustomer) {
        codec = customerKeyCodec({ master: config.encryption, keys: mirror.documents });
      }
      if (config.reports) {
        const directory = new Directory(config.directory as Person[]);
        const analytics = createAnalytics(postgresExecutor(pool, schema), {
          segments: new SegmentTree(config.segments as Segment[], directory),
        });
        await analytics.prepare();
        const { reportMailer } = await import('@closedloop/connectors');
        mailer = reportMailer({ name: 'reports.mail', ...config.reports.mail } as ReportMailerOptions);
        const m = mailer;
        reportActivities = createReportActivities({
          analytics,
          deliver: async ({ report, audience, cadence }) => {
            try {
              const id = await m.send({ report, audience });
              metrics.inc('closedloop_reports_sent_total', { cadence });
              return id;
            } catch (e) {
              metrics.inc('closedloop_report_failures_total', { cadence });
              throw e;
            }
          },
        });
      }
    }
    if (config.reports) {
      const client = new Client({
        connection: await Connection.connect({ address: t.address, tls, apiKey: t.apiKey }),
        namespace: t.namespace,
        dataConverter: codec ? privateDataConverter(codec) : undefined,
      });
      try {
        schedules = await applyReportSchedules(client, {
          taskQueue: t.taskQueue,
          audiences,
          timeZone: config.reports.timeZone,
          hour: config.reports.hour,
          minute: config.reports.minute,
          ...(config.reports.schedulePrefix ? { prefix: config.reports.schedulePrefix } : {}),
        });
      } finally {
        await client.connection.close();
      }
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  const activities = {
    ...instrument(
      createActivities({
        decider,
        connectors,
        directory: config.directory as Person[],
        segments: config.segments as Segment[],
        ...(mirror ? { mirror } : {}),
        contact: config.contact,
      }),
      metrics,
    ),
    ...reportActivities,
  };
  const worker = await createClosedLoopWorker({
    connection,
    namespace: t.namespace,
    taskQueue: t.taskQueue,
    dataConverter: codec ? privateDataConverter(codec) : undefined,
    directory: config.directory as Person[],
    segments: config.segments as Segment[],
    worker: { activities, shutdownGraceTime: config.shutdownGraceTime as `${number}s` },
  });
  const started = Date.now();

  const server: Server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    const cors = config.codecCorsOrigin;
    if (cors) {
      res.setHeader('Access-Control-Allow-Origin', cors);
      res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'X-Namespace, Content-Type, Authorization');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    if (url === '/healthz') {
      const state = worker.getState();
      const ok = state === 'RUNNING';
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ ok, state }));
    }
    if (url === '/metrics') {
      const s = worker.getStatus();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return void res.end(
        metrics.text({
          closedloop_worker_up: worker.getState() === 'RUNNING' ? 1 : 0,
          closedloop_worker_uptime_seconds: Math.round((Date.now() - started) / 1000),
          closedloop_worker_activities_in_flight: s.numInFlightActivities,
          closedloop_worker_workflow_activations_in_flight: s.numInFlightWorkflowActivations,
          closedloop_worker_cached_workflows: s.numCachedWorkflows,
        }),
      );
    }
    if (req.method === 'POST' && (url === '/codec/encode' || url === '/codec/decode') && codec) {
      try {
        const body = JSON.parse(await readBody(req)) as { payloads: JsonPayload[] };
        const payloads = body.payloads.map(fromJson);
        const out = url.endsWith('encode') ? await codec.encode(payloads) : await codec.decode(payloads);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ payloads: out.map(toJson) }));
      } catch (e) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(config.http.port, config.http.host, resolve));
  const address = server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.http.port;

  const stopRetention = startMirrorRetention(config, mirror);
  const done = (async () => {
    try {
      await worker.run();
    } finally {
      server.close();
      await stopRetention();
      await closeAll();
    }
  })();
  return {
    httpPort,
    ...(schedules ? { schedules } : {}),
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
