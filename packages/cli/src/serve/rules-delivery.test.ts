import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Logger } from './log.ts';
import { createRuntime } from './runtime.ts';
import { testConfig } from './test-fixture.ts';

it('emails alerts addressed to person ids, and logs why an effect cannot be delivered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rules-delivery-'));
  const rules = join(dir, 'rules');
  const outbox = join(dir, 'outbox');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(rules);
  writeFileSync(
    join(rules, 'route.json'),
    JSON.stringify({
      kind: 'route',
      rules: [
        {
          id: 'thanks',
          conditions: { all: [{ fact: 'nps', operator: 'npsCategory', value: 'promoter' }] },
          event: { type: 'thankCustomer', params: { template: 'thank-you' } },
        },
      ],
    }),
  );
  writeFileSync(
    join(rules, 'alert.json'),
    JSON.stringify({
      kind: 'alert',
      rules: [
        {
          id: 'low-score',
          conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 3 }] },
          event: { type: 'alert', params: { channel: 'email', template: 'alert', recipients: ['sara'] } },
        },
      ],
    }),
  );
  const logs: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = (level, message, fields) =>
    logs.push({ level, message, ...(fields ? { fields } : {}) });
  const runtime = createRuntime(
    testConfig({
      inbound: {},
      rules,
      connectors: { email: { from: 'cx@shop.example', transport: { kind: 'directory', path: outbox } } },
    }),
    { logger },
  );
  try {
    await runtime.loop.capture({
      source: { tool: 'api', responseId: 'low' },
      customer: { email: 'ana@example.com', segment: 'spain' },
      nps: 1,
    });
    await runtime.loop.capture({
      source: { tool: 'api', responseId: 'promoter' },
      customer: { email: 'ana@example.com', segment: 'spain' },
      nps: 10,
    });
    await runtime.loop.idle();
    const mails = readdirSync(outbox).map((f) => readFileSync(join(outbox, f), 'utf8'));
    expect(mails.some((m) => /^To: .*sara@example\.com/m.test(m))).toBe(true);
    const failed = logs.find((l) => l.message === 'effect delivery failed');
    expect(failed?.fields).toMatchObject({
      effect: 'informCustomer',
      willRetry: false,
      reason: expect.stringContaining('no email template "thank-you"'),
    });
    // The reason names the template, never the customer's address.
    expect(JSON.stringify(logs)).not.toContain('ana@example.com');
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
