import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { FieldMappingSchema, ImportMappingSchema } from '@closedloop/connectors';
import {
  formatPath,
  type Person,
  PersonSchema,
  type Segment,
  SegmentSchema,
  suggestKeys,
} from '@closedloop/core';
import { ReportScheduleConfigSchema, resolveAudiences } from '@closedloop/core/learn';
import { z } from 'zod';

const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'give the NAME of an environment variable, such as SMTP_PASSWORD');

const Address = z.union([
  z.string().min(3),
  z.object({ name: z.string().optional(), address: z.email() }).strict(),
]);

const SmtpTransport = z
  .object({
    kind: z.literal('smtp'),
    host: z.string().min(1),
    port: z.int().min(1).max(65_535).optional(),
    secure: z.boolean().optional(),
    requireTLS: z.boolean().optional(),
    /** The SMTP user name (not a secret) or the env var that holds it. */
    user: z.string().min(1).optional(),
    userEnv: EnvName.optional(),
    /** The env var that holds the SMTP password: secrets never live in the config file. */
    passwordEnv: EnvName.optional(),
  })
  .strict()
  .refine((t) => !(t.passwordEnv && !t.user && !t.userEnv), {
    message: 'passwordEnv needs a user or userEnv as well',
    path: ['user'],
  });

const DirectoryTransport = z.object({ kind: z.literal('directory'), path: z.string().min(1) }).strict();

const EmailConfig = z
  .object({
    from: Address,
    replyTo: Address.optional(),
    transport: z.discriminatedUnion('kind', [SmtpTransport, DirectoryTransport]),
    caseUrl: z.string().optional(),
    resurveyUrl: z.string().optional(),
  })
  .strict();

const Mapping = FieldMappingSchema.strict().optional();

const InboundConfig = z
  .object({
    typeform: z
      .object({ enabled: z.boolean().default(true), secretEnv: EnvName, mapping: Mapping })
      .strict()
      .optional(),
    delighted: z
      .object({ enabled: z.boolean().default(true), apiKeyEnv: EnvName, mapping: Mapping })
      .strict()
      .optional(),
    formbricks: z
      .object({
        enabled: z.boolean().default(true),
        secretEnv: EnvName.optional(),
        tokenEnv: EnvName.optional(),
        mapping: Mapping,
      })
      .strict()
      .refine((f) => f.secretEnv !== undefined || f.tokenEnv !== undefined, {
        message: 'set secretEnv (signed webhooks) or tokenEnv (a ?token= in the URL)',
        path: ['secretEnv'],
      })
      .optional(),
    surveymonkey: z
      .object({
        enabled: z.boolean().default(true),
        apiKeyEnv: EnvName,
        apiSecretEnv: EnvName,
        accessTokenEnv: EnvName,
        baseUrl: z.url().optional(),
        mapping: Mapping,
      })
      .strict()
      .optional(),
    qualtrics: z
      .object({
        enabled: z.boolean().default(true),
        /** The subscription's shared key: deliveries are then verified by their HMAC. */
        sharedKeyEnv: EnvName.optional(),
        tokenEnv: EnvName.optional(),
        apiTokenEnv: EnvName,
        baseUrl: z.url(),
        mapping: Mapping,
      })
      .strict()
      .refine((q) => q.sharedKeyEnv !== undefined || q.tokenEnv !== undefined, {
        message: "set sharedKeyEnv (the subscription's shared key) or tokenEnv (a ?token= in the URL)",
        path: ['sharedKeyEnv'],
      })
      .optional(),
  })
  .strict();

/** `closedloop import`: how waves are read. */
const ImportConfig = z
  .object({
    /** Column names for some fields; the other columns are still recognised by their headers. */
    mapping: ImportMappingSchema.optional(),
    /** Rows whose segment is not configured go here (with a warning) instead of being refused. */
    defaultSegment: z.string().min(1).optional(),
    /** Slash dates are day/month/year (31/01/2026) instead of month/day/year. */
    dayFirst: z.boolean().optional(),
  })
  .strict();

const HttpConfig = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.int().min(0).max(65_535).default(4100),
    /** Largest request body in bytes (default 1 MB). */
    bodyLimit: z
      .int()
      .min(1)
      .max(100 * 1024 * 1024)
      .default(1024 * 1024),
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

const AuthConfig = z.discriminatedUnion('mode', [
  z
    .object({
      /** Local use only: a sign-in page listing the directory's people; refused off loopback. */
      mode: z.literal('dev'),
      sessionSecretEnv: EnvName.optional(),
      ...SessionTimes,
    })
    .strict(),
  z
    .object({
      /** OpenID Connect (authorization code + PKCE) with any provider. */
      mode: z.literal('oidc'),
      issuerEnv: EnvName,
      clientIdEnv: EnvName,
      clientSecretEnv: EnvName.optional(),
      /** Signs and encrypts the session cookies; the same value on every replica (32+ characters). */
      sessionSecretEnv: EnvName,
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
export type AuthConfig = z.output<typeof AuthConfig>;

/** Who may be contacted, and the unsubscribe link customer mail carries. */
const ContactConfig = z
  .object({
    /** Contact a customer only when their answer says they consent (`consent: true`). */
    requireConsent: z.boolean().default(false),
    unsubscribe: z
      .object({
        /** The public URL of `/v1/unsubscribe` on this server, e.g. https://cx.example.com/v1/unsubscribe. */
        url: z.url({ protocol: /^https?$/ }),
        /** The environment variable holding the secret that seals unsubscribe tokens (32+ characters). */
        secretEnv: EnvName,
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

/** How long personal data is kept (docs/privacy.md), and how often serve anonymises what expired. */
const RetentionConfig = z
  .object({
    comments: Duration.optional(),
    identity: Duration.optional(),
    closedCases: Duration.optional(),
    logs: Duration.optional(),
    /** How often `serve` runs the retention job (default every day). */
    every: Duration.optional(),
    batchSize: z.int().min(1).max(10_000).optional(),
  })
  .strict();

/** `closedloop.config.json` as written (relative paths are relative to the file). */
export const ServeConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** SQLite file, `:memory:` for a throwaway in-memory store, or PostgreSQL for a team. */
    store: z
      .union([
        z.string().min(1),
        z
          .object({
            postgres: z
              .object({
                /** The environment variable holding the connection string (it has a password). */
                urlEnv: EnvName,
                schema: z
                  .string()
                  .regex(/^[a-z_][a-z0-9_]*$/, 'a schema name such as "closedloop"')
                  .optional(),
              })
              .strict(),
          })
          .strict(),
      ])
      .default('data/closedloop.sqlite'),
    directory: z.union([z.string().min(1), z.array(PersonSchema)]),
    segments: z.union([z.string().min(1), z.array(SegmentSchema).min(1)]),
    rules: z.string().min(1).optional(),
    connectors: z.object({ email: EmailConfig.optional() }).strict().default({}),
    inbound: InboundConfig.default({}),
    http: HttpConfig.prefault({}),
    /** Who may sign in and how. Without it the server runs in dev mode on loopback only. */
    auth: AuthConfig.optional(),
    import: ImportConfig.optional(),
    /**
     * The report schedule: run time, time zone and who gets which cadence. Reports are mailed
     * through `connectors.email`; with several replicas, one of them sends each period's reports.
     */
    reports: ReportScheduleConfigSchema.optional(),
    contact: ContactConfig.default({ requireConsent: false }),
    retention: RetentionConfig.optional(),
  })
  .strict();
export type ServeConfigInput = z.input<typeof ServeConfigSchema>;
type Parsed = z.output<typeof ServeConfigSchema>;

/** A loaded config: paths resolved, the directory and segments read. */
export interface ServeConfig extends Omit<Parsed, 'directory' | 'segments' | '$schema'> {
  /** The config file (or `(inline)`). */
  file: string;
  directory: Person[];
  segments: Segment[];
}

export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config that cannot be used: every problem named by its field path, with the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string;
  readonly issues: readonly ConfigIssue[];
  constructor(file: string, issues: ConfigIssue[]) {
    super(`${file}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.file = file;
    this.issues = issues;
  }
}

const HINTS: Record<string, string> = {
  store:
    'a SQLite file path such as "data/closedloop.sqlite", ":memory:", or { "postgres": { "urlEnv": "DATABASE_URL" } }',
  directory: 'a list of people [{ "id", "name", "email" }] or the path of a JSON file holding it',
  segments: 'a list of segments [{ "id", "name", "managers": ["person-id"] }] or a JSON file path',
  rules: 'the folder holding classify.json, route.json, …',
  'http.port': 'a whole number from 0 to 65535 (default 4100)',
  'http.host': 'an interface address such as "127.0.0.1" (default)',
  'http.bodyLimit': 'a size in bytes, e.g. 1048576 for 1 MB',
  'http.publicUrl': 'the URL people open, such as "https://cx.example.com"',
  auth: '{ "mode": "oidc", "issuerEnv", "clientIdEnv", "clientSecretEnv", "sessionSecretEnv" } or { "mode": "dev" }',
};

function issuesOf(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((i) => {
    const path = formatPath(i.path);
    let message = i.message;
    if (i.code === 'unrecognized_keys' && !i.message.startsWith('unknown field'))
      message = `unknown field(s) ${i.keys.join(', ')}: remove or rename them`;
    const hint = HINTS[path];
    return { path, message: hint ? `${message} (expected ${hint})` : message };
  });
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [
      { path: what, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, [{ path: what, message: `not valid JSON: ${(e as Error).message}` }]);
  }
}

function listFrom<T>(
  value: string | T[],
  schema: z.ZodType<T>,
  base: string,
  what: string,
  file: string,
): T[] {
  if (typeof value !== 'string') return value;
  const path = resolve(base, value);
  const parsed = z.array(schema).safeParse(readJson(path, what), { error: (i) => suggestKeys(i as never) });
  if (!parsed.success) {
    throw new ConfigError(
      file,
      issuesOf(parsed.error).map((i) => ({ path: `${what} (${value}) ${i.path}`, message: i.message })),
    );
  }
  return parsed.data;
}

/**
 * Validates a config object. Relative paths resolve against `baseDir`.
 *
 * @example
 * const config = parseConfig({ directory: [...], segments: [...] }, process.cwd());
 */
export function parseConfig(input: unknown, baseDir: string, file = '(inline)'): ServeConfig {
  const parsed = ServeConfigSchema.safeParse(input, { error: (i) => suggestKeys(i as never) });
  if (!parsed.success) throw new ConfigError(file, issuesOf(parsed.error));
  const c = parsed.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const directory = listFrom<Person>(c.directory, PersonSchema, baseDir, 'directory', file);
  const segments = listFrom<Segment>(c.segments, SegmentSchema, baseDir, 'segments', file);
  const badRoles = directory.flatMap((p, i) =>
    (p.roles ?? [])
      .filter((r) => !(ROLES as readonly string[]).includes(r))
      .map((r) => ({
        path: `directory[${i}].roles`,
        message: `unknown role "${r.slice(0, 50)}" (expected one of ${ROLES.join(', ')})`,
      })),
  );
  if (badRoles.length > 0) throw new ConfigError(file, badRoles);
  const fallback = c.import?.defaultSegment;
  if (fallback !== undefined && !segments.some((s) => s.id === fallback))
    throw new ConfigError(file, [
      {
        path: 'import.defaultSegment',
        message: `"${fallback}" is not a segment id; use one of ${segments.map((s) => s.id).join(', ')}`,
      },
    ]);
  const email = c.connectors.email;
  return {
    file,
    store: typeof c.store !== 'string' || c.store === ':memory:' ? c.store : abs(c.store),
    directory,
    segments,
    ...(c.rules !== undefined ? { rules: abs(c.rules) } : {}),
    connectors: {
      ...(email
        ? {
            email: {
              ...email,
              transport:
                email.transport.kind === 'directory'
                  ? { ...email.transport, path: abs(email.transport.path) }
                  : email.transport,
            },
          }
        : {}),
    },
    inbound: c.inbound,
    ...(c.import ? { import: c.import } : {}),
    http: c.http,
    ...(c.auth ? { auth: c.auth } : {}),
    ...(c.reports
      ? {
          reports: checkedReports(
            c.reports,
            c.connectors.email !== undefined,
            c.store,
            directory,
            segments,
            file,
          ),
        }
      : {}),
    contact: c.contact,
    ...(c.retention ? { retention: c.retention } : {}),
  };
}

/** The report schedule, checked against the organisation and the rest of the config. */
function checkedReports(
  reports: NonNullable<Parsed['reports']>,
  hasEmail: boolean,
  store: Parsed['store'],
  directory: Person[],
  segments: Segment[],
  file: string,
): NonNullable<Parsed['reports']> {
  const issues: ConfigIssue[] = [];
  if (!hasEmail)
    issues.push({
      path: 'reports',
      message:
        'reports are mailed through connectors.email: add "connectors": { "email": { "from", "transport" } }',
    });
  if (store === ':memory:')
    issues.push({
      path: 'store',
      message: 'the report schedule reads the store in SQL: use a SQLite file or PostgreSQL, not ":memory:"',
    });
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: reports.timeZone });
  } catch {
    issues.push({
      path: 'reports.timeZone',
      message: `unknown time zone "${reports.timeZone}": use an IANA name such as Europe/Madrid`,
    });
  }
  try {
    resolveAudiences(reports.audiences, directory, segments);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = message.indexOf(': ');
    issues.push(
      at > 0
        ? { path: message.slice(0, at), message: message.slice(at + 2) }
        : { path: 'reports.audiences', message },
    );
  }
  if (issues.length) throw new ConfigError(file, issues);
  return reports;
}

/**
 * Reads and validates `closedloop.config.json`. Throws a {@link ConfigError} naming each bad
 * field and the fix.
 *
 * @example
 * const config = loadConfig('closedloop.config.json');
 * console.log(config.http.port); // 4100 unless set
 */
export function loadConfig(path: string): ServeConfig {
  const file = resolve(path);
  return parseConfig(readJson(file, '(file)'), dirname(file), file);
}
