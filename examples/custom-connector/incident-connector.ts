// A connector of your own: mirror closedloop cases into an in-house incident API.
// The contract (see @closedloop/core's Connector): declare the effect types you handle, deliver
// each one idempotently by `effect.key`, and say whether a failure is worth retrying.
import { type Connector, DeliveryError, type Effect } from '@closedloop/core';

export interface IncidentConnectorOptions {
  /** Base URL of the incident API, e.g. https://incidents.internal/api */
  url: string;
  /** API token; read it from the environment, never from a config file. */
  token: string;
}

export function incidentConnector(options: IncidentConnectorOptions): Connector {
  return {
    name: 'incidents',
    capabilities: ['syncCase'],
    async deliver(effect: Effect, ctx) {
      if (effect.type !== 'syncCase') return;
      const c = effect.case;
      let res: Response;
      try {
        res = await fetch(`${options.url}/incidents/${encodeURIComponent(c.id)}`, {
          method: 'PUT', // an upsert by case id: delivering twice leaves one incident
          signal: ctx.signal,
          headers: {
            authorization: `Bearer ${options.token}`,
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
      } catch (cause) {
        throw new DeliveryError(`incident API unreachable: ${String(cause)}`, { retryable: true, cause });
      }
      if (res.ok) return;
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new DeliveryError(`incident API answered ${res.status}`, {
        // 429 and 5xx are worth another try; other 4xx will fail the same way again.
        retryable: res.status === 429 || res.status >= 500,
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      });
    },
    async health() {
      const res = await fetch(`${options.url}/health`).catch(() => undefined);
      return res?.ok ? { ok: true } : { ok: false, detail: 'incident API not reachable' };
    },
  };
}
