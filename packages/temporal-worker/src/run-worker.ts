// `closedloop-worker` for platform teams: runs the worker on the config's Temporal namespace until
// SIGTERM, with the HTTP endpoints (http.ts), metrics (metrics.ts) and logs (logger.ts); and the
// one-off privacy-erase and mirror-backfill commands.
import { readFileSync } from 'node:fs';
import type { ReportMailer, ReportMailerOptions } from '@closedloop/connectors';
import {
  type Connector,
  type CustomerRef,
  type Decider,
  Directory,
  type ErasureResult,
  type Person,
  parseRetentionPolicy,
  runRetention,
  type Segment,
  SegmentTree,
  type Store,
  subtractDuration,
} from '@closedloop/core';
import {
  type Audience,
  type Cadence,
  createAnalytics,
  postgresExecutor,
  resolveAudiences,
} from '@closedloop/core/learn';
import { postgresStore } from '@closedloop/core/postgres';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { createActivities } from './activities.ts';
import { aesGcmCodec, privateDataConverter } from './codec.ts';
import { customerKeyCodec, eraseCustomerOnTemporal } from './customer-keys.ts';
import { WorkerError } from './errors.ts';
import { startWorkerHttp } from './http.ts';
import { structuredLogger } from './logger.ts';
import { createWorkerMetrics, instrument } from './metrics.ts';
import { type BackfillProgress, backfillMirror } from './mirror.ts';
import { type AppliedSchedules, applyReportSchedules, createReportActivities } from './reports.ts';
import { checkSearchAttributes } from './search-attributes.ts';
import { createClosedLoopWorker } from './worker.ts';
import type { WorkerConfig } from './worker-config.ts';

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
    throw new WorkerError(
      'MISSING_ENV',
      `store.postgres.url: the environment variable ${urlEnv} is not set: set it to the mirror's postgres:// connection string`,
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
    throw new WorkerError(
      'NO_MIRROR',
      `store: ${missingMirror}: set "store": { "postgres": { "url": { "env": "CLOSEDLOOP_MIRROR_URL" } } }`,
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
  /** Where the environment variables the config names are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Connects to Temporal and runs the closedloop worker until SIGTERM/SIGINT or `shutdown()`.
 *
 * @example
 * const running = await runWorker(loadWorkerConfig('closedloop.config.json'));
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
      connectors.push(emailConnector({ ...options, env: extras.env ?? process.env }));
    }
  }
  let decider = extras.decider;
  if (!decider && config.rulesPath) {
    const { createRulesDecider } = await import('@closedloop/rules');
    decider = createRulesDecider(config.rulesPath);
  }
  const metrics = createWorkerMetrics();
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
        mailer = reportMailer({
          name: 'reports.mail',
          ...config.reports.mail,
          env: extras.env ?? process.env,
        } as ReportMailerOptions);
        const m = mailer;
        reportActivities = createReportActivities({
          analytics,
          deliver: async ({ report, audience, cadence }) => {
            try {
              const id = await m.send({ report, audience });
              metrics.reportsSent.inc({ cadence });
              return id;
            } catch (e) {
              metrics.reportFailures.inc({ cadence });
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
        deliveryTimeoutMs: config.deliveryTimeoutMs,
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
  metrics.watch(worker);
  let http: Awaited<ReturnType<typeof startWorkerHttp>>;
  try {
    http = await startWorkerHttp({
      ...config.http,
      ...(config.codecCorsOrigin ? { codecCorsOrigin: config.codecCorsOrigin } : {}),
      worker,
      metrics,
      ...(codec ? { codec } : {}),
    });
  } catch (e) {
    await closeAll();
    throw e;
  }
  const httpPort = http.port;

  const stopRetention = startMirrorRetention(config, mirror);
  const done = (async () => {
    try {
      await worker.run();
    } finally {
      await http.close();
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
