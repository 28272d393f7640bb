import { type CaseSummary, DeliveryError, type EffectOf, type HealthStatus } from '@closedloop/core';
import { z } from 'zod';
import { caseTitle } from './case-title.ts';
import { httpCall } from './http.ts';
import { type ConnectorOptions, defineConnector } from './kit/index.ts';
import { SecretSchema } from './secrets.ts';

export const ZendeskConnectorConfigSchema = z
  .object({
    name: z.string().min(1).optional(),
    /** `acme` for acme.zendesk.com; or give `baseUrl`. */
    subdomain: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .optional(),
    baseUrl: z.url().optional(),
    /** Agent email and API token (Admin Center → Apps and integrations → Zendesk API). */
    email: SecretSchema,
    apiToken: SecretSchema,
    /** `syncCase` creates/updates tickets; `notify` adds case comments to the ticket as internal notes. */
    capabilities: z.array(z.enum(['syncCase', 'notify'])).optional(),
    /** Extra tags on every ticket. */
    tags: z.array(z.string()).optional(),
    groupId: z.int().optional(),
    timeoutMs: z.int().positive().optional(),
  })
  .refine((c) => c.subdomain || c.baseUrl, {
    message: 'set subdomain (acme) or baseUrl',
    path: ['subdomain'],
  });
export type ZendeskConnectorOptions = ConnectorOptions<typeof ZendeskConnectorConfigSchema>;

const PRIORITY: Record<string, string> = { low: 'low', medium: 'normal', high: 'high', critical: 'urgent' };
const STATUS: Record<string, string> = { new: 'new', open: 'open', escalated: 'open', resolved: 'solved' };

interface Ticket {
  id: number;
}

/**
 * Mirrors cases into Zendesk Support tickets (R25) over the REST API: one ticket per case, found
 * again by `external_id` (the case id), so a retried or replayed effect updates instead of
 * duplicating; creation also sends an `Idempotency-Key`. Case comments become internal notes.
 *
 * @example
 * zendeskConnector({ subdomain: 'acme', email: { env: 'ZENDESK_EMAIL' }, apiToken: { env: 'ZENDESK_API_TOKEN' } });
 */
export const zendeskConnector = defineConnector({
  name: 'zendesk',
  schema: ZendeskConnectorConfigSchema,
  capabilities: (cfg) => cfg.capabilities ?? ['syncCase'],
  setup({ name, config: cfg, secret }) {
    const email = secret(cfg.email, 'email');
    const token = secret(cfg.apiToken, 'apiToken');
    const base = (cfg.baseUrl ?? `https://${cfg.subdomain}.zendesk.com`).replace(/\/$/, '');
    const auth = `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;

    const call = async (
      method: string,
      path: string,
      signal: AbortSignal,
      body?: unknown,
      extra?: Record<string, string>,
    ) => {
      const res = await httpCall(`${name}: ${method} ${path.split('?')[0]}`, `${base}${path}`, {
        method,
        signal,
        timeoutMs: cfg.timeoutMs,
        headers: {
          authorization: auth,
          accept: 'application/json',
          'content-type': 'application/json',
          ...extra,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    };

    const findTicket = async (caseId: string, signal: AbortSignal): Promise<Ticket | undefined> => {
      const r = await call('GET', `/api/v2/tickets.json?external_id=${encodeURIComponent(caseId)}`, signal);
      const tickets = Array.isArray(r.tickets) ? (r.tickets as Ticket[]) : [];
      return tickets[0];
    };

    const fields = (c: CaseSummary) => ({
      subject: caseTitle(c),
      priority: PRIORITY[c.priority] ?? 'normal',
      status: STATUS[c.status] ?? 'open',
      tags: [
        'closedloop',
        `segment_${c.segment.toLowerCase().replace(/[^a-z0-9_]+/g, '_')}`,
        ...(c.status === 'escalated' ? ['escalated'] : []),
        ...(cfg.tags ?? []),
      ],
      external_id: c.id,
      ...(cfg.groupId !== undefined ? { group_id: cfg.groupId } : {}),
    });

    const sync = async (e: EffectOf<'syncCase'>, signal: AbortSignal) => {
      const c = e.case;
      const existing = await findTicket(c.id, signal);
      if (!existing) {
        await call(
          'POST',
          '/api/v2/tickets.json',
          signal,
          {
            ticket: {
              ...fields(c),
              // Without an email (a customer known by id only) Zendesk makes the requester from a name.
              requester: c.customerEmail
                ? { email: c.customerEmail, ...(c.customerName ? { name: c.customerName } : {}) }
                : { name: c.customerName ?? `Customer ${c.customerId ?? c.id}` },
              comment: { body: c.feedbackComment || '(no comment)', public: false },
            },
          },
          { 'idempotency-key': e.key },
        );
        return;
      }
      await call('PUT', `/api/v2/tickets/${existing.id}.json`, signal, { ticket: fields(c) });
    };

    const note = async (e: EffectOf<'notify'>, signal: AbortSignal) => {
      if (!e.comment && e.changes.length === 0) return;
      const existing = await findTicket(e.case.id, signal);
      if (!existing) {
        throw new DeliveryError(`${name}: no ticket with external_id ${e.case.id} yet (syncCase first)`, {
          retryable: true,
          retryAfterMs: 5_000,
        });
      }
      const lines = [
        ...e.changes.map((ch) => `${ch.field}: ${ch.before ?? '—'} → ${ch.after ?? '—'}`),
        ...(e.comment ? [e.comment] : []),
      ];
      await call('PUT', `/api/v2/tickets/${existing.id}.json`, signal, {
        ticket: { comment: { body: `${e.actor}:\n${lines.join('\n')}`, public: false } },
      });
    };

    return {
      accepts: (effect) =>
        effect.type === 'syncCase' || (effect.type === 'notify' && effect.reason === 'caseUpdated'),
      async deliver(effect, { signal }) {
        if (effect.type === 'syncCase') await sync(effect, signal);
        else if (effect.type === 'notify') await note(effect, signal);
      },
      async health(): Promise<HealthStatus> {
        const r = await call('GET', '/api/v2/users/me.json', AbortSignal.timeout(10_000));
        const user = r.user as { email?: string; role?: string } | undefined;
        if (!user || user.role === 'end-user')
          return { ok: false, detail: 'the credentials are not an agent' };
        return { ok: true, detail: `signed in as ${user.email} (${user.role})` };
      },
    };
  },
});
