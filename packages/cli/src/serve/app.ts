import type { EmailConnector, SurveyAdapter } from '@closedloop/connectors';
import {
  type CaptureResult,
  type CaseQuery,
  ClosedLoopError,
  type EmbeddedClosedLoop,
  type ErrorCode,
  type FieldIssue,
  formatPath,
  type Person,
  type Segment,
} from '@closedloop/core';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { narrowQuery, seesCase } from './auth/access.ts';
import { recordAudit } from './auth/audit.ts';
import { type AuthSettings, installAuth, principalOf, registerAuthRoutes } from './auth/index.ts';
import { registerCasesRoutes, templateList } from './cases-routes.ts';
import { registerConsole } from './console-static.ts';
import { registerIntakeRoutes } from './intake-routes.ts';
import type { Logger } from './log.ts';
import { registerPrivacyRoutes } from './privacy-routes.ts';
import { registerRulesRoutes } from './rules-routes.ts';
import type { RulesService } from './rules-service.ts';

export interface AppOptions {
  loop: EmbeddedClosedLoop;
  /** Survey adapters by tool name (`typeform`, `delighted`, …): `POST /v1/inbound/:tool`. */
  adapters?: ReadonlyMap<string, SurveyAdapter>;
  /** Largest request body in bytes. Default 1 MB. */
  bodyLimit?: number;
  logger?: Logger;
  /** Serve the web console at `/` (default true). */
  console?: boolean;
  /** Who may do what (built from the config's `auth` and `http` by `authSettingsFrom`). */
  auth: AuthSettings;
  /** Where the built console lives (default: `console/` beside the built CLI). */
  consoleDir?: string;
  /** The organisation the loop runs on: allowed moves, names in the console. */
  org?: { segments: readonly Segment[]; directory: readonly Person[] };
  /** The email connector: previews of customer mail and the template list. */
  email?: EmailConnector;
  /** The rules the server runs: adds the Rules API (`/v1/rules…`). */
  rules?: RulesService;
  /** The secret sealing unsubscribe links (`contact.unsubscribe`); without it `/v1/unsubscribe` answers 404. */
  unsubscribeSecret?: string;
}

/** The JSON error every endpoint answers with. */
interface ErrorBody {
  error: { code: string; message: string; issues: FieldIssue[]; details?: Record<string, unknown> };
}

/** The codes `serve` itself answers with (besides core's), each with its HTTP status. */
export const HttpErrorCode = {
  INVALID_INPUT: 400,
  INVALID_JSON: 400,
  INVALID_TOKEN: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  ACTOR_MISMATCH: 403,
  NOT_FOUND: 404,
  CASE_NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
} as const satisfies Record<string, ContentfulStatusCode>;
export type HttpErrorCode = keyof typeof HttpErrorCode;

/** The one error class of `serve`'s HTTP layer: the status follows from the code. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: ContentfulStatusCode;
  readonly code: HttpErrorCode;
  readonly issues: FieldIssue[];
  constructor(code: HttpErrorCode, message: string, issues: FieldIssue[] = []) {
    super(message);
    this.status = HttpErrorCode[code];
    this.code = code;
    this.issues = issues;
  }
}

/**
 * The HTTP status of each of core's error codes. `satisfies` makes it exhaustive: a new
 * `ErrorCode` without a status here does not compile.
 */
export const STATUS_OF = {
  INVALID_FEEDBACK: 400,
  INVALID_INPUT: 400,
  CASE_NOT_FOUND: 404,
  LOOP_NOT_FOUND: 404,
  MOVE_REFUSED: 409,
  CONFLICT: 409,
  CLOSED: 503,
  INVALID_DECISION: 500,
  STORE: 500,
  CONFIGURATION: 500,
} as const satisfies Record<ErrorCode, ContentfulStatusCode>;

/** Details safe to send back: ids, states and allowed moves, never customer text. */
const SAFE_DETAILS = new Set([
  'caseId',
  'loopId',
  'state',
  'status',
  'segment',
  'event',
  'reason',
  'allowed',
]);

function errorResponse(c: Context, status: ContentfulStatusCode, body: ErrorBody['error']) {
  return c.json({ error: body } satisfies ErrorBody, status);
}

function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({
    path: formatPath(i.path),
    message: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message,
  }));
}

const Actor = z.string().min(1).max(200);
const Note = z.string().max(5000);
const PatchBody = z
  .object({
    status: z.string().optional(),
    priority: z.string().optional(),
    segment: z.string().optional(),
    rootCause: z.string().optional(),
    actor: Actor.optional(),
    note: Note.optional(),
  })
  .strict();
const ReassignBody = z
  .object({ owner: z.string().min(1).max(200), actor: Actor.optional(), note: Note.optional() })
  .strict();
const CommentBody = z.object({ body: z.string().min(1).max(20_000), actor: Actor.optional() }).strict();
const ResolveBody = z
  .object({ rootCause: z.string().min(1).max(2000), actor: Actor.optional(), note: Note.optional() })
  .strict();
/** A template name the email connector knows, or a 400 naming the field and the names that exist. */
export function checkTemplate(email: EmailConnector | undefined, template: string): string {
  const known = (email?.templateList() ?? templateList()).map((t) => t.id);
  if (!known.includes(template))
    throw new HttpError(
      'INVALID_INPUT',
      `No email template "${template.slice(0, 100)}"; known: ${known.join(', ')}`,
      [{ path: 'template', message: 'unknown template' }],
    );
  return template;
}

export const InformBody = z
  .object({
    message: z.string().max(20_000).optional(),
    gesture: z
      .object({ description: z.string().min(1).max(2000), code: z.string().max(200).optional() })
      .strict()
      .optional(),
    template: z.string().min(1).max(100).optional(),
    language: z.string().min(2).max(20).optional(),
    actor: Actor.optional(),
  })
  .strict();

function isJson(c: Context): boolean {
  const type = c.req.header('content-type') ?? '';
  return /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type.trim());
}

/** Reads a JSON body; `optional` accepts an empty body as `{}` (still sent as JSON). */
export async function readJson(c: Context, optional = false): Promise<unknown> {
  if (!isJson(c)) {
    throw new HttpError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Send the body as JSON with "Content-Type: application/json" (got "${(c.req.header('content-type') ?? 'none').slice(0, 100)}")`,
    );
  }
  const text = await c.req.text();
  if (optional && text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the body: never echoed.
    throw new HttpError('INVALID_JSON', 'The body is not valid JSON');
  }
}

export function parseBody<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new HttpError(
      'INVALID_INPUT',
      `Invalid ${what}: ${zodIssues(r.error)
        .map((i) => `${i.path}: ${i.message}`)
        .join('; ')}`,
      zodIssues(r.error),
    );
  return r.data;
}

/**
 * Who is acting: always the signed-in person or the token's service actor. A header or body
 * naming someone else is refused rather than believed.
 */
export function actorOf(c: Context, body: { actor?: string | undefined } = {}): string {
  const principal = principalOf(c);
  if (!principal) throw new HttpError('UNAUTHENTICATED', 'Sign in or send a bearer token');
  const claimed = c.req.header('x-closedloop-actor')?.trim() || body.actor;
  if (claimed !== undefined && claimed !== principal.id)
    throw new HttpError(
      'ACTOR_MISMATCH',
      `The actor is who signed in (${principal.id}): drop the "actor" field and the X-Closedloop-Actor header`,
      [{ path: 'actor', message: 'must be the signed-in identity' }],
    );
  return principal.id;
}

/** The case, when the caller's scope covers it; 403 naming the case's segment otherwise. */
async function caseInScope(c: Context, loop: EmbeddedClosedLoop, id: string) {
  const found = await loop.cases.get(id);
  if (!seesCase(c.get('caseScope'), found))
    throw new HttpError(
      'FORBIDDEN',
      `Case ${found.id} is outside what you may see: it needs a manager of segment "${found.segment}" (or above), its owner, or a viewer or admin`,
    );
  return found;
}

/** A date (`2026-03-01`, midnight UTC; as `to`, the day after, so the day is included) or an instant. */
function instantParam(key: 'from' | 'to', v: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const day = Date.parse(`${v}T00:00:00Z`);
    if (!Number.isNaN(day)) return new Date(key === 'to' ? day + 86_400_000 : day).toISOString();
  }
  return v;
}

/**
 * The case query of a `GET /v1/cases` request: `status`, `priority`, `segment` (with its subtree),
 * `owner`, `mine=1` (owned by the caller), `sla=dueSoon|breached`, `from`, `to`, `q` (or `search`),
 * `sort`, `dir` (or `order`), `limit`, `offset`.
 */
function queryOf(c: Context): CaseQuery {
  const q: Record<string, unknown> = {};
  for (const key of ['status', 'priority', 'segment', 'owner'] as const) {
    const values = c.req.queries(key)?.filter((v) => v !== '');
    if (values && values.length > 0) q[key] = values.length === 1 ? values[0] : values;
  }
  const aliases = { search: ['q', 'search'], order: ['dir', 'order'], sort: ['sort'], sla: ['sla'] };
  for (const [key, names] of Object.entries(aliases)) {
    for (const name of names) {
      const v = c.req.query(name);
      if (v !== undefined && v !== '') q[key] = v;
    }
  }
  for (const key of ['from', 'to'] as const) {
    const v = c.req.query(key);
    if (v !== undefined && v !== '') q[key] = instantParam(key, v);
  }
  const mine = c.req.query('mine');
  if (mine === '1' || mine === 'true') q.owner = actorOf(c, {});
  for (const key of ['limit', 'offset'] as const) {
    const v = c.req.query(key);
    if (v !== undefined && v !== '') {
      const n = Number(v);
      if (!Number.isInteger(n))
        throw new HttpError('INVALID_INPUT', `${key} must be a whole number (got "${v.slice(0, 50)}")`, [
          { path: key, message: 'expected a whole number' },
        ]);
      q[key] = n;
    }
  }
  return q as CaseQuery;
}

function captured(r: CaptureResult) {
  return {
    loopId: r.loopId,
    feedbackId: r.feedbackId,
    duplicate: r.duplicate,
    updated: r.updated,
    state: r.state,
    ...(r.classification ? { classification: r.classification } : {}),
    ...(r.case ? { case: r.case } : {}),
  };
}

/**
 * The HTTP API of `closedloop serve` (and the console), as a Hono app over an embedded loop.
 *
 * @example
 * const app = createApp({ loop, adapters: new Map([['typeform', typeformAdapter({ secret })]]) });
 * serve({ fetch: app.fetch, port: 4100, hostname: '127.0.0.1' });
 */
export function createApp(options: AppOptions): Hono {
  const { loop } = options;
  const adapters = options.adapters ?? new Map<string, SurveyAdapter>();
  const log: Logger = options.logger ?? (() => {});
  const maxSize = options.bodyLimit ?? 1024 * 1024;
  const app = new Hono();

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    log(c.res.status >= 500 ? 'error' : 'info', 'request', {
      method: c.req.method,
      path: c.req.path.slice(0, 200),
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });

  installAuth(app, options.auth);

  app.use(
    bodyLimit({
      maxSize,
      onError: (c) => {
        // Closed after the answer, so a keep-alive client's next request starts on a fresh connection.
        c.header('connection', 'close');
        return errorResponse(c, 413, {
          code: 'PAYLOAD_TOO_LARGE',
          message: `The body is larger than ${maxSize} bytes (http.bodyLimit)`,
          issues: [],
        });
      },
    }),
  );

  app.onError((err, c) => {
    if (err instanceof HttpError)
      return errorResponse(c, err.status, { code: err.code, message: err.message, issues: err.issues });
    if (err instanceof ClosedLoopError) {
      const status = STATUS_OF[err.code];
      const details = Object.fromEntries(Object.entries(err.details).filter(([k]) => SAFE_DETAILS.has(k)));
      if (status >= 500) log('error', 'request failed', { code: err.code, path: c.req.path.slice(0, 200) });
      return errorResponse(c, status, {
        code: err.code,
        message: err.message,
        issues: [...err.issues],
        ...(Object.keys(details).length > 0 ? { details } : {}),
      });
    }
    log('error', 'unexpected error', { error: err instanceof Error ? err.name : typeof err });
    return errorResponse(c, 500, {
      code: 'INTERNAL',
      message: 'Something went wrong on the server; the request was not applied. Try again.',
      issues: [],
    });
  });

  app.notFound((c) =>
    errorResponse(c, 404, {
      code: 'NOT_FOUND',
      message: `No endpoint ${c.req.method} ${c.req.path.slice(0, 200)}: see docs/serve.md`,
      issues: [],
    }),
  );

  app.get('/healthz', async (c) => {
    await loop.cases.list({ limit: 0 });
    // The replica's part in the shared work: its id and the claims it holds now.
    return c.json({ status: 'ok', store: loop.store.kind, replica: loop.replica() });
  });

  app.post('/v1/feedback', async (c) => {
    const body = await readJson(c);
    const result = await loop.capture(body as Parameters<typeof loop.capture>[0]);
    return c.json(captured(result), result.duplicate ? 200 : 201);
  });

  registerIntakeRoutes(app, { loop, adapters, log });

  app.get('/v1/cases', async (c) => {
    const page = await loop.cases.list(narrowQuery(queryOf(c), c.get('caseScope')));
    return c.json({ ...page, counts: page.countsByStatus });
  });

  for (const format of ['csv', 'json'] as const) {
    app.get(`/v1/cases.${format}`, async (c) => {
      const query = queryOf(c);
      const { limit: _l, offset: _o, ...all } = query;
      const text = await loop.cases.export(format, narrowQuery(all, c.get('caseScope')));
      const { search: _s, ...filters } = all;
      await recordAudit(loop.store, { action: 'export', actor: actorOf(c), format, filters });
      // CSV starts with a byte order mark, so spreadsheets read accents as UTF-8.
      return c.body(format === 'csv' ? `\uFEFF${text}` : text, 200, {
        'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="cases.${format}"`,
      });
    });
  }

  app.get('/v1/cases/:id', async (c) => c.json(await caseInScope(c, loop, c.req.param('id'))));

  app.patch('/v1/cases/:id', async (c) => {
    const body = parseBody(PatchBody, await readJson(c), 'case update');
    const { actor: _a, note, ...changes } = body;
    await caseInScope(c, loop, c.req.param('id'));
    const updated = await loop.cases.update(
      c.req.param('id'),
      changes as Parameters<typeof loop.cases.update>[1],
      { actor: actorOf(c, body), ...(note !== undefined ? { note } : {}) },
    );
    return c.json(updated);
  });

  app.post('/v1/cases/:id/reassign', async (c) => {
    const body = parseBody(ReassignBody, await readJson(c), 'reassign');
    await caseInScope(c, loop, c.req.param('id'));
    const opts = { actor: actorOf(c, body), ...(body.note !== undefined ? { note: body.note } : {}) };
    return c.json(await loop.cases.reassign(c.req.param('id'), body.owner, opts));
  });

  app.post('/v1/cases/:id/comment', async (c) => {
    const body = parseBody(CommentBody, await readJson(c), 'comment');
    await caseInScope(c, loop, c.req.param('id'));
    return c.json(await loop.cases.comment(c.req.param('id'), body.body, { actor: actorOf(c, body) }));
  });

  app.post('/v1/cases/:id/resolve', async (c) => {
    const body = parseBody(ResolveBody, await readJson(c), 'resolution');
    await caseInScope(c, loop, c.req.param('id'));
    const opts = { actor: actorOf(c, body), ...(body.note !== undefined ? { note: body.note } : {}) };
    return c.json(await loop.cases.resolve(c.req.param('id'), { rootCause: body.rootCause }, opts));
  });

  app.post('/v1/cases/:id/inform', async (c) => {
    const body = parseBody(InformBody, await readJson(c, true), 'message to the customer');
    const message = {
      ...(body.message !== undefined ? { message: body.message } : {}),
      ...(body.gesture ? { gesture: body.gesture } : {}),
      ...(body.template !== undefined ? { template: checkTemplate(options.email, body.template) } : {}),
      ...(body.language !== undefined ? { language: body.language } : {}),
    };
    const { id } = await caseInScope(c, loop, c.req.param('id'));
    const actor = actorOf(c, body);
    const informed = await loop.cases.inform(id, message, { actor });
    // Who told the customer what (R18): the case log's inform step is the loop's own.
    await recordAudit(loop.store, { action: 'inform', actor, caseId: id, ...message });
    return c.json(informed);
  });

  registerAuthRoutes(app, options.auth);
  registerCasesRoutes(app, {
    loop,
    org: options.org ?? { segments: [], directory: [] },
    ...(options.email ? { email: options.email } : {}),
    caseInScope: (c, id) => caseInScope(c, loop, id),
  });
  if (options.rules) registerRulesRoutes(app, { loop, rules: options.rules, actorOf });
  registerPrivacyRoutes(app, {
    loop,
    ...(options.unsubscribeSecret ? { unsubscribeSecret: options.unsubscribeSecret } : {}),
  });
  if (options.console !== false) registerConsole(app, options.consoleDir);

  return app;
}
