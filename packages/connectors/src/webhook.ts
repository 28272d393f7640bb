import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EFFECT_TYPES, type Effect, type EffectType } from '@closedloop/core';
import { z } from 'zod';
import { httpCall } from './http.ts';
import { type ConnectorOptions, defineConnector } from './kit/index.ts';
import { SecretSchema } from './secrets.ts';

/** Config of the signed webhook connector (Standard Webhooks signing). */
export const WebhookConnectorConfigSchema = z.object({
  name: z.string().min(1).optional(),
  /** Where to POST; may itself be a secret (`{ "env": "CLOSEDLOOP_WEBHOOK_URL" }`). */
  url: SecretSchema,
  /** Signing secret: `whsec_` + base64 (as Standard Webhooks issues them), or any string. */
  secret: SecretSchema,
  capabilities: z.array(z.enum(EFFECT_TYPES)).optional(),
  /** Alerts whose channel is one of these are sent (default `['webhook']`). */
  alertChannels: z.array(z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.int().positive().optional(),
});
export type WebhookConnectorOptions = ConnectorOptions<typeof WebhookConnectorConfigSchema>;

/** The body the webhook sends: Standard Webhooks' `{ type, timestamp, data }` envelope. */
export interface WebhookPayload {
  type: `closedloop.${EffectType}`;
  timestamp: string;
  data: Effect;
}

function secretBytes(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** A new random signing secret in the Standard Webhooks form (`whsec_…`). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The `webhook-signature` value for a message: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`. */
export function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): string {
  const mac = createHmac('sha256', secretBytes(secret))
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest('base64');
  return `v1,${mac}`;
}

export type WebhookVerification = { ok: true; id: string; timestamp: number } | { ok: false; reason: string };

/**
 * Checks a received webhook the way Standard Webhooks receivers do: the signature over
 * `webhook-id.webhook-timestamp.body`, any of the space-separated `v1,` signatures, and a
 * timestamp within `toleranceSeconds` (default 300) of now, against replays.
 *
 * @example
 * const v = verifyWebhook({ secret, headers: req.headers, body: rawBody });
 * if (!v.ok) return res.status(401).send(v.reason);
 */
export function verifyWebhook(input: {
  secret: string;
  headers: Record<string, string | string[] | undefined> | Headers;
  /** The raw body: the bytes received (or the exact text). */
  body: string | Uint8Array;
  toleranceSeconds?: number;
  now?: number;
}): WebhookVerification {
  const get = (name: string): string | undefined => {
    if (input.headers instanceof Headers) return input.headers.get(name) ?? undefined;
    const v = input.headers[name] ?? input.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = get('webhook-id');
  const ts = get('webhook-timestamp');
  const sigs = get('webhook-signature');
  if (!id || !ts || !sigs)
    return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  const timestamp = Number(ts);
  if (!Number.isInteger(timestamp)) return { ok: false, reason: `webhook-timestamp is not a number: ${ts}` };
  const now = Math.floor((input.now ?? Date.now()) / 1000);
  const tolerance = input.toleranceSeconds ?? 300;
  if (Math.abs(now - timestamp) > tolerance) {
    return {
      ok: false,
      reason: `webhook-timestamp ${timestamp} is more than ${tolerance}s from now (${now})`,
    };
  }
  const expected = Buffer.from(signWebhook(input.secret, id, timestamp, input.body).slice(3), 'base64');
  for (const sig of sigs.split(' ')) {
    const [version, value] = sig.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const got = Buffer.from(value, 'base64');
    if (got.length === expected.length && timingSafeEqual(got, expected)) return { ok: true, id, timestamp };
  }
  return { ok: false, reason: 'no webhook-signature matches the body' };
}

/** The `webhook-id` of an effect: the same on every retry, so receivers can de-duplicate. */
export function webhookId(key: string): string {
  return `msg_${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;
}

/**
 * POSTs effects as JSON to your endpoint, signed Standard Webhooks style: `webhook-id` (stable per
 * effect key, for de-duplication), `webhook-timestamp`, and `webhook-signature` (HMAC-SHA256).
 * Receivers check it with `verifyWebhook`.
 *
 * @example
 * webhookConnector({ url: 'https://hooks.example.com/closedloop', secret: { env: 'CLOSEDLOOP_WEBHOOK_SECRET' } });
 */
export const webhookConnector = defineConnector({
  name: 'webhook',
  schema: WebhookConnectorConfigSchema,
  capabilities: (cfg) => cfg.capabilities ?? [...EFFECT_TYPES],
  setup({ name, config: cfg, secret }) {
    const url = secret(cfg.url, 'url');
    const signingSecret = secret(cfg.secret, 'secret');
    const alertChannels = cfg.alertChannels ?? ['webhook'];
    return {
      accepts: (effect) => effect.type !== 'alert' || alertChannels.includes(effect.channel),
      async deliver(effect, { signal }) {
        const payload: WebhookPayload = {
          type: `closedloop.${effect.type}`,
          timestamp: new Date().toISOString(),
          data: effect,
        };
        const body = JSON.stringify(payload);
        const id = webhookId(effect.key);
        const timestamp = Math.floor(Date.now() / 1000);
        await httpCall(`${name}: webhook endpoint`, url, {
          signal,
          timeoutMs: cfg.timeoutMs,
          headers: {
            ...cfg.headers,
            'content-type': 'application/json',
            'user-agent': 'closedloop-connectors',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(signingSecret, id, timestamp, body),
            'idempotency-key': effect.key,
          },
          body,
        });
      },
    };
  },
});
