import { z } from 'zod';
import { type ChatMessage, caseLink, chatMessage } from './chat-format.ts';
import { httpCall } from './http.ts';
import { type ConnectorOptions, defineConnector } from './kit/index.ts';
import { SecretSchema } from './secrets.ts';

export const TeamsConnectorConfigSchema = z.object({
  name: z.string().min(1).optional(),
  /** The URL of a Teams workflow ("When a Teams webhook request is received"). It is a secret. */
  url: SecretSchema,
  capabilities: z.array(z.enum(['alert', 'notify'])).optional(),
  /** Alert channels this connector answers to (default `['teams']`). */
  alertChannels: z.array(z.string()).optional(),
  /** Case link template with `{{caseId}}`, shown as an "Open case" action. */
  caseUrl: z.string().optional(),
  timeoutMs: z.int().positive().optional(),
});
export type TeamsConnectorOptions = ConnectorOptions<typeof TeamsConnectorConfigSchema>;

const plain = (text: string) => ({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text }] });

/**
 * An Adaptive Card (1.4) for a chat message. Customer text goes into `TextRun`s, which Teams
 * shows as plain text (no markdown), so a comment cannot forge links or formatting.
 */
export function adaptiveCard(m: ChatMessage): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: m.title, weight: 'Bolder', size: 'Medium', wrap: true },
  ];
  if (m.facts.length) {
    body.push({ type: 'FactSet', facts: m.facts.map((f) => ({ title: f.label, value: f.value })) });
  }
  if (m.changes.length) {
    body.push({ type: 'TextBlock', text: 'Changes', weight: 'Bolder', wrap: true });
    for (const c of m.changes) body.push(plain(c));
  }
  if (m.comment) {
    body.push({ type: 'TextBlock', text: 'New comment', weight: 'Bolder', wrap: true });
    body.push(plain(m.comment));
  }
  if (m.quote) body.push({ type: 'Container', style: 'emphasis', items: [plain(m.quote)] });
  body.push({ type: 'TextBlock', text: m.footer, isSubtle: true, size: 'Small', wrap: true });
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(m.link ? { actions: [{ type: 'Action.OpenUrl', title: m.link.label, url: m.link.url }] } : {}),
  };
}

/**
 * Posts alerts (channel `teams`) and case notifications to Microsoft Teams as an Adaptive Card,
 * through a Teams workflow webhook (the successor of Office 365 connectors).
 *
 * @example
 * teamsConnector({ url: { env: 'TEAMS_WORKFLOW_URL' }, caseUrl: 'https://cx.example.com/cases/{{caseId}}' });
 */
export const teamsConnector = defineConnector({
  name: 'teams',
  schema: TeamsConnectorConfigSchema,
  capabilities: (cfg) => cfg.capabilities ?? ['alert', 'notify'],
  setup({ name, config: cfg, secret }) {
    const url = secret(cfg.url, 'url');
    const channels = cfg.alertChannels ?? ['teams'];
    const caseUrl = caseLink(cfg.caseUrl);
    return {
      accepts: (effect) => effect.type !== 'alert' || channels.includes(effect.channel),
      async deliver(effect, { signal }) {
        const m = chatMessage(effect, { channels, caseUrl });
        if (!m) return;
        await httpCall(`${name}: workflow webhook`, url, {
          signal,
          timeoutMs: cfg.timeoutMs,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            type: 'message',
            attachments: [
              {
                contentType: 'application/vnd.microsoft.card.adaptive',
                contentUrl: null,
                content: adaptiveCard(m),
              },
            ],
          }),
        });
      },
    };
  },
});
