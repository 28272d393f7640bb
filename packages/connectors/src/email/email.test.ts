import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryError, type Effect, EffectSchema } from '@closedloop/core';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestSmtp, TLS_CERT, testSmtp } from '../__tests__/smtp.ts';
import { connectorTestKit, sampleCase, sampleEffect } from '../testing/index.ts';
import { type EmailConnector, type EmailConnectorOptions, emailConnector } from './connector.ts';

const ctx = (attempt = 1) => ({ attempt, signal: new AbortController().signal });
const FROM = { name: 'Customer Care', address: 'care@shop.example' };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function server(opts: Parameters<typeof testSmtp>[0] = {}): Promise<TestSmtp> {
  const s = await testSmtp(opts);
  cleanups.push(() => s.stop());
  return s;
}

function smtpConnector(s: TestSmtp, extra: Partial<EmailConnectorOptions> = {}): EmailConnector {
  const c = emailConnector({
    transport: {
      host: '127.0.0.1',
      port: s.port,
      tls: { ca: TLS_CERT, servername: 'localhost' },
      pool: false,
    },
    from: FROM,
    ...extra,
  });
  cleanups.push(() => c.close?.() ?? Promise.resolve());
  return c;
}

function effect<T extends Effect>(e: T, patch: Record<string, unknown> = {}): T {
  return EffectSchema.parse({ ...e, ...patch }) as T;
}

describe('email connector over SMTP', () => {
  it('sends a new case to the assignee with the other segment managers in CC (seed 001)', async () => {
    const s = await server();
    const c = smtpConnector(s);
    await c.deliver(sampleEffect('notify'), ctx());
    expect(s.received).toHaveLength(1);
    const { mail, rcpt, secure } = s.received[0]!;
    expect(secure).toBe(true); // STARTTLS was used
    expect(mail.subject).toBe('[Caso CS-1042] Nuevo caso de detractor: prioridad alta, segmento Spain');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual([
      'ana.lopez@example.com',
    ]);
    expect(mail.cc && !Array.isArray(mail.cc) ? mail.cc.value.map((a) => a.address) : []).toEqual([
      'luis.martin@example.com',
    ]);
    expect(rcpt.sort()).toEqual(['ana.lopez@example.com', 'luis.martin@example.com']);
    expect(mail.text).toContain('Propietario: ana.lopez');
    expect(mail.text).toContain('The courier left my parcel in the rain & nobody answered <my> calls.');
    expect(mail.html).toContain('nobody answered &lt;my&gt; calls');
    expect(mail.html).not.toContain('<my>');
    expect(mail.messageId).toBe(c.messageId(sampleEffect('notify')));
    expect(mail.headers.get('list-unsubscribe')).toBeUndefined();
  });

  it('writes English subjects for English-speaking staff', async () => {
    const s = await server();
    const c = smtpConnector(s);
    const n = sampleEffect('notify');
    await c.deliver(effect(n, { to: [{ email: 'ana.lopez@example.com', language: 'en' }] }), ctx());
    expect(s.received[0]?.mail.subject).toBe(
      '[Case CS-1042] New detractor case: priority high, segment Spain',
    );
  });

  it('emails every update saying what changed, in the same thread', async () => {
    const s = await server();
    const c = smtpConnector(s);
    const n = sampleEffect('notify');
    const update = effect(n, {
      key: 'loop-7f3a:notify:caseUpdated:v2',
      reason: 'caseUpdated',
      to: [{ email: 'ana.lopez@example.com', language: 'en' }],
      case: sampleCase({ status: 'open', priority: 'critical' }),
      changes: [
        { field: 'status', before: 'new', after: 'open' },
        { field: 'priority', before: 'high', after: 'critical' },
      ],
      comment: 'Called the customer, courier complaint filed.',
      actor: 'ana.lopez',
    });
    await c.deliver(n, ctx());
    await c.deliver(update, ctx());
    const [created, updated] = s.received.map((r) => r.mail);
    expect(updated?.subject).toBe(
      '[Case CS-1042] Updated by ana.lopez: status new → open, priority high → critical, new comment',
    );
    expect(updated?.text).toContain('- status: new → open\n- priority: high → critical');
    expect(updated?.text).toContain('New comment:\nCalled the customer, courier complaint filed.');
    expect(updated?.references).toEqual(created?.references);
  });

  it('tells the customer what was done, in Spanish, with the coupon and an unsubscribe header', async () => {
    const s = await server();
    const c = smtpConnector(s, { unsubscribe: { url: 'https://shop.example/unsubscribe?e={{email}}' } });
    const inform = effect(sampleEffect('informCustomer'), {
      vars: { message: 'Cambiamos de mensajería <b>ya</b>.', rootCause: 'courier' },
    });
    await c.deliver(inform, ctx());
    const { mail } = s.received[0]!;
    expect(mail.subject).toBe('Tu opinión: lo que hemos hecho');
    expect(mail.text).toContain('Hola Marta García:');
    expect(mail.text).toContain('encontrado la causa: courier');
    expect(mail.text).toContain(
      'Como agradecimiento: un 10 % de descuento en tu próximo pedido (código GRACIAS10).',
    );
    expect(mail.html).toContain('Cambiamos de mensajería &lt;b&gt;ya&lt;/b&gt;.');
    expect(mail.html).not.toContain('<b>ya</b>');
    const header = (name: string) =>
      mail.headerLines.find((h) => h.key === name)?.line.replace(/\r\n\s+/g, ' ');
    expect(header('list-unsubscribe')).toBe(
      'List-Unsubscribe: <https://shop.example/unsubscribe?e=marta.garcia%40example.com>, <mailto:care@shop.example?subject=unsubscribe%20marta.garcia%40example.com>',
    );
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it.each([
    ['it', 'Grazie per la tua opinione', 'Ciao Marta García,'],
    ['pl', 'Dziękujemy za opinię', 'Dzień dobry Marta García,'],
    ['en', 'Thank you for your feedback', 'Hello Marta García,'],
    ['pt-BR', 'Thank you for your feedback', 'Hello Marta García,'],
  ])('thanks a promoter in %s', async (language, subject, greeting) => {
    const s = await server();
    const c = smtpConnector(s);
    const inform = effect(sampleEffect('informCustomer'), {
      key: `thank-${language}`,
      template: 'thankYou',
      language,
      vars: {},
      gesture: undefined,
    });
    await c.deliver(inform, ctx());
    const { mail } = s.received[0]!;
    expect(mail.subject).toBe(subject);
    expect(mail.text).toContain(greeting);
    expect(mail.text).not.toContain('{{');
  });

  it('uses a reusable reply of your own, with its variables, over the built-in templates', async () => {
    const s = await server();
    const c = smtpConnector(s, {
      templates: {
        en: {
          delayApology: {
            subject: 'About order {{order}}',
            text: 'Dear {{customerName}}, order {{order}} ships {{day}}.',
          },
        },
      },
    });
    const inform = effect(sampleEffect('informCustomer'), {
      template: 'delayApology',
      language: 'es',
      vars: { order: 'A-77', day: 'Monday' },
      gesture: undefined,
    });
    await c.deliver(inform, ctx());
    expect(s.received[0]?.mail.subject).toBe('About order A-77');
    expect(s.received[0]?.mail.text).toBe('Dear Marta García, order A-77 ships Monday.\n');
  });

  it('refuses an unknown template as a permanent failure that names it', async () => {
    const s = await server();
    const c = smtpConnector(s);
    const inform = effect(sampleEffect('informCustomer'), { template: 'nope' });
    const err = await c.deliver(inform, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).retryable).toBe(false);
    expect((err as DeliveryError).message).toMatch(/no template "nope" for language "es"/);
  });

  it('sends email alerts to the addresses among the recipients and ignores other channels', async () => {
    const s = await server();
    const c = smtpConnector(s);
    const alert = sampleEffect('alert');
    await c.deliver(alert, ctx());
    await c.deliver(effect(alert, { key: 'slack-alert', channel: 'slack' }), ctx());
    expect(s.received).toHaveLength(1);
    expect(s.received[0]?.rcpt).toEqual(['care-team@example.com']);
    expect(s.received[0]?.mail.subject).toBe('[Alert red-flag-delivery] Segment Spain: NPS 3');
    expect(s.received[0]?.mail.text).toContain('Topics: delivery');
  });

  it('sends a re-survey with the link built from your template', async () => {
    const s = await server();
    const c = smtpConnector(s, {
      resurveyUrl: 'https://survey.example/nps?loop={{loopId}}&lang={{language}}',
    });
    await c.deliver(sampleEffect('sendResurvey'), ctx());
    const { mail } = s.received[0]!;
    expect(mail.subject).toBe('¿Nos recomendarías ahora?');
    expect(mail.text).toContain('https://survey.example/nps?loop=loop-7f3a&lang=es');
    expect(mail.html).toContain('<a href="https://survey.example/nps?loop=loop-7f3a&amp;lang=es">');
  });

  it('ignores effects it does not handle', async () => {
    const s = await server();
    const c = smtpConnector(s);
    await c.deliver(sampleEffect('syncCase'), ctx());
    expect(s.received).toHaveLength(0);
  });

  it('logs in with AUTH after STARTTLS, reading the password from the environment', async () => {
    const s = await server({ auth: { user: 'loop', pass: 's3cret' } });
    const c = smtpConnector(s, {
      transport: {
        host: '127.0.0.1',
        port: s.port,
        requireTLS: true,
        auth: { user: 'loop', pass: { env: 'TEST_SMTP_PASS' } },
        tls: { ca: TLS_CERT, servername: 'localhost' },
      },
      env: { TEST_SMTP_PASS: 's3cret' },
    });
    await c.deliver(sampleEffect('notify'), ctx());
    expect(s.received[0]?.user).toBe('loop');
    expect(s.received[0]?.secure).toBe(true);
    expect(await c.health?.()).toMatchObject({ ok: true });
  });

  it('names the missing environment variable of a secret', () => {
    expect(() =>
      emailConnector({
        transport: { host: '127.0.0.1', auth: { user: 'loop', pass: { env: 'NOPE_SMTP_PASS' } } },
        from: FROM,
        env: {},
      }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[ConnectorConfigError: email: transport.auth.pass: environment variable NOPE_SMTP_PASS is not set: export it before starting closedloop]`,
    );
  });

  it('treats a refused login (535) as permanent', async () => {
    const s = await server({ auth: { user: 'loop', pass: 's3cret' } });
    const c = smtpConnector(s, {
      transport: {
        host: '127.0.0.1',
        port: s.port,
        auth: { user: 'loop', pass: 'wrong' },
        tls: { ca: TLS_CERT, servername: 'localhost' },
      },
    });
    const err = (await c.deliver(sampleEffect('notify'), ctx()).catch((e: unknown) => e)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.retryable).toBe(false);
    expect(s.received).toHaveLength(0);
    expect((await c.health?.())?.ok).toBe(false);
  });

  it('retries a 4xx reply and gives up on a 5xx reply', async () => {
    const s = await server();
    const c = smtpConnector(s);
    s.failNext({ stage: 'rcpt', code: 451, message: 'Greylisted, try again later' });
    const soft = (await c.deliver(sampleEffect('alert'), ctx()).catch((e: unknown) => e)) as DeliveryError;
    expect(soft).toBeInstanceOf(DeliveryError);
    expect(soft.retryable).toBe(true);
    s.failNext({ stage: 'data', code: 552, message: 'Message rejected' });
    const hard = (await c
      .deliver(sampleEffect('sendResurvey'), ctx())
      .catch((e: unknown) => e)) as DeliveryError;
    expect(hard).toBeInstanceOf(DeliveryError);
    expect(hard.retryable).toBe(false);
    await c.deliver(sampleEffect('alert'), ctx(2));
    expect(s.received).toHaveLength(1);
  });

  it('retries while the server is down and sends exactly once when it comes back', async () => {
    const s = await server({ listen: false });
    const c = smtpConnector(s, {
      transport: {
        host: '127.0.0.1',
        port: s.port,
        tls: { ca: TLS_CERT, servername: 'localhost' },
        connectionTimeoutMs: 2_000,
      },
    });
    const e = sampleEffect('notify');
    const down = (await c.deliver(e, ctx(1)).catch((err: unknown) => err)) as DeliveryError;
    expect(down).toBeInstanceOf(DeliveryError);
    expect(down.retryable).toBe(true);
    expect((await c.health?.())?.ok).toBe(false);
    await s.start();
    await c.deliver(e, ctx(2));
    await c.deliver(e, ctx(3)); // a duplicate hand-off after success: not sent again
    expect(s.received).toHaveLength(1);
    expect(s.count(c.messageId(e))).toBe(1);
  });

  it('gives the same Message-ID to the same effect from another process', () => {
    const a = emailConnector({ transport: { kind: 'directory', path: '/tmp/x' }, from: FROM });
    const b = emailConnector({ transport: { kind: 'directory', path: '/tmp/y' }, from: FROM });
    const e = sampleEffect('notify');
    expect(a.messageId(e)).toBe(b.messageId(e));
    expect(a.messageId(e)).toMatch(/^<[0-9a-f]{40}@shop\.example>$/);
    expect(a.messageId({ key: 'other' })).not.toBe(a.messageId(e));
  });

  describe('contract test kit', () => {
    let s: TestSmtp;
    const checks = connectorTestKit({
      create: async () => {
        s ??= await testSmtp();
        return emailConnector({
          transport: { host: '127.0.0.1', port: s.port, tls: { ca: TLS_CERT, servername: 'localhost' } },
          from: FROM,
        });
      },
      // A mailbox keeps one message per Message-ID: count what it would keep.
      received: (e) =>
        Math.min(
          1,
          s.count(emailConnector({ transport: { kind: 'directory', path: '.' }, from: FROM }).messageId(e)),
        ),
      failNext: (f) =>
        s.failNext({ stage: 'data', code: f === 'permanent' ? 554 : f === 'rateLimited' ? 421 : 451 }),
    });
    for (const check of checks) it(check.name, check.run);
    it('stops the kit server', async () => {
      await s?.stop();
    });
  });
});

describe('email connector writing .eml files to a folder', () => {
  it('writes one parseable file per effect, even when delivered twice or by two instances', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'closedloop-eml-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const a = emailConnector({ transport: { kind: 'directory', path: dir }, from: FROM });
    const b = emailConnector({ transport: { kind: 'directory', path: dir }, from: FROM });
    const e = sampleEffect('notify');
    await a.deliver(e, ctx(1));
    await a.deliver(e, ctx(2));
    await b.deliver(e, ctx(3));
    await a.deliver(sampleEffect('informCustomer'), ctx());
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([a.fileName(e), a.fileName(sampleEffect('informCustomer'))].sort());
    const mail = await simpleParser(await readFile(join(dir, a.fileName(e))));
    expect(mail.messageId).toBe(a.messageId(e));
    expect(mail.subject).toBe('[Caso CS-1042] Nuevo caso de detractor: prioridad alta, segmento Spain');
    expect(mail.html).toContain('<p>');
    expect(mail.text).toContain('Segmento: Spain');
    expect(await a.health?.()).toMatchObject({ ok: true });
  });
});

describe('email connector sender forms', () => {
  it('takes the bare address out of "Name <address>" for Message-IDs, unsubscribe and re-survey links', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'closedloop-eml-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const c = emailConnector({
      transport: { kind: 'directory', path: dir },
      from: 'Customer Care <care@shop.example>',
    });
    const e = sampleEffect('sendResurvey');
    await c.deliver(e, ctx());
    const mail = await simpleParser(await readFile(join(dir, c.fileName(e))));
    expect(c.messageId(e)).toMatch(/@shop\.example>$/);
    expect(mail.from?.value[0]).toEqual({ name: 'Customer Care', address: 'care@shop.example' });
    expect(mail.text).toContain('mailto:care@shop.example?subject=Re-survey%20loop-7f3a');
    const unsub = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line.replace(/\r\n\s+/g, ' ');
    expect(unsub).toBe(
      'List-Unsubscribe: <mailto:care@shop.example?subject=unsubscribe%20marta.garcia%40example.com>',
    );
  });
});
