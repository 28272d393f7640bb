import { type CaseSummary, type Connector, DeliveryError, type HealthStatus } from '@closedloop/core';
import { z } from 'zod';
import { caseTitle } from './case-title.ts';
import { isRetryableStatus, parseRetryAfter } from './http.ts';
import { DeliveryLedger } from './ledger.ts';
import { configError, resolveSecret, SecretSchema } from './secrets.ts';

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
});
export type HubSpotConnectorOptions = z.input<typeof HubSpotConnectorConfigSchema> & {
  env?: NodeJS.ProcessEnv;
};

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

interface SearchResult {
  results: { id: string }[];
}
interface UpsertResult {
  results: { id: string; _new?: boolean; new?: boolean }[];
  errors?: { message?: string; status?: string }[];
}
interface HubSpotLike {
  crm: {
    tickets: {
      batchApi: { upsert(input: unknown): Promise<UpsertResult> };
      searchApi: { doSearch(input: unknown): Promise<SearchResult> };
    };
    contacts: { searchApi: { doSearch(input: unknown): Promise<SearchResult> } };
    associations: {
      v4: {
        basicApi: { createDefault(from: string, fromId: string, to: string, toId: string): Promise<unknown> };
      };
    };
    objects: { notes: { basicApi: { create(input: unknown): Promise<{ id: string }> } } };
  };
}

const eq = (propertyName: string, value: string) => ({
  filterGroups: [{ filters: [{ propertyName, operator: 'EQ', value }] }],
  properties: [propertyName],
  limit: 1,
});

/**
 * Mirrors cases into HubSpot tickets with the official `@hubspot/api-client` (an optional peer
 * dependency): an upsert by a unique case-id property, so a replay updates the ticket instead of
 * creating another; the ticket is associated with the customer's contact (found by email) and,
 * with `noteOnContact`, a note with the customer's comment is added to that contact once.
 *
 * @example
 * hubspotConnector({ accessToken: { env: 'HUBSPOT_TOKEN' }, noteOnContact: true });
 */
export function hubspotConnector(options: HubSpotConnectorOptions): Connector {
  const name = options.name ?? 'hubspot';
  const parsed = HubSpotConnectorConfigSchema.safeParse(options);
  if (!parsed.success) throw configError(name, parsed.error);
  const cfg = parsed.data;
  const accessToken = resolveSecret(cfg.accessToken, { connector: name, path: 'accessToken' }, options.env);
  const idProp = cfg.caseIdProperty ?? 'closedloop_case_id';
  const stages = { ...STAGES, ...cfg.stages };
  const ledger = new DeliveryLedger();
  let client: Promise<HubSpotLike> | undefined;
  const hubspot = () => {
    client ??= import('@hubspot/api-client').then(
      (m) =>
        new m.Client({
          accessToken,
          numberOfApiCallRetries: 0,
          ...(cfg.basePath ? { basePath: cfg.basePath.replace(/\/$/, '') } : {}),
        }) as unknown as HubSpotLike,
      (err: unknown) => {
        client = undefined;
        throw new DeliveryError(
          `${name}: needs the @hubspot/api-client package: install it (${String(err)})`,
          {
            retryable: false,
            cause: err,
          },
        );
      },
    );
    return client;
  };
  const properties = (c: CaseSummary) => ({
    [idProp]: c.id,
    subject: caseTitle(c),
    content: c.feedbackComment,
    hs_pipeline: cfg.pipeline ?? '0',
    hs_pipeline_stage: stages[c.status] ?? '1',
    hs_ticket_priority: PRIORITY[c.priority] ?? 'MEDIUM',
  });

  return {
    name,
    capabilities: ['syncCase'],
    async deliver(effect, ctx) {
      if (effect.type !== 'syncCase') return;
      if (ctx.signal.aborted) throw new DeliveryError(`${name}: delivery aborted`, { retryable: true });
      await ledger.once(effect.key, async () => {
        const h = await hubspot();
        const c = effect.case;
        try {
          // Upsert by the unique case-id property: one ticket per case, whatever is replayed.
          const { [idProp]: _id, ...props } = properties(c);
          const upserted = await h.crm.tickets.batchApi.upsert({
            inputs: [{ idProperty: idProp, id: c.id, properties: props }],
          });
          const ticket = upserted.results[0];
          if (!ticket) {
            const why = upserted.errors?.map((x) => x.message).join('; ') || 'no result';
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
          if ((ticket._new ?? ticket.new) && cfg.noteOnContact) {
            await h.crm.objects.notes.basicApi.create({
              properties: {
                hs_timestamp: c.createdAt,
                hs_note_body: `Feedback (case ${c.id}${c.nps !== undefined ? `, NPS ${c.nps}` : ''}): ${c.feedbackComment}`,
              },
              associations: [
                {
                  to: { id: contact.id },
                  types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: NOTE_TO_CONTACT }],
                },
              ],
            });
          }
        } catch (err) {
          throw classifyHubSpotError(err);
        }
      });
    },
    async health(): Promise<HealthStatus> {
      try {
        await (await hubspot()).crm.tickets.searchApi.doSearch(eq(idProp, '__health__'));
        return { ok: true, detail: 'token can search tickets' };
      } catch (err) {
        return { ok: false, detail: classifyHubSpotError(err).message };
      }
    },
  };
}
