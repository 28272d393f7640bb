// The one closedloop config: `closedloop.config.json` (or `.ts`) as every command and the worker
// read it. Each section is defined once here, composed from the packages' own schemas where they
// have one (connectors' email connector, core's people, segments and report schedule).
import { EmailConnectorConfigSchema, FieldMappingSchema, ImportMappingSchema } from '@closedloop/connectors';
import { PersonSchema, SegmentSchema } from '@closedloop/core';
import { ReportScheduleConfigSchema } from '@closedloop/core/learn';
import { z } from 'zod';

const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'give the NAME of an environment variable, such as SMTP_PASSWORD');

/** What a secret written into the file is told. */
const INLINE_SECRET =
  'secrets never live in the config file: write { "env": "NAME" } and set the environment variable NAME';

/**
 * A secret: the name of the environment variable that holds it, `{ "env": "SMTP_PASSWORD" }`.
 * A value written inline is refused with {@link INLINE_SECRET}.
 */
export const EnvSecretSchema = z
  .object(
    { env: EnvName },
    { error: (i) => (typeof i.input === 'string' ? INLINE_SECRET : 'expected { "env": "NAME" }') },
  )
  .strict();
export type EnvSecret = z.output<typeof EnvSecretSchema>;

/** A value that is not secret but may still come from the environment (an issuer URL, a client id). */
const ValueOrEnv = z.union([z.string().min(1), EnvSecretSchema]);

/** A PostgreSQL database: the connection string (it has a password) from the environment. */
const PostgresSchema = z
  .object({
    url: EnvSecretSchema,
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, 'a schema name such as "closedloop"')
      .optional(),
  })
  .strict();

/** SQLite file, `:memory:` for a throwaway in-memory store, or PostgreSQL for a team. */
const StoreSchema = z
  .union([z.string().min(1), z.object({ postgres: PostgresSchema }).strict()])
  .default('data/closedloop.sqlite');

/** The email connector's own options, with its SMTP password only as `{ "env": "NAME" }`. */
const EmailSchema = EmailConnectorConfigSchema.strict().superRefine((email, ctx) => {
  const auth = 'auth' in email.transport ? email.transport.auth : undefined;
  if (typeof auth?.pass === 'string')
    ctx.addIssue({ code: 'custom', path: ['transport', 'auth', 'pass'], message: INLINE_SECRET });
});

const Mapping = FieldMappingSchema.strict().optional();

/** Survey tools' webhooks `serve` accepts (`/v1/inbound/<tool>`). */
const InboundSchema = z
  .object({
    typeform: z
      .object({ enabled: z.boolean().default(true), secret: EnvSecretSchema, mapping: Mapping })
      .strict()
      .optional(),
    delighted: z
      .object({ enabled: z.boolean().default(true), apiKey: EnvSecretSchema, mapping: Mapping })
      .strict()
      .optional(),
    formbricks: z
      .object({
        enabled: z.boolean().default(true),
        secret: EnvSecretSchema.optional(),
        token: EnvSecretSchema.optional(),
        mapping: Mapping,
      })
      .strict()
      .refine((f) => f.secret !== undefined || f.token !== undefined, {
        message: 'set secret (signed webhooks) or token (a ?token= in the URL)',
        path: ['secret'],
      })
      .optional(),
    surveymonkey: z
      .object({
        enabled: z.boolean().default(true),
        apiKey: EnvSecretSchema,
        apiSecret: EnvSecretSchema,
        accessToken: EnvSecretSchema,
        baseUrl: z.url().optional(),
        mapping: Mapping,
      })
      .strict()
      .optional(),
    qualtrics: z
      .object({
        enabled: z.boolean().default(true),
        /** The subscription's shared key: deliveries are then verified by their HMAC. */
        sharedKey: EnvSecretSchema.optional(),
        token: EnvSecretSchema.optional(),
        apiToken: EnvSecretSchema,
        baseUrl: z.url(),
        mapping: Mapping,
      })
      .strict()
      .refine((q) => q.sharedKey !== undefined || q.token !== undefined, {
        message: "set sharedKey (the subscription's shared key) or token (a ?token= in the URL)",
        path: ['sharedKey'],
      })
      .optional(),
  })
  .strict();

/** `closedloop import`: how waves are read. */
const ImportSchema = z
  .object({
    /** Column names for some fields; the other columns are still recognised by their headers. */
    mapping: ImportMappingSchema.optional(),
    /** Rows whose segment is not configured go here (with a warning) instead of being refused. */
    defaultSegment: z.string().min(1).optional(),
    /** Slash dates are day/month/year (31/01/2026) instead of month/day/year. */
    dayFirst: z.boolean().optional(),
  })
  .strict();

const BodyLimit = z
  .int()
  .min(1)
  .max(100 * 1024 * 1024)
  .default(1024 * 1024);

/** `serve`'s HTTP server. */
const HttpSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.int().min(0).max(65_535).default(4100),
    /** Largest request body in bytes (default 1 MB). */
    bodyLimit: BodyLimit,
    /** The URL people reach the server at (behind a TLS proxy or not): sign-in redirects, Secure cookies, allowed host. */
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Host names (optionally host:port) the server answers; others get 421. Default: publicUrl's host, 127.0.0.1, ::1, localhost. */
    allowedHosts: z.array(z.string().min(1).max(255)).min(1).optional(),
    /** Longest time to receive a whole request (default 30 s). */
    requestTimeoutMs: z.int().min(1000).max(600_000).default(30_000),
    /** Longest time to receive the request headers (default 10 s). */
    headersTimeoutMs: z.int().min(1000).max(120_000).default(10_000),
    /** Most connections open at once (default 1000). */
    maxConnections: z.int().min(1).max(100_000).default(1000),
  })
  .strict()
  .refine((h) => h.headersTimeoutMs <= h.requestTimeoutMs, {
    message: 'headersTimeoutMs must not be longer than requestTimeoutMs',
    path: ['headersTimeoutMs'],
  });

export const ROLES = ['admin', 'rulesEditor', 'manager', 'agent', 'viewer'] as const;
const RoleSchema = z.enum(ROLES);

const SessionTimes = {
  /** Signed out after this many minutes without a request (default 60). */
  idleMinutes: z
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  /** Signed out this many hours after signing in, active or not (default 12). */
  absoluteHours: z
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
};

/** Who may sign in to `serve` and how. */
const AuthSchema = z.discriminatedUnion('mode', [
  z
    .object({
      /** Local use only: a sign-in page listing the directory's people; refused off loopback. */
      mode: z.literal('dev'),
      sessionSecret: EnvSecretSchema.optional(),
      ...SessionTimes,
    })
    .strict(),
  z
    .object({
      /** OpenID Connect (authorization code + PKCE) with any provider. */
      mode: z.literal('oidc'),
      issuer: ValueOrEnv,
      clientId: ValueOrEnv,
      clientSecret: EnvSecretSchema.optional(),
      /** Signs and encrypts the session cookies; the same value on every replica (32+ characters). */
      sessionSecret: EnvSecretSchema,
      scopes: z.array(z.string().regex(/^[\x21-\x7e]+$/)).default(['openid', 'email', 'profile']),
      /** The claim matched against directory people's email (default "email"). */
      claim: z.string().min(1).default('email'),
      /** A claim holding the person's groups, mapped to roles by groupRoles. */
      groupsClaim: z.string().min(1).optional(),
      groupRoles: z.record(z.string(), z.array(RoleSchema)).optional(),
      ...SessionTimes,
    })
    .strict(),
]);

/** Who may be contacted, and the unsubscribe link customer mail carries. */
const ContactSchema = z
  .object({
    /** Contact a customer only when their answer says they consent (`consent: true`). */
    requireConsent: z.boolean().default(false),
    unsubscribe: z
      .object({
        /** The public URL of `/v1/unsubscribe` on this server, e.g. https://cx.example.com/v1/unsubscribe. */
        url: z.url({ protocol: /^https?$/ }),
        /** Seals unsubscribe tokens (32+ characters). */
        secret: EnvSecretSchema,
      })
      .strict()
      .optional(),
  })
  .strict();

const Duration = z
  .string()
  .regex(
    /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/,
    'an ISO-8601 duration such as "P18M" (18 months), "P2Y" or "P90D"',
  );

/** How long personal data is kept (docs/privacy.md), and how often it is anonymised. */
export const RetentionSchema = z
  .object({
    comments: Duration.optional(),
    identity: Duration.optional(),
    closedCases: Duration.optional(),
    logs: Duration.optional(),
    /** How often `serve` (or the worker) runs the retention job (default every day). */
    every: Duration.optional(),
    batchSize: z.int().min(1).max(10_000).optional(),
  })
  .strict();

/** `closedloop-worker`: the Temporal connection, its HTTP endpoints and payload encryption. */
export const WorkerSchema = z
  .object({
    temporal: z
      .object({
        address: z.string().min(1).default('127.0.0.1:7233'),
        namespace: z.string().min(1).default('default'),
        taskQueue: z.string().min(1).default('closedloop'),
        apiKey: EnvSecretSchema.optional(),
        tls: z
          .union([
            z.boolean(),
            z
              .object({
                serverName: z.string().optional(),
                caPath: z.string().optional(),
                certPath: z.string().optional(),
                keyPath: z.string().optional(),
              })
              .strict(),
          ])
          .optional(),
      })
      .strict()
      .prefault({}),
    /** /healthz, /metrics and the codec endpoint for the Temporal UI. */
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.int().min(0).max(65_535).default(9464),
        /** Largest codec request body in bytes (default 1 MB); larger ones get 413. */
        bodyLimit: BodyLimit,
      })
      .strict()
      .prefault({}),
    /** Origin allowed to call the codec endpoint (the Temporal UI), e.g. http://127.0.0.1:8233. */
    codecCorsOrigin: z.string().min(1).optional(),
    logLevel: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    shutdownGraceTime: z
      .string()
      .regex(/^\d+(ms|s|m)$/, 'a duration such as "30s"')
      .default('30s'),
    /** Keep the ClosedLoop* search attributes current (they must be registered). */
    searchAttributes: z.boolean().default(true),
    /**
     * How long one delivery (an effect to one connector) may take before its abort signal fires and
     * it is retried (default 30 s); below the delivery activity's 2-minute timeout.
     */
    deliveryTimeoutMs: z.int().min(100).max(110_000).default(30_000),
    /** Payload encryption keys (each 32 bytes, base64, in an environment variable); `current` encrypts, all decrypt. */
    encryption: z
      .object({
        current: z.string().min(1),
        keys: z.record(z.string(), EnvSecretSchema),
        /** A data key per customer, in the store's key table, so erasure can shred (docs/privacy.md). */
        perCustomer: z.boolean().optional(),
      })
      .strict()
      .refine((e) => e.current in e.keys, {
        message: 'current must name one of keys',
        path: ['current'],
      })
      .optional(),
    /** Report schedule id prefix (default `closedloop-report`); one per deployment sharing a namespace. */
    schedulePrefix: z.string().min(1).optional(),
  })
  .strict();

/** The whole config file. Relative paths are relative to the file. */
export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** Where loops are kept (serve, import, export, report, rules); the worker mirrors into it when it is PostgreSQL. */
    store: StoreSchema,
    directory: z.union([z.string().min(1), z.array(PersonSchema)]),
    segments: z.union([z.string().min(1), z.array(SegmentSchema).min(1)]),
    /** The folder holding classify.json, route.json, … */
    rules: z.string().min(1).optional(),
    /** Outbound connectors: the email connector (`emailConnector` options of @closedloop/connectors). */
    connectors: z.object({ email: EmailSchema.optional() }).strict().default({}),
    inbound: InboundSchema.default({}),
    http: HttpSchema.prefault({}),
    /** Who may sign in and how. Without it the server runs in dev mode on loopback only. */
    auth: AuthSchema.optional(),
    import: ImportSchema.optional(),
    /**
     * The report schedule: run time, time zone and who gets which cadence. Reports are mailed
     * through `connectors.email`; with several replicas, one of them sends each period's reports.
     */
    reports: ReportScheduleConfigSchema.optional(),
    contact: ContactSchema.default({ requireConsent: false }),
    retention: RetentionSchema.optional(),
    worker: WorkerSchema.prefault({}),
  })
  .strict();

/** The config as written (what `defineConfig` checks). */
export type ConfigInput = z.input<typeof ConfigSchema>;
export type ParsedConfig = z.output<typeof ConfigSchema>;
