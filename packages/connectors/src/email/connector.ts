import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Connector,
  DeliveryError,
  type Effect,
  type EffectOf,
  type EffectType,
  type HealthStatus,
} from '@closedloop/core';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { z } from 'zod';
import { DeliveryLedger } from '../ledger.ts';
import { renderTemplate } from '../render.ts';
import { configError, resolveSecret, SecretSchema } from '../secrets.ts';
import { type ComposedEmail, composeEmail } from './compose.ts';
import { type EmailTemplates, mergeTemplates } from './templates.ts';

const MessageTemplateSchema = z.object({
  subject: z.string().min(1),
  text: z.string().min(1),
  html: z.string().optional(),
});

export const SmtpTransportSchema = z.object({
  kind: z.literal('smtp').optional(),
  host: z.string().min(1),
  /** Default 587 (465 when `secure`). */
  port: z.int().min(1).max(65_535).optional(),
  /** TLS from the first byte (port 465). Otherwise STARTTLS is used when the server offers it. */
  secure: z.boolean().optional(),
  /** Refuse to send unless the server upgrades with STARTTLS. */
  requireTLS: z.boolean().optional(),
  auth: z.object({ user: SecretSchema, pass: SecretSchema }).optional(),
  /** Keep a pool of connections open (default true). */
  pool: z.boolean().optional(),
  maxConnections: z.int().positive().optional(),
  tls: z
    .object({
      rejectUnauthorized: z.boolean().optional(),
      /** PEM CA certificate(s) to trust, e.g. for a private relay. */
      ca: z.union([z.string(), z.array(z.string())]).optional(),
      servername: z.string().optional(),
    })
    .optional(),
  connectionTimeoutMs: z.int().positive().optional(),
  socketTimeoutMs: z.int().positive().optional(),
});
export type SmtpTransportConfig = z.input<typeof SmtpTransportSchema>;

export const DirectoryTransportSchema = z.object({
  kind: z.literal('directory'),
  /** Folder that receives one `<id>.eml` file per message. */
  path: z.string().min(1),
});
export type DirectoryTransportConfig = z.input<typeof DirectoryTransportSchema>;

const AddressSchema = z.union([
  z.string().min(3),
  z.object({ name: z.string().optional(), address: z.email() }),
]);

/** The JSON-able part of the email connector's options, for config files. */
export const EmailConnectorConfigSchema = z.object({
  name: z.string().min(1).optional(),
  transport: z.union([DirectoryTransportSchema, SmtpTransportSchema]),
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

const NETWORK_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ETLS',
  'EPROTOCOL',
]);

/** SMTP reply classes: 4xx and network trouble are worth retrying; 5xx and refused auth are not. */
export function classifySmtpError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as { code?: string; responseCode?: number; message?: string; response?: string };
  const msg = `email: ${e.message ?? String(err)}`;
  if (typeof e.responseCode === 'number') {
    if (e.responseCode >= 400 && e.responseCode < 500)
      return new DeliveryError(msg, { retryable: true, cause: err });
    if (e.responseCode >= 500) return new DeliveryError(msg, { retryable: false, cause: err });
  }
  if (e.code === 'EAUTH' || e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.code === 'ECONFIG') {
    return new DeliveryError(msg, { retryable: false, cause: err });
  }
  if (e.code && NETWORK_CODES.has(e.code)) return new DeliveryError(msg, { retryable: true, cause: err });
  return new DeliveryError(msg, { retryable: true, cause: err });
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

  const unsubscribeHeaders = (mail: ComposedEmail, effect: Effect): Record<string, string> => {
    const to = mail.to[0];
    if (!to) return {};
    const mailto = options.unsubscribe?.mailto ?? fromAddress;
    const targets = [`<mailto:${mailto}?subject=${encodeURIComponent(`unsubscribe ${to.address}`)}>`];
    const urlOpt = options.unsubscribe?.url;
    const url =
      typeof urlOpt === 'function'
        ? urlOpt({ email: to.address, language: mail.language }, effect)
        : typeof urlOpt === 'string'
          ? renderTemplate(urlOpt, { email: to.address, language: mail.language }, encodeURIComponent)
          : undefined;
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
  const transportCfg = parsed.data.transport;

  let send: (effect: Effect, msg: nodemailer.SendMailOptions) => Promise<void>;
  let health: () => Promise<HealthStatus>;
  let close: () => Promise<void>;

  if (transportCfg.kind === 'directory') {
    const dir = transportCfg.path;
    const renderer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    send = async (effect, msg) => {
      const file = join(dir, fileName(effect));
      if (
        await stat(file).then(
          () => true,
          () => false,
        )
      )
        return;
      await mkdir(dir, { recursive: true });
      const info = await renderer.sendMail(msg);
      const tmp = join(dir, `.${fileName(effect)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, info.message as Buffer);
        await rename(tmp, file);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw new DeliveryError(`email: could not write ${file}: ${(err as Error).message}`, {
          retryable: true,
          cause: err,
        });
      }
    };
    health = async () => {
      try {
        await mkdir(dir, { recursive: true });
        return { ok: true, detail: `writing .eml files to ${dir}` };
      } catch (err) {
        return { ok: false, detail: `cannot create ${dir}: ${(err as Error).message}` };
      }
    };
    close = async () => {
      renderer.close();
    };
  } else {
    const auth = transportCfg.auth
      ? {
          user: resolveSecret(transportCfg.auth.user, { connector: name, path: 'transport.auth.user' }, env),
          pass: resolveSecret(transportCfg.auth.pass, { connector: name, path: 'transport.auth.pass' }, env),
        }
      : undefined;
    const pooled = transportCfg.pool ?? true;
    const smtpOptions: SMTPTransport.Options = {
      host: transportCfg.host,
      port: transportCfg.port ?? (transportCfg.secure ? 465 : 587),
      secure: transportCfg.secure ?? false,
      ...(transportCfg.requireTLS !== undefined ? { requireTLS: transportCfg.requireTLS } : {}),
      ...(auth ? { auth } : {}),
      ...(transportCfg.tls ? { tls: transportCfg.tls } : {}),
      connectionTimeout: transportCfg.connectionTimeoutMs ?? 10_000,
      greetingTimeout: transportCfg.connectionTimeoutMs ?? 10_000,
      socketTimeout: transportCfg.socketTimeoutMs ?? 30_000,
    };
    const transporter = pooled
      ? nodemailer.createTransport({
          ...smtpOptions,
          pool: true,
          maxConnections: transportCfg.maxConnections ?? 3,
        })
      : nodemailer.createTransport(smtpOptions);
    send = async (_effect, msg) => {
      try {
        await transporter.sendMail(msg);
      } catch (err) {
        throw classifySmtpError(err);
      }
    };
    health = async () => {
      try {
        await transporter.verify();
        return { ok: true, detail: `SMTP ${smtpOptions.host}:${smtpOptions.port} accepts our login` };
      } catch (err) {
        return {
          ok: false,
          detail: `SMTP ${smtpOptions.host}:${smtpOptions.port}: ${(err as Error).message}`,
        };
      }
    };
    close = async () => {
      transporter.close();
    };
  }

  return {
    name,
    capabilities,
    messageId,
    fileName,
    async deliver(effect, ctx) {
      if (!capabilities.includes(effect.type)) return;
      if (ctx.signal.aborted)
        throw new DeliveryError('email: delivery aborted (shutting down)', { retryable: true });
      const mail = composeEmail(effect, { templates, caseUrl, resurveyUrl });
      if (!mail) return;
      await ledger.once(effect.key, () => send(effect, mailOptions(effect, mail)));
    },
    health,
    close,
  };
}
