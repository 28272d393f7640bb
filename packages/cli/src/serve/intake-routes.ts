import type { InboundResult, SurveyAdapter } from '@closedloop/connectors';
import { ClosedLoopError, type EmbeddedClosedLoop, type FieldIssue } from '@closedloop/core';
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { principalOf } from './auth/index.ts';
import type { Logger } from './log.ts';

const INBOUND_CODES: Record<number, string> = {
  400: 'INVALID_PAYLOAD',
  401: 'INVALID_SIGNATURE',
  422: 'INVALID_FEEDBACK',
  502: 'UPSTREAM_FAILED',
};

/** Counters of survey deliveries and of fields dropped from answers, in Prometheus text form. */
export interface InboundMetrics {
  request(tool: string, status: number): void;
  warning(tool: string, field: string): void;
  text(): string;
}

function createInboundMetrics(): InboundMetrics {
  const requests = new Map<string, number>();
  const warnings = new Map<string, number>();
  const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
  const label = (v: string) => v.replace(/[\\"\n]/g, '_').slice(0, 100);
  return {
    request: (tool, status) => bump(requests, `tool="${label(tool)}",status="${status}"`),
    warning: (tool, field) => bump(warnings, `tool="${label(tool)}",field="${label(field)}"`),
    text() {
      const lines = [
        '# HELP closedloop_inbound_requests_total Survey webhook deliveries by tool and HTTP status.',
        '# TYPE closedloop_inbound_requests_total counter',
        ...[...requests].map(([k, n]) => `closedloop_inbound_requests_total{${k}} ${n}`),
        '# HELP closedloop_inbound_field_warnings_total Fields dropped from survey answers that were kept.',
        '# TYPE closedloop_inbound_field_warnings_total counter',
        ...[...warnings].map(([k, n]) => `closedloop_inbound_field_warnings_total{${k}} ${n}`),
      ];
      return `${lines.join('\n')}\n`;
    },
  };
}

export interface IntakeDeps {
  loop: EmbeddedClosedLoop;
  adapters: ReadonlyMap<string, SurveyAdapter>;
  log: Logger;
  metrics?: InboundMetrics;
}

function fail(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  issues: FieldIssue[] = [],
  headers: Record<string, string> = {},
) {
  return c.json({ error: { code, message, issues } }, status, headers);
}

/**
 * Survey intake over HTTP: `POST /v1/inbound/:tool` (the tools' webhooks), `HEAD`/`GET` on the
 * same URL (SurveyMonkey checks it answers 200 before it saves a webhook), `GET /v1/feedback/:id`
 * (the stored answer with its warnings) and `GET /metrics` (delivery and warning counters).
 */
export function registerIntakeRoutes(app: Hono, deps: IntakeDeps): InboundMetrics {
  const { loop, adapters, log } = deps;
  const metrics = deps.metrics ?? createInboundMetrics();
  const unknownTool = (c: Context, tool: string) =>
    fail(
      c,
      404,
      'UNKNOWN_TOOL',
      // The enabled tools are named only to signed-in callers.
      principalOf(c)
        ? `No survey tool "${tool.slice(0, 50)}" is enabled; enabled: ${[...adapters.keys()].join(', ') || 'none'} (config "inbound")`
        : 'No such survey tool is enabled (config "inbound")',
      [{ path: 'tool', message: 'not enabled' }],
    );

  // need: public — the tool proves itself with its signature (or URL token), checked by the adapter.
  app.post('/v1/inbound/:tool', async (c) => {
    const tool = c.req.param('tool');
    const adapter = adapters.get(tool);
    if (!adapter) return unknownTool(c, tool);
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const result: InboundResult = await adapter.handle({
      headers: c.req.raw.headers,
      body: raw,
      url: c.req.url,
    });
    if (!result.ok) {
      metrics.request(tool, result.status);
      log('warn', 'inbound refused', { tool, status: result.status });
      return fail(
        c,
        result.status,
        INBOUND_CODES[result.status] ?? 'INVALID_PAYLOAD',
        result.error,
        result.issues ?? [],
        result.status === 502 ? { 'retry-after': String(result.retryAfter ?? 60) } : {},
      );
    }
    const results = [];
    for (const event of result.events) {
      let r: Awaited<ReturnType<typeof loop.capture>>;
      try {
        r = await loop.capture(event.feedback, {
          onDuplicate: event.action === 'update' ? 'update' : 'ignore',
        });
      } catch (e) {
        if (e instanceof ClosedLoopError && e.code === 'INVALID_FEEDBACK') {
          metrics.request(tool, 422);
          return fail(c, 422, e.code, `${tool}: ${e.message}`, [...e.issues]);
        }
        throw e;
      }
      const warnings = event.feedback.warnings ?? [];
      for (const w of warnings) metrics.warning(tool, w.field);
      if (warnings.length)
        log('warn', 'inbound fields dropped', { tool, fields: warnings.map((w) => w.field).join(',') });
      results.push({
        loopId: r.loopId,
        feedbackId: r.feedbackId,
        duplicate: r.duplicate,
        updated: r.updated,
        ...(r.case ? { caseId: r.case.id } : {}),
        ...(warnings.length ? { warnings } : {}),
      });
    }
    metrics.request(tool, 200);
    // Answered only now: every response above is durable in the store.
    return c.json({ tool, received: results.length, results }, 200);
  });

  // need: public — answers 200 for an enabled tool (HEAD follows GET): SurveyMonkey checks the URL
  // with HEAD before it saves a webhook. Says nothing beyond "this tool is enabled".
  app.get('/v1/inbound/:tool', (c) => {
    const tool = c.req.param('tool');
    return adapters.has(tool) ? c.json({ tool, ready: true }) : unknownTool(c, tool);
  });

  // need: read
  app.get('/v1/feedback/:id', async (c) => {
    const id = c.req.param('id');
    const feedback = await loop.store.getFeedback(id);
    if (!feedback)
      return fail(c, 404, 'FEEDBACK_NOT_FOUND', `No feedback "${id.slice(0, 100)}"`, [
        { path: 'id', message: 'not found' },
      ]);
    return c.json(feedback);
  });

  // need: read
  app.get('/metrics', (c) =>
    c.body(metrics.text(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );

  return metrics;
}
