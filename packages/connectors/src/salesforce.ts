import { type CaseSummary, DeliveryError, type HealthStatus } from '@closedloop/core';
import type { Connection } from 'jsforce';
import { z } from 'zod';
import { caseTitle } from './case-title.ts';
import { type ConnectorOptions, defineConnector, lazy, loadOptionalPeer, withTimeout } from './kit/index.ts';
import { SecretSchema } from './secrets.ts';

export const SalesforceConnectorConfigSchema = z.object({
  name: z.string().min(1).optional(),
  /** Your org's instance URL, e.g. `https://acme.my.salesforce.com`. */
  instanceUrl: z.url(),
  /** An OAuth access token (e.g. from the client-credentials or JWT bearer flow). */
  accessToken: SecretSchema,
  apiVersion: z
    .string()
    .regex(/^\d+\.\d$/)
    .optional(),
  /** The Case custom field marked External ID that holds the closedloop case id. */
  externalIdField: z.string().min(1).optional(),
  /** Case Status picklist values for our statuses (default New / Working / Escalated / Closed). */
  statusMap: z.record(z.string(), z.string()).optional(),
  /** Case Priority values (default Low / Medium / High / High). */
  priorityMap: z.record(z.string(), z.string()).optional(),
  /** Extra constant fields on every Case, e.g. `{ Origin: 'Survey' }`. */
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Per-delivery time limit in ms (default 15 s); the runtime's deadline applies too. */
  timeoutMs: z.int().positive().optional(),
});
export type SalesforceConnectorOptions = ConnectorOptions<typeof SalesforceConnectorConfigSchema>;

const STATUS: Record<string, string> = {
  new: 'New',
  open: 'Working',
  escalated: 'Escalated',
  resolved: 'Closed',
};
const PRIORITY: Record<string, string> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'High' };
const RETRYABLE = new Set([
  'REQUEST_LIMIT_EXCEEDED',
  'SERVER_UNAVAILABLE',
  'UNABLE_TO_LOCK_ROW',
  'API_CURRENTLY_DISABLED',
  'ERROR_HTTP_408',
  'ERROR_HTTP_429',
  'ERROR_HTTP_500',
  'ERROR_HTTP_502',
  'ERROR_HTTP_503',
  'ERROR_HTTP_504',
]);

/** A jsforce / Salesforce REST error as a `DeliveryError`, by its `errorCode`. */
export function classifySalesforceError(err: unknown): DeliveryError {
  const e = err as { errorCode?: string; name?: string; message?: string; code?: string };
  const code = e.errorCode ?? '';
  const message = `salesforce: ${code ? `${code}: ` : ''}${e.message ?? String(err)}`;
  const network = err instanceof TypeError || (e.code !== undefined && /^E[A-Z]+|UND_ERR/.test(e.code));
  return new DeliveryError(message, { retryable: network || RETRYABLE.has(code), cause: err });
}

/**
 * Mirrors cases into Salesforce Cases (R25) with the official `jsforce` (an optional peer
 * dependency): an upsert on an External ID field (`PATCH /sobjects/Case/{field}/{caseId}`), so a
 * retried or replayed effect updates the same Case and never creates a second one. jsforce takes
 * no abort signal: the delivery stops when its signal aborts or `timeoutMs` passes, and the
 * request left running can only repeat the same upsert.
 *
 * @example
 * salesforceConnector({ instanceUrl: 'https://acme.my.salesforce.com', accessToken: { env: 'SF_ACCESS_TOKEN' } });
 */
export const salesforceConnector = defineConnector({
  name: 'salesforce',
  schema: SalesforceConnectorConfigSchema,
  capabilities: ['syncCase'],
  classify: classifySalesforceError,
  setup({ name, config: cfg, secret }) {
    const accessToken = secret(cfg.accessToken, 'accessToken');
    const extId = cfg.externalIdField ?? 'ClosedLoop_Case_Id__c';
    const status = { ...STATUS, ...cfg.statusMap };
    const priority = { ...PRIORITY, ...cfg.priorityMap };
    const connection = lazy(async () => {
      const { Connection } = await loadOptionalPeer<typeof import('jsforce')>('jsforce');
      return new Connection({
        instanceUrl: cfg.instanceUrl.replace(/\/$/, ''),
        accessToken,
        version: cfg.apiVersion ?? '62.0',
      });
    });
    const within = async <T>(work: (c: Connection) => Promise<T>, signal: AbortSignal) => {
      const c = await connection();
      return withTimeout(name, cfg.timeoutMs ?? 15_000, signal, () => work(c));
    };
    const record = (c: CaseSummary): Record<string, unknown> => ({
      [extId]: c.id,
      Subject: caseTitle(c),
      Description: c.feedbackComment,
      Status: status[c.status] ?? c.status,
      Priority: priority[c.priority] ?? c.priority,
      SuppliedEmail: c.customerEmail,
      ...(c.customerName ? { SuppliedName: c.customerName } : {}),
      ...cfg.fields,
    });
    return {
      async deliver(effect, { signal }) {
        if (effect.type !== 'syncCase') return;
        await within((c) => c.sobject('Case').upsert(record(effect.case), extId), signal);
      },
      async health(): Promise<HealthStatus> {
        await within((c) => c.limits(), AbortSignal.timeout(10_000));
        return { ok: true, detail: `token accepted by ${cfg.instanceUrl}` };
      },
    };
  },
});
