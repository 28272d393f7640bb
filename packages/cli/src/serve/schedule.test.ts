// `serve` runs the report schedule of its config, catches up a period missed while it was down,
// and refuses a schedule it cannot run.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@closedloop/config';
import { manualClock } from '@closedloop/core';
import { describe, expect, test } from 'vitest';
import { createRuntime } from './runtime.ts';
import { testConfig } from './test-fixture.ts';

const ENV = { TF_SECRET: 'x', DL_KEY: 'y' };
const MONDAY_8 = Date.parse('2026-01-12T08:00:00Z');

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'closedloop-serve-reports-'));
  const outbox = join(dir, 'outbox');
  const config = testConfig({
    store: join(dir, 'closedloop.sqlite'),
    connectors: { email: { from: 'CX <cx@example.com>', transport: { kind: 'directory', path: outbox } } },
    reports: { timeZone: 'UTC', hour: 8, audiences: { weekly: [{ person: 'eva' }] } },
  });
  const mails = () => {
    try {
      return readdirSync(outbox).map((f) => readFileSync(join(outbox, f), 'utf8'));
    } catch {
      return [];
    }
  };
  return { config, mails };
}

async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`gave up waiting: ${what}`);
}

describe('serve report schedule', () => {
  test('sends the weekly report to its audience at the run time, through the email connector', async () => {
    const { config, mails } = setup();
    const clock = manualClock(MONDAY_8 - 60_000);
    const runtime = createRuntime(config, { logger: () => {}, clock, env: ENV });
    try {
      const schedule = await runtime.reports!.ready;
      expect(schedule!.next()).toEqual([{ cadence: 'weekly', at: '2026-01-12T08:00:00.000Z' }]);
      expect(mails()).toEqual([]);
      await clock.advance(60_000);
      // Read once the message is whole (the directory transport writes it as it goes).
      await until(() => mails().length === 1 && mails()[0]!.includes('\r\n\r\n'), 'the weekly report');
      expect(mails()[0]).toContain('To: eva@example.com');
    } finally {
      await runtime.close();
    }
  });

  test('a period that passed while serve was down is sent when it starts again, once', async () => {
    const { config, mails } = setup();
    const clock = manualClock(MONDAY_8 - 60_000);
    const first = createRuntime(config, { logger: () => {}, clock, env: ENV });
    await first.reports!.ready;
    await first.reports!.ready.then((s) => s!.tick());
    await first.close();
    clock.set(MONDAY_8 + 3 * 3_600_000); // down over Monday 08:00
    const second = createRuntime(config, { logger: () => {}, clock, env: ENV });
    try {
      await second.reports!.ready;
      await until(() => mails().length === 1, 'the missed weekly report');
      await (await second.reports!.ready)!.tick();
      expect(mails()).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  test('periodic jobs given to the runtime (retention) run once per period on the store', async () => {
    const { config } = setup();
    const clock = manualClock(MONDAY_8);
    const runs: number[] = [];
    const runtime = createRuntime(config, {
      logger: () => {},
      clock,
      env: ENV,
      jobs: [
        {
          id: 'retention',
          nextRunAt: (after) => (Math.floor(after / 3_600_000) + 1) * 3_600_000,
          async run(at) {
            runs.push(at);
          },
        },
      ],
    });
    try {
      for (let i = 0; i < 20 && !(await runtime.loop.store.documents.get('job', 'retention')); i++)
        await new Promise((r) => setTimeout(r, 10));
      await clock.advance(3_600_000);
      await until(() => runs.length === 1, 'the hourly job');
      expect(runs).toEqual([MONDAY_8 + 3_600_000]);
    } finally {
      await runtime.close();
    }
  });

  test('a schedule it cannot run is a config error naming the field', () => {
    const error = (() => {
      try {
        testConfig({ reports: { audiences: { weekly: [{ person: 'nobody' }] } } });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.issues.map((i) => i.path)).toEqual([
      'reports',
      'store',
      'reports.audiences.weekly[0].person',
    ]);
  });
});
