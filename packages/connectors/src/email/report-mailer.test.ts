import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SegmentTree, sqliteStore } from '@closedloop/core';
import { buildReport, createAnalytics, type Report, sqliteExecutor } from '@closedloop/core/learn';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLS_CERT, testSmtp } from '../__tests__/smtp.ts';
import { reportMailer } from './report-mailer.ts';

let dir: string;
let report: Report;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'report-mailer-'));
  const file = join(dir, 'store.sqlite');
  const store = sqliteStore({ path: file });
  await store.init();
  await store.close();
  const db = new DatabaseSync(file);
  const segments = new SegmentTree([{ id: 'EU', name: 'Europe', managers: ['eva'] }]);
  report = await buildReport(createAnalytics(sqliteExecutor(db), { segments }), {
    cadence: 'weekly',
    at: '2026-01-12T08:00:00Z',
    segment: 'EU',
  });
  db.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report mailer', () => {
  it('sends the report as one text + HTML message over SMTP, to the audience', async () => {
    const smtp = await testSmtp();
    const mailer = reportMailer({
      transport: {
        host: '127.0.0.1',
        port: smtp.port,
        tls: { ca: TLS_CERT, servername: 'localhost' },
        pool: false,
      },
      from: 'CX reports <cx@shop.example>',
    });
    try {
      const id = await mailer.send({
        report,
        audience: { name: 'Eva', email: 'eva@shop.example', segments: ['EU'] },
      });
      expect(smtp.received).toHaveLength(1);
      const { mail, rcpt, from } = smtp.received[0]!;
      expect(rcpt).toEqual(['eva@shop.example']);
      expect(from).toBe('cx@shop.example');
      expect(mail.subject).toBe('Weekly trend report — 2026-01-05 – 2026-01-11 — Europe');
      expect(mail.messageId).toBe(`<${id}>`);
      expect(mail.html).toContain('<table'); // email-safe HTML part
      expect(mail.text).toContain('Weekly trend report');
    } finally {
      await mailer.close();
      await smtp.stop();
    }
  });

  it('gives a report sent twice the same Message-ID, and writes one file with the directory transport', async () => {
    const out = join(dir, 'outbox');
    const mailer = reportMailer({ transport: { kind: 'directory', path: out }, from: 'cx@shop.example' });
    const a = await mailer.send({ report, to: ['eva@shop.example'] });
    const b = await mailer.send({ report, to: ['eva@shop.example'] });
    const c = await mailer.send({ report, to: ['dieter@shop.example'] });
    await mailer.close();
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    const files = await readdir(out);
    expect(files).toHaveLength(2);
    const parsed = await simpleParser(await readFile(join(out, files[0]!)));
    expect(parsed.subject).toContain('Weekly trend report');
  });

  it('refuses a report without recipients, and a bad transport config, naming the field', async () => {
    const mailer = reportMailer({
      transport: { kind: 'directory', path: join(dir, 'x') },
      from: 'cx@shop.example',
    });
    await expect(mailer.send({ report, audience: { name: 'Eva' } })).rejects.toThrow(
      /no recipient: give the audience "eva" an email/,
    );
    await expect(mailer.send({ report, audience: { name: 'Eva' } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      issues: [{ path: 'to' }],
    });
    await mailer.close();
    expect(() => reportMailer({ transport: { host: '' }, from: 'cx@shop.example' })).toThrow(/transport/);
  });
});
