// Sends inner-loop reports (core's `buildReport`) by email: the MIME message core renders
// (`reportToEmail`: text + HTML with inline SVG charts) through the same transports as the
// email connector. Used by `scheduleReports` deliveries, the Temporal report schedules and
// `closedloop report --send`.
import { createHash } from 'node:crypto';
import { ClosedLoopError } from '@closedloop/core';
import { type Audience, audienceKey, type Report, reportToEmail } from '@closedloop/core/learn';
import { z } from 'zod';
import { configError } from '../secrets.ts';
import { type MailTransport, MailTransportSchema, mailTransport } from './transport.ts';

export const ReportMailerConfigSchema = z.object({
  transport: MailTransportSchema,
  /** The sender, e.g. `CX reports <cx@example.com>`. */
  from: z.string().min(3),
});
export type ReportMailerConfig = z.input<typeof ReportMailerConfigSchema>;

export interface ReportMailerOptions extends ReportMailerConfig {
  /** Shown in errors; default `report-mailer`. */
  name?: string;
  /** Environment the transport's secrets are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface ReportMail {
  report: Report;
  /** Recipients; default the audience's email. */
  to?: readonly string[];
  audience?: Audience;
}

export interface ReportMailer {
  /**
   * Sends one report. Its Message-ID comes from the report's title, range, scope and recipients,
   * so a delivery retried after a lost acknowledgement is the same message (the directory
   * transport writes it once; mail clients show it once). Returns the Message-ID.
   */
  send(mail: ReportMail): Promise<string>;
  close(): Promise<void>;
}

/**
 * A mailer for reports.
 *
 * @example
 * const mailer = reportMailer({ transport: { host: 'smtp.example.com', port: 587 }, from: 'cx@example.com' });
 * scheduleReports({ …, deliver: ({ audience, report }) => mailer.send({ report, audience }).then(() => {}) });
 */
export function reportMailer(options: ReportMailerOptions): ReportMailer {
  const name = options.name ?? 'report-mailer';
  const parsed = ReportMailerConfigSchema.safeParse({ transport: options.transport, from: options.from });
  if (!parsed.success) throw configError(name, parsed.error);
  const transport: MailTransport = mailTransport(parsed.data.transport, {
    name,
    env: options.env ?? process.env,
  });
  const domain = /@([^@\s>]+)>?\s*$/.exec(parsed.data.from)?.[1] ?? 'closedloop.invalid';

  return {
    async send({ report, audience, to }) {
      const recipients = to ?? (audience?.email ? [audience.email] : []);
      if (recipients.length === 0) {
        throw new ClosedLoopError(
          'INVALID_INPUT',
          `${name}: the report "${report.title}" has no recipient: give the audience${audience ? ` "${audienceKey(audience)}"` : ''} an email, or pass \`to\``,
          { issues: [{ path: 'to', message: 'give the audience an email, or pass `to`' }] },
        );
      }
      const identity = [
        report.title,
        report.range.from,
        report.range.to,
        ...(report.segments ?? ['*']),
        ...recipients,
      ].join('\n');
      const hash = createHash('sha256').update(identity).digest('hex').slice(0, 32);
      const messageId = `report-${hash}@${domain}`;
      const raw = reportToEmail(report, { from: parsed.data.from, to: recipients, messageId });
      await transport.send(
        { envelope: { from: envelopeAddress(parsed.data.from), to: recipients.map(envelopeAddress) }, raw },
        `report-${hash}.eml`,
      );
      return messageId;
    },
    close: () => transport.close(),
  };
}

/** `Care <care@x.com>` → `care@x.com`. */
function envelopeAddress(address: string): string {
  return (/<([^<>\s]+@[^<>\s]+)>\s*$/.exec(address)?.[1] ?? address).trim();
}
