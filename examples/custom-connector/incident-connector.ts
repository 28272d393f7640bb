// A connector of your own: mirror closedloop cases into an in-house incident API.
// `defineConnector` keeps the contract (see @closedloop/core's Connector) for you: it checks the
// config (errors name the field), reads `{ env }` secrets, skips effect types you do not declare,
// fails an aborted delivery as retryable, delivers each `effect.key` once per process, and turns
// what you throw into a DeliveryError. You write the part that is yours.
import { defineConnector, httpCall, SecretSchema } from '@closedloop/connectors/kit';
import { z } from 'zod';

const IncidentConnectorConfigSchema = z.object({
  name: z.string().min(1).optional(),
  /** Base URL of the incident API, e.g. https://incidents.internal/api */
  url: z.url(),
  /** API token: a string, or `{ env: 'INCIDENTS_TOKEN' }` in a config file. */
  token: SecretSchema,
});

export const incidentConnector = defineConnector({
  name: 'incidents',
  schema: IncidentConnectorConfigSchema,
  capabilities: ['syncCase'],
  setup({ name, config, secret }) {
    const token = secret(config.token, 'token');
    const base = config.url.replace(/\/$/, '');
    return {
      async deliver(effect, { signal }) {
        if (effect.type !== 'syncCase') return;
        const c = effect.case;
        // An upsert by case id (delivering twice leaves one incident), with the runtime's abort
        // signal and a timeout; 429/5xx become retryable DeliveryErrors with Retry-After.
        await httpCall(`${name}: incident API`, `${base}/incidents/${encodeURIComponent(c.id)}`, {
          method: 'PUT',
          signal,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': effect.key,
          },
          body: JSON.stringify({
            title: `Customer feedback case ${c.id}`,
            status: c.status,
            priority: c.priority,
            team: c.segment,
            assignee: c.owner,
          }),
        });
      },
      async health() {
        await httpCall(`${name}: incident API`, `${base}/health`, {
          method: 'GET',
          signal: AbortSignal.timeout(5_000),
        });
        return { ok: true };
      },
    };
  },
});
