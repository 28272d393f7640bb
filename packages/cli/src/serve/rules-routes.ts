// The Rules API of `closedloop serve`: the rule workbench's backend (docs/rules.md, "HTTP API").
import { type EmbeddedClosedLoop, FeedbackSchema, formatPath } from '@closedloop/core';
import { RULES_JSON_SCHEMA } from '@closedloop/rules';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { RulesHttpError, type RulesService } from './rules-service.ts';

export interface RulesRoutesDeps {
  loop: EmbeddedClosedLoop;
  rules: RulesService;
  /** Who is acting (app.ts `actorOf`: the signed-in principal). */
  actorOf(c: Context, body: { actor?: string | undefined }): string;
}

const Files = z.record(z.string(), z.unknown());
const ValidateBody = z.object({ files: Files }).strict();
const ExplainBody = z
  .object({
    files: Files.optional(),
    feedback: z.unknown().optional(),
    feedbackId: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((b) => (b.feedback === undefined) !== (b.feedbackId === undefined), {
    message: 'give either "feedback" or "feedbackId"',
    path: ['feedback'],
  });
const FixturesBody = z
  .object({ files: Files, fixtures: z.record(z.string(), z.unknown()).optional() })
  .strict();
const Iso = z.iso.datetime({ offset: true });
const BacktestBody = z.object({ files: Files, from: Iso.optional(), to: Iso.optional() }).strict();
const PublishBody = z.object({ files: Files, comment: z.string().min(1).max(2000) }).strict();
const RollbackBody = z
  .object({ version: z.string().min(1).max(40), comment: z.string().max(2000).optional() })
  .strict();
const ApplyBody = z.object({ dryRun: z.boolean().optional() }).strict();

function problem(c: Context, e: RulesHttpError) {
  return c.json({ error: { code: e.code, message: e.message, issues: e.issues } }, e.status);
}

async function body<T>(c: Context, schema: z.ZodType<T>, optional = false): Promise<T> {
  const text = await c.req.text();
  let value: unknown = {};
  if (!(optional && text.trim() === '')) {
    if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test((c.req.header('content-type') ?? '').trim()))
      throw new RulesHttpError(
        400,
        'UNSUPPORTED_MEDIA_TYPE',
        'Send the body as JSON with "Content-Type: application/json"',
      );
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new RulesHttpError(400, 'INVALID_JSON', `The body is not valid JSON: ${(e as Error).message}`);
    }
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({
      path: formatPath(i.path),
      message: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message,
    }));
    throw new RulesHttpError(
      400,
      'INVALID_INPUT',
      `Invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return r.data;
}

/** Wraps a handler so a RulesHttpError becomes its JSON error; other errors go to the app's handler. */
const handle =
  (fn: (c: Context) => Promise<Response>) =>
  async (c: Context): Promise<Response> => {
    try {
      return await fn(c);
    } catch (e) {
      if (e instanceof RulesHttpError) return problem(c, e);
      throw e;
    }
  };

/**
 * Adds the Rules API (`/v1/rules…`) to the serve app. Each route notes the permission it needs.
 *
 * @example
 * registerRulesRoutes(app, { loop, rules: createRulesService({ loop, directory, segments }), actorOf });
 */
export function registerRulesRoutes(app: Hono, deps: RulesRoutesDeps): void {
  const { rules, loop } = deps;

  // need: read
  app.get(
    '/v1/rules',
    handle(async (c) => {
      await rules.refresh();
      return c.json(await rules.overview());
    }),
  );

  // need: read
  app.get(
    '/v1/rules/catalogue',
    handle(async (c) => c.json(rules.catalogue())),
  );

  // need: read
  app.get(
    '/v1/rules/schema',
    handle(async (c) => c.json(RULES_JSON_SCHEMA)),
  );

  // need: read
  app.post(
    '/v1/rules/validate',
    handle(async (c) => {
      const b = await body(c, ValidateBody);
      return c.json(rules.validate(b.files));
    }),
  );

  // need: read
  app.post(
    '/v1/rules/explain',
    handle(async (c) => {
      const b = await body(c, ExplainBody);
      let feedback: z.output<typeof FeedbackSchema> | undefined;
      if (b.feedbackId !== undefined) {
        feedback = await loop.store.getFeedback(b.feedbackId);
        if (!feedback)
          throw new RulesHttpError(
            404,
            'FEEDBACK_NOT_FOUND',
            `No stored feedback "${b.feedbackId.slice(0, 60)}"`,
            [{ path: 'feedbackId', message: 'not found' }],
          );
      } else {
        const now = new Date().toISOString();
        const input = (b.feedback ?? {}) as Record<string, unknown>;
        const parsed = FeedbackSchema.safeParse({
          id: 'explain',
          source: { tool: 'explain', responseId: 'explain' },
          receivedAt: now,
          ...(input && typeof input === 'object' ? input : {}),
        });
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => ({
            path: formatPath(['feedback', ...i.path]),
            message: i.message,
          }));
          throw new RulesHttpError(
            400,
            'INVALID_FEEDBACK',
            `The feedback is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            issues,
          );
        }
        feedback = parsed.data;
      }
      return c.json(rules.explain(feedback, b.files, new Date(feedback.receivedAt)));
    }),
  );

  // need: read
  app.post(
    '/v1/rules/fixtures',
    handle(async (c) => {
      const b = await body(c, FixturesBody);
      return c.json(await rules.fixtures(b.files, b.fixtures));
    }),
  );

  // need: read
  app.post(
    '/v1/rules/backtest',
    handle(async (c) => {
      const b = await body(c, BacktestBody);
      const jobId = rules.startBacktest(b.files, {
        ...(b.from ? { from: b.from } : {}),
        ...(b.to ? { to: b.to } : {}),
      });
      return c.json({ jobId }, 202);
    }),
  );

  // need: read
  app.get(
    '/v1/rules/backtest/:jobId',
    handle(async (c) => {
      const job = rules.backtestJob(c.req.param('jobId') ?? '');
      if (!job)
        throw new RulesHttpError(
          404,
          'JOB_NOT_FOUND',
          'No such backtest on this server; start one with POST /v1/rules/backtest',
        );
      return c.json(job);
    }),
  );

  // need: rules
  app.post(
    '/v1/rules/publish',
    handle(async (c) => {
      const b = await body(c, PublishBody);
      if (rules.readOnly) throw rules.readOnlyError();
      const published = await rules.publish(b.files, deps.actorOf(c, {}), b.comment);
      return c.json({ version: published.version }, 201);
    }),
  );

  // need: read
  app.get(
    '/v1/rules/versions',
    handle(async (c) => c.json(await rules.versions.list())),
  );

  // need: read
  app.get(
    '/v1/rules/versions/:version',
    handle(async (c) => {
      const v = await rules.version(c.req.param('version') ?? '');
      if (!v)
        throw new RulesHttpError(
          404,
          'VERSION_NOT_FOUND',
          'No such rules version; see GET /v1/rules/versions',
        );
      return c.json(v);
    }),
  );

  // need: rules
  app.post(
    '/v1/rules/rollback',
    handle(async (c) => {
      const b = await body(c, RollbackBody);
      if (rules.readOnly) throw rules.readOnlyError();
      const v = await rules.rollback(b.version, deps.actorOf(c, {}), b.comment);
      return c.json({ version: v.version, rollbackOf: b.version });
    }),
  );

  // need: rules
  app.post(
    '/v1/rules/apply',
    handle(async (c) => {
      const b = await body(c, ApplyBody, true);
      const actor = deps.actorOf(c, {});
      return c.json(await rules.apply(actor, b.dryRun === true));
    }),
  );
}
