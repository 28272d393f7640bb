import { createHash } from 'node:crypto';
import { type Connector, DeliveryError, type Effect, type EffectOf, type EffectType } from '@closedloop/core';
import type nodemailer from 'nodemailer';
import { z } from 'zod';
import { DeliveryLedger } from '../ledger.ts';
import { escapeHtml, renderTemplate } from '../render.ts';
import { configError } from '../secrets.ts';
import { type ComposedEmail, composeEmail } from './compose.ts';
import { type EmailTemplates, mergeTemplates } from './templates.ts';
import { MailTransportSchema, mailTransport } from './transport.ts';

export {
  classifySmtpError,
  type DirectoryTransportConfig,
  DirectoryTransportSchema,
  type SmtpTransportConfig,
  SmtpTransportSchema,
} from './transport.ts';

const MessageTemplateSchema = z.object({
  subject: z.string().min(1),
  text: z.string().min(1),
  html: z.string().optional(),
});

const AddressSchema = z.union([
  z.string().min(3),
  z.object({ name: z.string().optional(), address: z.email() }),
]);

/** The JSON-able part of the email connector's options, for config files. */
export const EmailConnectorConfigSchema = z.object({
  name: z.string().min(1).optional(),
  transport: MailTransportSchema,
  from: AddressSchema,
  replyTo: AddressSchema.optional(),
  /** Templates by language and name, merged over the built-in ones. */
  templates: z.record(z.string(), z.record(z.string(), MessageTemplateSchema)).optional(),
  /** Re-survey link, a template with `{{loopId}}`, `{{caseId}}`, `{{email}}`, `{{language}}`, `{{key}}`. */
  resurveyUrl: z.string().optional(),
  /** Case link in staff mail, a template with `{{caseId}}`. */
  caseUrl: z.string().optional(),
  /** `List-Unsubscribe` targets on customer mail: a mailto address and/or a one-click https URL template. */
  unsubscribe: z.object({ mailto: z.string().optional(), url: z.string().optional() }).optional(),
  /** Domain of generated Message-IDs; default the `from` address's domain. */
  messageIdDomain: z.string().optional(),
  capabilities: z.array(z.enum(['notify', 'alert', 'informCustomer', 'sendResurvey'])).optional(),
});

export interface EmailConnectorOptions
  extends Omit<
    z.input<typeof EmailConnectorConfigSchema>,
    'resurveyUrl' | 'caseUrl' | 'unsubscribe' | 'templates'
  > {
  templates?: EmailTemplates;
  resurveyUrl?: string | ((effect: EffectOf<'sendResurvey'>) => string);
  caseUrl?: string | ((caseId: string) => string);
  unsubscribe?: {
    mailto?: string;
    url?: string | ((to: { email: string; language: string }, effect: Effect) => string);
  };
  /** Environment the secrets are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The email connector: the `Connector` contract plus what it adds. */
export interface EmailConnector extends Connector {
  /** The Message-ID an effect's mail gets: the same for every delivery of the same key. */
  messageId(effect: Pick<Effect, 'key'>): string;
  /** The file name the directory transport writes for an effect. */
  fileName(effect: Pick<Effect, 'key'>): string;
  /** The mail an effect would be sent as (or `null` when not an email), without sending it: for previews. */
  compose(effect: Effect): ComposedEmail | null;
  /** Every template this connector knows (built-in and configured), with its languages. */
  templateList(): { id: string; languages: string[] }[];
}

const UNSUBSCRIBE_LABEL: Record<string, string> = {
  en: 'Do not want these emails? Unsubscribe',
  es: '¿No quiere recibir estos correos? Darse de baja',
  it: 'Non vuoi ricevere queste email? Annulla l’iscrizione',
  pl: 'Nie chcesz otrzymywać tych wiadomości? Wypisz się',
};

/** Every customer mail ends with its unsubscribe link (in the text and the HTML part). */
function withUnsubscribeFooter(mail: ComposedEmail, url: string): ComposedEmail {
  const label = UNSUBSCRIBE_LABEL[mail.language.split('-')[0]!] ?? UNSUBSCRIBE_LABEL.en!;
  const html = `<p style="font-size:12px;color:#555"><a href="${escapeHtml(url)}">${escapeHtml(label)}</a></p>`;
  return {
    ...mail,
    text: `${mail.text}\n\n${label}: ${url}\n`,
    html: mail.html.includes('</body>') ? mail.html.replace('</body>', `${html}</body>`) : mail.html + html,
  };
}

function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 40);
}

/** The bare address of `care@x.com`, `Care <care@x.com>` or `{ name, address }`. */
function addressOf(a: z.output<typeof AddressSchema>): string {
  if (typeof a !== 'string') return a.address;
  const m = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(a);
  return (m?.[1] ?? a).trim();
}

function domainOf(address: string): string | undefined {
  return /@([^@\s]+)$/.exec(address)?.[1];
}

/**
 * Sends the loop's mail: case notifications to staff (seed 001: the assignee in To, the segment's
 * other managers in CC, a mail on every update), email alerts, and replies to customers (R18–R20)
 * in their language, with HTML and text parts. Each mail's Message-ID comes from the effect's
 * idempotency key, so a retried effect is the same message to every receiver.
 *
 * @example
 * const email = emailConnector({
 *   transport: { host: 'smtp.example.com', port: 587, auth: { user: { env: 'SMTP_USER' }, pass: { env: 'SMTP_PASS' } } },
 *   from: { name: 'Customer Care', address: 'care@example.com' },
 * });
 * // or, for a demo: transport: { kind: 'directory', path: './outbox' }
 */
export function emailConnector(options: EmailConnectorOptions): EmailConnector {
  const name = options.name ?? 'email';
  const parsed = EmailConnectorConfigSchema.safeParse({
    ...options,
    templates: options.templates,
    resurveyUrl: typeof options.resurveyUrl === 'string' ? options.resurveyUrl : undefined,
    caseUrl: typeof options.caseUrl === 'string' ? options.caseUrl : undefined,
    unsubscribe: options.unsubscribe
      ? {
          mailto: options.unsubscribe.mailto,
          url: typeof options.unsubscribe.url === 'string' ? options.unsubscribe.url : undefined,
        }
      : undefined,
    env: undefined,
  });
  if (!parsed.success) throw configError(name, parsed.error);
  const env = options.env ?? process.env;
  const templates = mergeTemplates(options.templates);
  const fromAddress = addressOf(options.from);
  const idDomain = options.messageIdDomain ?? domainOf(fromAddress) ?? 'closedloop.invalid';
  const capabilities: readonly EffectType[] = options.capabilities ?? [
    'notify',
    'alert',
    'informCustomer',
    'sendResurvey',
  ];

  const resurveyUrl = (e: EffectOf<'sendResurvey'>): string => {
    const opt = options.resurveyUrl;
    if (typeof opt === 'function') return opt(e);
    const vars = {
      loopId: e.loopId,
      caseId: e.caseId ?? '',
      email: e.to.email,
      language: e.language,
      key: e.key,
    };
    if (typeof opt === 'string') return renderTemplate(opt, vars, encodeURIComponent);
    // Default: a reply to us, with the loop in the subject so the answer can be matched.
    return `mailto:${fromAddress}?subject=${encodeURIComponent(`Re-survey ${e.loopId}`)}`;
  };
  const caseUrlOpt = options.caseUrl;
  const caseUrl =
    typeof caseUrlOpt === 'function'
      ? caseUrlOpt
      : typeof caseUrlOpt === 'string'
        ? (caseId: string) => renderTemplate(caseUrlOpt, { caseId }, encodeURIComponent)
        : undefined;

  const messageId = (e: Pick<Effect, 'key'>) => `<${keyHash(e.key)}@${idDomain}>`;
  const fileName = (e: Pick<Effect, 'key'>) => `${keyHash(e.key)}.eml`;
  const threadId = (caseId: string) => `<case-${keyHash(caseId).slice(0, 24)}@${idDomain}>`;

  const unsubscribeUrlOf = (mail: ComposedEmail, effect: Effect): string | undefined => {
    const to = mail.to[0];
    const urlOpt = options.unsubscribe?.url;
    if (!to || !urlOpt) return undefined;
    return typeof urlOpt === 'function'
      ? urlOpt({ email: to.address, language: mail.language }, effect)
      : renderTemplate(urlOpt, { email: to.address, language: mail.language }, encodeURIComponent);
  };

  const unsubscribeHeaders = (mail: ComposedEmail, effect: Effect): Record<string, string> => {
    const to = mail.to[0];
    if (!to) return {};
    const mailto = options.unsubscribe?.mailto ?? fromAddress;
    const targets = [`<mailto:${mailto}?subject=${encodeURIComponent(`unsubscribe ${to.address}`)}>`];
    const url = unsubscribeUrlOf(mail, effect);
    const headers: Record<string, string> = {};
    if (url) {
      targets.unshift(`<${url}>`);
      if (url.startsWith('https:')) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    headers['List-Unsubscribe'] = targets.join(', ');
    return headers;
  };

  const mailOptions = (effect: Effect, mail: ComposedEmail): nodemailer.SendMailOptions => {
    const headers: Record<string, string> = {
      'Auto-Submitted': 'auto-generated',
      'X-Closedloop-Effect': effect.type,
      'X-Closedloop-Loop': effect.loopId,
      ...(effect.caseId ? { 'X-Closedloop-Case': effect.caseId } : {}),
      ...(mail.toCustomer ? unsubscribeHeaders(mail, effect) : {}),
    };
    const caseId = effect.caseId ?? (effect.type === 'notify' ? effect.case.id : undefined);
    // Staff mail about one case shares a References id, so mail clients thread it.
    const thread = caseId && !mail.toCustomer ? { references: [threadId(caseId)] } : {};
    return {
      from: options.from,
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      to: mail.to,
      ...(mail.cc.length ? { cc: mail.cc } : {}),
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: messageId(effect),
      ...thread,
      headers,
    };
  };

  const ledger = new DeliveryLedger();
  const transport = mailTransport(parsed.data.transport, { name, env });
  const send = (effect: Effect, msg: nodemailer.SendMailOptions) => transport.send(msg, fileName(effect));
  const { health, close } = transport;

  return {
    name,
    capabilities,
    messageId,
    fileName,
    compose: (effect) => composeEmail(effect, { templates, caseUrl, resurveyUrl }),
    templateList() {
      const byId = new Map<string, string[]>();
      for (const [language, set] of Object.entries(templates))
        for (const id of Object.keys(set)) byId.set(id, [...(byId.get(id) ?? []), language]);
      return [...byId]
        .map(([id, languages]) => ({ id, languages: languages.sort() }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    async deliver(effect, ctx) {
      if (!capabilities.includes(effect.type)) return;
      if (ctx.signal.aborted)
        throw new DeliveryError('email: delivery aborted (shutting down)', { retryable: true });
      const composed = composeEmail(effect, { templates, caseUrl, resurveyUrl });
      if (!composed) return;
      const link = composed.toCustomer ? unsubscribeUrlOf(composed, effect) : undefined;
      const mail = link ? withUnsubscribeFooter(composed, link) : composed;
      await ledger.once(effect.key, () => send(effect, mailOptions(effect, mail)));
    },
    health,
    close,
  };
}
