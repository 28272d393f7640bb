// The worker's config: the `worker` section (and the shared sections) of the one closedloop
// config file, resolved into the options `runWorker` takes.
import {
  ConfigError,
  loadConfig,
  type ParseOptions,
  RetentionSchema,
  type ServeConfig,
  secretValue,
  WorkerSchema,
} from '@closedloop/config';
import { EmailConnectorConfigSchema } from '@closedloop/connectors';
import { PersonSchema, SegmentSchema } from '@closedloop/core';
import { ReportScheduleConfigSchema } from '@closedloop/core/learn';
import { z } from 'zod';
import { WorkerError } from './errors.ts';

/** The fields the config file's `worker` section and these options share, defined once there. */
const W = WorkerSchema.shape;

const PostgresConfigSchema = z
  .object({
    /** The environment variable holding the connection string (secrets stay out of the file). */
    urlEnv: z.string().min(1).default('CLOSEDLOOP_MIRROR_URL'),
    schema: z.string().min(1).default('closedloop'),
  })
  .strict();

/**
 * The options `runWorker` takes, secrets resolved (built by {@link loadWorkerConfig} from the
 * config file, or in code). The fields it shares with the file's `worker` section are that
 * section's; connectors are checked like `emailConnector` checks its options.
 */
export const WorkerConfigSchema = z
  .object({
    /** As `worker.temporal` in the config file, with the API key's value. */
    temporal: W.temporal.unwrap().extend({ apiKey: z.string().optional() }).prefault({}),
    /** A folder of JSON rule files for @closedloop/rules; without it, the default decider. */
    rulesPath: z.string().optional(),
    directory: z.array(PersonSchema),
    segments: z.array(SegmentSchema),
    /** Email connectors (`emailConnector` options of @closedloop/connectors). */
    connectors: z.array(EmailConnectorConfigSchema.extend({ type: z.literal('email') })).default([]),
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
    retention: RetentionSchema.optional(),
    /** Who may be contacted (docs/privacy.md): `requireConsent`; the do-not-contact list is the mirror's. */
    contact: z
      .object({ requireConsent: z.boolean().default(false) })
      .strict()
      .default({ requireConsent: false }),
    searchAttributes: W.searchAttributes,
    deliveryTimeoutMs: W.deliveryTimeoutMs,
    http: W.http,
    codecCorsOrigin: W.codecCorsOrigin,
    logLevel: W.logLevel,
    shutdownGraceTime: W.shutdownGraceTime,
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
          'reports read the mirror: set "store": { "postgres": { "url": { "env": "CLOSEDLOOP_MIRROR_URL" } } }',
      });
    }
    if (c.encryption?.perCustomer && !c.mirror) {
      ctx.addIssue({
        code: 'custom',
        path: ['encryption', 'perCustomer'],
        message:
          'per-customer keys live in the mirror database: set "store": { "postgres": { "url": { "env": "CLOSEDLOOP_MIRROR_URL" } } }',
      });
    }
  });
export type WorkerConfig = z.output<typeof WorkerConfigSchema>;
export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;

/** Environment variables that used to override config fields, and the field to write instead. */
const ENV_OVERRIDES = {
  TEMPORAL_ADDRESS: 'worker.temporal.address',
  TEMPORAL_NAMESPACE: 'worker.temporal.namespace',
  TEMPORAL_TASK_QUEUE: 'worker.temporal.taskQueue',
  TEMPORAL_API_KEY: 'worker.temporal.apiKey: { "env": "TEMPORAL_API_KEY" }',
  TEMPORAL_TLS: 'worker.temporal.tls',
  TEMPORAL_TLS_CA: 'worker.temporal.tls.caPath',
  TEMPORAL_TLS_CERT: 'worker.temporal.tls.certPath',
  TEMPORAL_TLS_KEY: 'worker.temporal.tls.keyPath',
  CLOSEDLOOP_RULES: 'rules',
  CLOSEDLOOP_HTTP_PORT: 'worker.http.port',
  CLOSEDLOOP_LOG_LEVEL: 'worker.logLevel',
  CLOSEDLOOP_ENCRYPTION_KEYS: 'worker.encryption.keys: { "<id>": { "env": "NAME" } }',
} as const;

/**
 * The worker options a loaded config describes: the `worker` section, the shared sections, the
 * store as the mirror when it is PostgreSQL, and secrets read from `env`.
 */
export function workerConfigFrom(c: ServeConfig, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const w = c.worker;
  const secret = (s: { env: string }, field: string) => secretValue(s, field, env, c.file);
  const email = c.connectors.email;
  const parsed = WorkerConfigSchema.safeParse({
    temporal: {
      ...w.temporal,
      apiKey: w.temporal.apiKey ? secret(w.temporal.apiKey, 'worker.temporal.apiKey') : undefined,
    },
    ...(c.rules ? { rulesPath: c.rules } : {}),
    directory: c.directory,
    segments: c.segments,
    connectors: email ? [{ type: 'email', ...email }] : [],
    ...(w.encryption
      ? {
          encryption: {
            current: w.encryption.current,
            keys: Object.fromEntries(
              Object.entries(w.encryption.keys).map(([id, s]) => [
                id,
                secret(s, `worker.encryption.keys.${id}`),
              ]),
            ),
            ...(w.encryption.perCustomer !== undefined ? { perCustomer: w.encryption.perCustomer } : {}),
          },
        }
      : {}),
    ...(c.retention ? { retention: c.retention } : {}),
    contact: { requireConsent: c.contact.requireConsent },
    searchAttributes: w.searchAttributes,
    deliveryTimeoutMs: w.deliveryTimeoutMs,
    http: w.http,
    ...(w.codecCorsOrigin ? { codecCorsOrigin: w.codecCorsOrigin } : {}),
    logLevel: w.logLevel,
    shutdownGraceTime: w.shutdownGraceTime,
    ...(typeof c.store !== 'string'
      ? { mirror: { postgres: { urlEnv: c.store.postgres.url.env, schema: c.store.postgres.schema } } }
      : {}),
    ...(c.reports && email
      ? {
          reports: {
            ...c.reports,
            mail: { from: email.from, transport: email.transport },
            ...(w.schedulePrefix ? { schedulePrefix: w.schedulePrefix } : {}),
          },
        }
      : {}),
  });
  if (!parsed.success)
    throw new ConfigError(
      c.file,
      parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
    );
  return parsed.data;
}

/** The old environment overrides, applied with a deprecation each (read until the next release). */
function withEnvOverrides(
  config: WorkerConfig,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): WorkerConfig {
  const set = (Object.keys(ENV_OVERRIDES) as (keyof typeof ENV_OVERRIDES)[]).filter((k) => env[k]);
  for (const k of set)
    warn(`${k} is deprecated: write ${ENV_OVERRIDES[k]} in the config file (read until the next release)`);
  if (set.length === 0) return config;
  const temporal = { ...config.temporal };
  if (env.TEMPORAL_ADDRESS) temporal.address = env.TEMPORAL_ADDRESS;
  if (env.TEMPORAL_NAMESPACE) temporal.namespace = env.TEMPORAL_NAMESPACE;
  if (env.TEMPORAL_TASK_QUEUE) temporal.taskQueue = env.TEMPORAL_TASK_QUEUE;
  if (env.TEMPORAL_API_KEY) temporal.apiKey = env.TEMPORAL_API_KEY;
  if (env.TEMPORAL_TLS_CA || env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_KEY) {
    temporal.tls = {
      ...(env.TEMPORAL_TLS_CA ? { caPath: env.TEMPORAL_TLS_CA } : {}),
      ...(env.TEMPORAL_TLS_CERT ? { certPath: env.TEMPORAL_TLS_CERT } : {}),
      ...(env.TEMPORAL_TLS_KEY ? { keyPath: env.TEMPORAL_TLS_KEY } : {}),
    };
  } else if (env.TEMPORAL_TLS === '1') temporal.tls = true;
  const next: WorkerConfig = { ...config, temporal };
  if (env.CLOSEDLOOP_RULES) next.rulesPath = env.CLOSEDLOOP_RULES;
  if (env.CLOSEDLOOP_HTTP_PORT) {
    const port = Number(env.CLOSEDLOOP_HTTP_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new WorkerError(
        'CONFIG',
        `CLOSEDLOOP_HTTP_PORT "${env.CLOSEDLOOP_HTTP_PORT}" is not a port number`,
      );
    next.http = { ...config.http, port };
  }
  if (env.CLOSEDLOOP_LOG_LEVEL) {
    const level = WorkerConfigSchema.shape.logLevel.safeParse(env.CLOSEDLOOP_LOG_LEVEL);
    if (!level.success)
      throw new WorkerError('CONFIG', `CLOSEDLOOP_LOG_LEVEL: use one of TRACE, DEBUG, INFO, WARN, ERROR`);
    next.logLevel = level.data;
  }
  if (env.CLOSEDLOOP_ENCRYPTION_KEYS) {
    const pairs = env.CLOSEDLOOP_ENCRYPTION_KEYS.split(',').map((p) => {
      const [id, key] = p.trim().split(':');
      if (!id || !key)
        throw new WorkerError(
          'CONFIG',
          'CLOSEDLOOP_ENCRYPTION_KEYS: write id:base64key pairs, comma-separated',
        );
      return [id, key] as const;
    });
    next.encryption = { ...config.encryption, current: pairs[0]![0], keys: Object.fromEntries(pairs) };
  }
  return next;
}

export interface LoadWorkerConfigOptions extends ParseOptions {}

/**
 * Reads the closedloop config file (`.json` or `.ts`; without a path, `closedloop.config.json`
 * or `.ts` in the working directory) into the worker's options. Throws a `ConfigError` naming
 * the field and the fix.
 *
 * @example
 * const config = loadWorkerConfig('closedloop.config.json');
 */
export function loadWorkerConfig(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadWorkerConfigOptions = {},
): WorkerConfig {
  const warn = options.onDeprecation ?? ((m: string) => process.stderr.write(`closedloop-worker: ${m}\n`));
  const config = loadConfig(path, { onDeprecation: warn });
  return withEnvOverrides(workerConfigFrom(config, env), env, warn);
}
