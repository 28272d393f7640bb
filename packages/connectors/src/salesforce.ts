import { type CaseSummary, type Connector, DeliveryError, type HealthStatus } from '@closedloop/core';
import { z } from 'zod';
import { caseTitle } from './case-title.ts';
import { DeliveryLedger } from './ledger.ts';
import { configError, resolveSecret, SecretSchema } from './secrets.ts';

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
});
export type SalesforceConnectorOptions = z.input<typeof SalesforceConnectorConfigSchema> & {
  env?: NodeJS.ProcessEnv;
};

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

interface SObjectApi {
  upsert(record: Record<string, unknown>, extIdField: string): Promise<unknown>;
}
interface ConnectionLike {
  sobject(type: string): SObjectApi;
  limits(): Promise<unknown>;
}

/**
 * Mirrors cases into Salesforce Cases (R25) with the official `jsforce` (an optional peer
 * dependency): an upsert on an External ID field (`PATCH /sobjects/Case/{field}/{caseId}`), so a
 * retried or replayed effect updates the same Case and never creates a second one.
 *
 * @example
 * salesforceConnector({ instanceUrl: 'https://acme.my.salesforce.com', accessToken: { env: 'SF_ACCESS_TOKEN' } });
 */
export function salesforceConnector(options: SalesforceConnectorOptions): Connector {
  const name = options.name ?? 'salesforce';
  const parsed = SalesforceConnectorConfigSchema.safeParse(options);
  if (!parsed.success) throw configError(name, parsed.error);
  const cfg = parsed.data;
  const accessToken = resolveSecret(cfg.accessToken, { connector: name, path: 'accessToken' }, options.env);
  const extId = cfg.externalIdField ?? 'ClosedLoop_Case_Id__c';
  const status = { ...STATUS, ...cfg.statusMap };
  const priority = { ...PRIORITY, ...cfg.priorityMap };
  const ledger = new DeliveryLedger();
  let conn: Promise<ConnectionLike> | undefined;
  const connection = () => {
    conn ??= import('jsforce').then(
      (m) =>
        new m.Connection({
          instanceUrl: cfg.instanceUrl.replace(/\/$/, ''),
          accessToken,
          version: cfg.apiVersion ?? '62.0',
        }) as unknown as ConnectionLike,
      (err: unknown) => {
        conn = undefined;
        throw new DeliveryError(`${name}: needs the jsforce package: install it (${String(err)})`, {
          retryable: false,
          cause: err,
        });
      },
    );
    return conn;
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
    name,
    capabilities: ['syncCase'],
    async deliver(effect, ctx) {
      if (effect.type !== 'syncCase') return;
      if (ctx.signal.aborted) throw new DeliveryError(`${name}: delivery aborted`, { retryable: true });
      await ledger.once(effect.key, async () => {
        const c = await connection();
        try {
          await c.sobject('Case').upsert(record(effect.case), extId);
        } catch (err) {
          throw classifySalesforceError(err);
        }
      });
    },
    async health(): Promise<HealthStatus> {
      try {
        await (await connection()).limits();
        return { ok: true, detail: `token accepted by ${cfg.instanceUrl}` };
      } catch (err) {
        return { ok: false, detail: classifySalesforceError(err).message };
      }
    },
  };
}
