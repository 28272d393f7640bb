import { DeliveryError, type Effect, type HealthStatus } from '@closedloop/core';
import type { Logger, LogLevel } from '@slack/web-api';
import { z } from 'zod';
import { type ChatMessage, caseLink, chatMessage } from './chat-format.ts';
import { httpCall } from './http.ts';
import { abortable, type ConnectorOptions, defineConnector, lazy, loadOptionalPeer } from './kit/index.ts';
import { SecretSchema } from './secrets.ts';

export const SlackConnectorConfigSchema = z.object({
  name: z.string().min(1).optional(),
  /**
   * `webhook`: an incoming webhook URL (posts to the channel chosen when it was created).
   * `api`: `chat.postMessage` with a bot token (scope `chat:write`; `chat:write.public` to post in
   * channels the bot has not joined), to `channel` or the channels an alert names.
   */
  mode: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('webhook'), url: SecretSchema }),
    z.object({
      kind: z.literal('api'),
      token: SecretSchema,
      /** Default channel: an id (`C0123ABCD`) or a name (`#care-team`). */
      channel: z.string().min(1),
      /** Web API base URL (default Slack's), e.g. a proxy or a test server. */
      baseUrl: z.url().optional(),
    }),
  ]),
  capabilities: z.array(z.enum(['alert', 'notify'])).optional(),
  /** Alert channels this connector answers to (default `['slack']`). */
  alertChannels: z.array(z.string()).optional(),
  /** Case link template with `{{caseId}}`, shown as a button. */
  caseUrl: z.string().optional(),
  timeoutMs: z.int().positive().optional(),
});
export type SlackConnectorOptions = ConnectorOptions<typeof SlackConnectorConfigSchema>;

/** Escapes the three characters Slack's mrkdwn reserves. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Block Kit blocks for a chat message. */
export function slackBlocks(m: ChatMessage): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: m.title.slice(0, 150), emoji: false } },
  ];
  if (m.facts.length) {
    blocks.push({
      type: 'section',
      fields: m.facts
        .slice(0, 10)
        .map((f) => ({ type: 'mrkdwn', text: `*${f.label}*\n${slackEscape(f.value)}` })),
    });
  }
  if (m.changes.length) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Changes*\n${m.changes.map((c) => `• ${slackEscape(c)}`).join('\n')}` },
    });
  }
  if (m.comment) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*New comment*\n${slackEscape(m.comment).slice(0, 2900)}` },
    });
  }
  if (m.quote) {
    const quoted = slackEscape(m.quote)
      .slice(0, 2900)
      .split('\n')
      .map((l) => `>${l}`)
      .join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: quoted } });
  }
  if (m.link) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: m.link.label }, url: m.link.url }],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(m.footer) }] });
  return blocks;
}

const SLACK_ID = /^[CGD][A-Z0-9]{6,}$/;
const RETRYABLE_PLATFORM = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

interface SlackErrorLike {
  code?: string;
  data?: { error?: string };
  retryAfter?: number;
  statusCode?: number;
  message?: string;
}

/** A Slack Web API error as a `DeliveryError`: rate limits and outages retry, the rest do not. */
export function classifySlackError(err: unknown): DeliveryError {
  const e = err as SlackErrorLike;
  const msg = `slack: ${e.data?.error ?? e.message ?? String(err)}`;
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return new DeliveryError(msg, {
        retryable: true,
        ...(e.retryAfter !== undefined ? { retryAfterMs: e.retryAfter * 1000 } : {}),
        cause: err,
      });
    case 'slack_webapi_request_error':
      return new DeliveryError(msg, { retryable: true, cause: err });
    case 'slack_webapi_http_error':
      return new DeliveryError(msg, { retryable: (e.statusCode ?? 500) >= 500, cause: err });
    case 'slack_webapi_platform_error':
      return new DeliveryError(msg, { retryable: RETRYABLE_PLATFORM.has(e.data?.error ?? ''), cause: err });
    default:
      return new DeliveryError(msg, { retryable: true, cause: err });
  }
}

const quietLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel() {
    return 'error' as LogLevel;
  },
  setName() {},
};

/**
 * Posts alerts (channel `slack`) and case notifications to Slack, as Block Kit messages: through
 * an incoming webhook (plain `fetch`), or `chat.postMessage` with the official `@slack/web-api`
 * (an optional peer dependency: install it for `api` mode).
 *
 * @example
 * slackConnector({ mode: { kind: 'api', token: { env: 'SLACK_BOT_TOKEN' }, channel: '#care-team' } });
 * slackConnector({ mode: { kind: 'webhook', url: { env: 'SLACK_WEBHOOK_URL' } }, capabilities: ['alert'] });
 */
export const slackConnector = defineConnector({
  name: 'slack',
  schema: SlackConnectorConfigSchema,
  capabilities: (cfg) => cfg.capabilities ?? ['alert', 'notify'],
  classify: classifySlackError,
  setup({ name, config: cfg, secret }) {
    const channels = cfg.alertChannels ?? ['slack'];
    const caseUrl = caseLink(cfg.caseUrl);
    const accepts = (effect: Effect) => effect.type !== 'alert' || channels.includes(effect.channel);
    const mode = cfg.mode;

    if (mode.kind === 'webhook') {
      const url = secret(mode.url, 'mode.url');
      return {
        accepts,
        async deliver(effect, { signal }) {
          const m = chatMessage(effect, { channels, caseUrl });
          if (!m) return;
          await httpCall(`${name}: incoming webhook`, url, {
            signal,
            timeoutMs: cfg.timeoutMs,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text: m.title, blocks: slackBlocks(m), unfurl_links: false }),
          });
        },
      };
    }

    const token = secret(mode.token, 'mode.token');
    const timeout = cfg.timeoutMs ?? 15_000;
    const client = lazy(async () => {
      const { WebClient } = await loadOptionalPeer<typeof import('@slack/web-api')>('@slack/web-api');
      return new WebClient(token, {
        ...(mode.baseUrl
          ? { slackApiUrl: mode.baseUrl.endsWith('/') ? mode.baseUrl : `${mode.baseUrl}/` }
          : {}),
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout,
        logger: quietLogger,
      });
    });
    return {
      accepts,
      async deliver(effect, { signal, once }) {
        const m = chatMessage(effect, { channels, caseUrl });
        if (!m) return;
        const c = await client();
        const targets =
          effect.type === 'alert'
            ? effect.recipients.filter((r) => r.startsWith('#') || SLACK_ID.test(r))
            : [];
        if (targets.length === 0) targets.push(mode.channel);
        for (const channel of targets) {
          if (signal.aborted) throw new DeliveryError(`${name}: delivery aborted`, { retryable: true });
          // One ledger entry per channel: a retry after a partial failure skips channels already posted.
          await once(`${effect.key}|${channel}`, async () => {
            // The WebClient takes no abort signal: its own timeout bounds the call.
            await abortable(
              // apiCall takes the arguments as plain JSON: our Block Kit blocks are built as data.
              c.apiCall('chat.postMessage', {
                channel,
                text: m.title,
                blocks: slackBlocks(m),
                unfurl_links: false,
                metadata: {
                  event_type: 'closedloop_effect',
                  event_payload: { key: effect.key, loop_id: effect.loopId },
                },
              }),
              signal,
            );
          });
        }
      },
      async health(): Promise<HealthStatus> {
        const r = await (await client()).auth.test();
        return { ok: true, detail: `token works for ${r.user ?? 'the bot'} in ${r.team ?? 'the workspace'}` };
      },
    };
  },
});
