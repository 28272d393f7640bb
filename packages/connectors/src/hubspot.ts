import http from 'node:http';
import https from 'node:https';
import { type CaseSummary, DeliveryError, type HealthStatus } from '@closedloop/core';
import type { Client } from '@hubspot/api-client';
import { z } from 'zod';
import { caseTitle } from './case-title.ts';
import { isRetryableStatus, parseRetryAfter } from './http.ts';
import { type ConnectorOptions, defineConnector, loadOptionalPeer, withTimeout } from './kit/index.ts';
import { SecretSchema } from './secrets.ts';

export const HubSpotConnectorConfigSchema = z.object({
  name: z.string().min(1).optional(),
  /** A private app's access token. */
  accessToken: SecretSchema,
  /** API base URL (default HubSpot's), e.g. a test server. */
  basePath: z.url().optional(),
  /** Ticket property holding the closedloop case id: single-line text with "Require unique values". */
  caseIdProperty: z.string().min(1).optional(),
  pipeline: z.string().optional(),
  /** Pipeline stage ids for our statuses (default pipeline: 1 new, 2 waiting on contact, 3 waiting on us, 4 closed). */
  stages: z.record(z.string(), z.string()).optional(),
  /** Also write a note on the customer's contact (found by email) when the ticket is created. */
  noteOnContact: z.boolean().optional(),
  /** Per-delivery time limit in ms (default 15 s); the runtime's deadline applies too. */
  timeoutMs: z.int().positive().optional(),
});
export type HubSpotConnectorOptions = ConnectorOptions<typeof HubSpotConnectorConfigSchema>;

const STAGES: Record<string, string> = { new: '1', open: '3', escalated: '3', resolved: '4' };
const PRIORITY: Record<string, string> = { low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'URGENT' };
// HubSpot-defined association type note → contact.
const NOTE_TO_CONTACT = 202;

/** A `@hubspot/api-client` error as a `DeliveryError`, by HTTP status (429 with Retry-After). */
export function classifyHubSpotError(err: unknown): DeliveryError {
  const e = err as { code?: number; headers?: Record<string, string>; body?: unknown; message?: string };
  if (typeof e.code === 'number') {
    const retryable = isRetryableStatus(e.code);
    const retryAfterMs = parseRetryAfter(e.headers?.['retry-after']);
    const detail =
      typeof e.body === 'object' && e.body && 'message' in e.body
        ? String(e.body.message)
        : (e.message ?? '');
    return new DeliveryError(`hubspot: HTTP ${e.code}: ${detail.slice(0, 300)}`, {
      retryable,
      ...(retryable && retryAfterMs !== undefined ? { retryAfterMs } : {}),
      cause: err,
    });
  }
  return new DeliveryError(`hubspot: ${e.message ?? String(err)}`, { retryable: true, cause: err });
}

type SearchRequest = Parameters<Client['crm']['tickets']['searchApi']['doSearch']>[0];
type Operator = NonNullable<SearchRequest['filterGroups']>[number]['filters'][number]['operator'];
type NoteInput = Parameters<Client['crm']['objects']['notes']['basicApi']['create']>[0];
type AssociationCategory = NonNullable<
  NoteInput['associations']
>[number]['types'][number]['associationCategory'];

const eq = (propertyName: string, value: string): SearchRequest => ({
  filterGroups: [{ filters: [{ propertyName, operator: 'EQ' as Operator, value }] }],
  properties: [propertyName],
  limit: 1,
});

/**
 * Mirrors cases into HubSpot tickets with the official `@hubspot/api-client` (an optional peer
 * dependency): an upsert by a unique case-id property, so a replay updates the ticket instead of
 * creating another; the ticket is associated with the customer's contact (found by email) and,
 * with `noteOnContact`, a note with the customer's comment is added to that contact once. Each
 * delivery gets its own HTTP agent, destroyed when the delivery's signal aborts or `timeoutMs`
 * passes: a hung HubSpot never holds the delivery.
 *
 * @example
 * hubspotConnector({ accessToken: { env: 'HUBSPOT_TOKEN' }, noteOnContact: true });
 */
export const hubspotConnector = defineConnector({
  name: 'hubspot',
  schema: HubSpotConnectorConfigSchema,
  capabilities: ['syncCase'],
  classify: classifyHubSpotError,
  setup({ name, config: cfg, secret }) {
    const accessToken = secret(cfg.accessToken, 'accessToken');
    const idProp = cfg.caseIdProperty ?? 'closedloop_case_id';
    const stages = { ...STAGES, ...cfg.stages };
    const basePath = (cfg.basePath ?? 'https://api.hubapi.com').replace(/\/$/, '');
    const sdk = () => loadOptionalPeer<typeof import('@hubspot/api-client')>('@hubspot/api-client');
    // A client per call whose sockets die with the signal: the SDK takes no abort signal.
    const withClient = async <T>(signal: AbortSignal, work: (h: Client) => Promise<T>): Promise<T> => {
      const { Client } = await sdk();
      return withTimeout(name, cfg.timeoutMs ?? 15_000, signal, async (deadline) => {
        // Keep-alive within the delivery (its 2-4 calls share a connection); a new one per delivery.
        const agent = basePath.startsWith('https:')
          ? new https.Agent({ keepAlive: true })
          : new http.Agent({ keepAlive: true });
        const stop = () => agent.destroy();
        deadline.addEventListener('abort', stop, { once: true });
        try {
          return await work(
            new Client({ accessToken, basePath, numberOfApiCallRetries: 0, httpAgent: agent }),
          );
        } finally {
          deadline.removeEventListener('abort', stop);
          agent.destroy();
        }
      });
    };
    const properties = (c: CaseSummary) => ({
      subject: caseTitle(c),
      content: c.feedbackComment,
      hs_pipeline: cfg.pipeline ?? '0',
      hs_pipeline_stage: stages[c.status] ?? '1',
      hs_ticket_priority: PRIORITY[c.priority] ?? 'MEDIUM',
    });

    return {
      deliver: (effect, { signal }) =>
        withClient(signal, async (h) => {
          if (effect.type !== 'syncCase') return;
          const c = effect.case;
          // Upsert by the unique case-id property: one ticket per case, whatever is replayed.
          const upserted = await h.crm.tickets.batchApi.upsert({
            inputs: [{ idProperty: idProp, id: c.id, properties: properties(c) }],
          });
          const ticket = upserted.results[0];
          if (!ticket) {
            const errors = ('errors' in upserted ? upserted.errors : undefined) ?? [];
            const why = errors.map((x) => x.message).join('; ') || 'no result';
            throw new DeliveryError(`${name}: ticket upsert for ${c.id} failed: ${why}`, {
              retryable: false,
            });
          }
          // A customer known by id only (no email) has no contact to find by email.
          const contact = c.customerEmail
            ? (await h.crm.contacts.searchApi.doSearch(eq('email', c.customerEmail))).results[0]
            : undefined;
          if (!contact) return;
          // Associating is idempotent (PUT), so it runs on every sync: a crash after the upsert is repaired.
          await h.crm.associations.v4.basicApi.createDefault('tickets', ticket.id, 'contacts', contact.id);
          if (ticket._new && cfg.noteOnContact) {
            await h.crm.objects.notes.basicApi.create({
              properties: {
                hs_timestamp: c.createdAt,
                hs_note_body: `Feedback (case ${c.id}${c.nps !== undefined ? `, NPS ${c.nps}` : ''}): ${c.feedbackComment}`,
              },
              associations: [
                {
                  to: { id: contact.id },
                  types: [
                    {
                      associationCategory: 'HUBSPOT_DEFINED' as AssociationCategory,
                      associationTypeId: NOTE_TO_CONTACT,
                    },
                  ],
                },
              ],
            });
          }
        }),
      async health(): Promise<HealthStatus> {
        await withClient(AbortSignal.timeout(10_000), (h) =>
          h.crm.tickets.searchApi.doSearch(eq(idProp, '__health__')),
        );
        return { ok: true, detail: 'token can search tickets' };
      },
    };
  },
});
