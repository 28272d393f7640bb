// The mail transport the email connector and the report mailer share: SMTP through nodemailer, or a
// folder of .eml files (demos, tests, a pickup directory).
import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeliveryError, type HealthStatus, redactAddresses } from '@closedloop/core';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { z } from 'zod';
import { resolveSecret, SecretSchema } from '../secrets.ts';

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

export const MailTransportSchema = z.union([DirectoryTransportSchema, SmtpTransportSchema]);
export type MailTransportConfig = z.input<typeof MailTransportSchema>;

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
  // A server's reply often quotes the recipient ("550 5.1.1 <x@y>: …"): never carry it on.
  const msg = `email: ${redactAddresses(e.message ?? String(err))}`;
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

export interface MailTransport {
  /**
   * Sends one message. The directory transport writes `<dir>/<fileName>` once: a message whose
   * file exists already is not written again. SMTP errors come back as {@link DeliveryError}s.
   */
  send(message: nodemailer.SendMailOptions, fileName: string): Promise<void>;
  health(): Promise<HealthStatus>;
  close(): Promise<void>;
}

/**
 * Builds a transport from its (validated) config; secrets are read from `env`.
 *
 * @example
 * const transport = mailTransport({ kind: 'directory', path: './outbox' }, { name: 'email', env: process.env });
 */
export function mailTransport(
  config: z.output<typeof MailTransportSchema>,
  { name, env }: { name: string; env: NodeJS.ProcessEnv },
): MailTransport {
  const transportCfg = config;

  let send: MailTransport['send'];
  let health: () => Promise<HealthStatus>;
  let close: () => Promise<void>;

  if (transportCfg.kind === 'directory') {
    const dir = transportCfg.path;
    const renderer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    send = async (msg, fileName) => {
      const file = join(dir, fileName);
      if (
        await stat(file).then(
          () => true,
          () => false,
        )
      )
        return;
      await mkdir(dir, { recursive: true });
      const info = await renderer.sendMail(msg);
      const tmp = join(dir, `.${fileName}.${randomBytes(6).toString('hex')}.tmp`);
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
    send = async (msg) => {
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

  return { send, health, close };
}
