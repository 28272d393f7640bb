import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClosedLoop, idsFor, manualClock, sqliteStore } from '@closedloop/core';
import { describe, expect, test } from 'vitest';
import { people, segments } from '../machine/fixtures.ts';
import { recordingConnector } from './test-kit.ts';

const CHILD = join(import.meta.dirname, 'crash-child.fixture.ts');

/** An effect receiver that dedupes on the idempotency key, as a real mail server or API would. */
async function startReceiver() {
  const applied = new Set<string>();
  let calls = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      calls++;
      applied.add((JSON.parse(body) as { key: string }).key);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, applied, calls: () => calls, close: () => new Promise((r) => server.close(r)) };
}

/** Runs the child; with `killAfterAcks` it is SIGKILLed once that many captures were acknowledged. */
function runChild(args: string[], killAfterAcks?: number): Promise<{ acks: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@closedloop/source', '--no-warnings', CHILD, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const acks: string[] = [];
    let stderr = '';
    let buffered = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ack ')) acks.push(line.slice(4));
        if (killAfterAcks !== undefined && acks.length >= killAfterAcks) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ acks, killed: true });
      else if (code === 0) resolve({ acks, killed: false });
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
}

describe('durability of the embedded runtime on SQLite', () => {
  test('SIGKILL mid-run: nothing acknowledged is lost and every effect is applied exactly once', {
    timeout: 60_000,
  }, async ({ annotate }) => {
    const dir = mkdtempSync(join(tmpdir(), 'closedloop-crash-'));
    const db = join(dir, 'loop.sqlite');
    const receiver = await startReceiver();
    const first = await runChild([db, receiver.url, '0', '200'], 60);
    expect(first.killed).toBe(true);
    // Restart: the same captures again (a redelivering source), then the rest.
    const second = await runChild([db, receiver.url, '0', '200']);
    expect(second.killed).toBe(false);

    const store = sqliteStore({ path: db });
    for (const id of first.acks) {
      expect(
        await store.getLoop(idsFor({ tool: 'crash', responseId: id }).loopId),
        `acknowledged ${id}`,
      ).toBeDefined();
    }
    const deliveries = await store.listDeliveries();
    expect(deliveries.filter((d) => d.status !== 'delivered')).toEqual([]);
    const keys = new Set(deliveries.map((d) => d.effect.key));
    expect(receiver.applied).toEqual(keys);
    // At-least-once delivery repeats at most what was in flight at the kill (concurrency 8).
    const redeliveries = receiver.calls() - receiver.applied.size;
    expect(redeliveries).toBeLessThanOrEqual(8);
    await annotate(
      `crash after ${first.acks.length} acks: ${keys.size} effects, ${redeliveries} redeliveries`,
    );
    await store.close();
    await receiver.close();
  });

  test('after a restart, overdue timers fire at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'closedloop-timers-'));
    const path = join(dir, 'loop.sqlite');
    const t0 = Date.parse('2026-11-02T09:00:00Z');
    const clock1 = manualClock(t0);
    const a = createClosedLoop({ store: sqliteStore({ path }), directory: people, segments, clock: clock1 });
    const { case: c } = await a.capture({
      source: { tool: 't', responseId: '1' },
      customer: { email: 'x@example.com', segment: 'spain' },
      nps: 1,
    });
    expect(c?.sla.firstResponseDue).toBe('2026-11-03T09:00:00.000Z');
    await a.close();

    // Down for 30 hours: the 24-hour first-response SLA passed while nothing ran.
    const clock2 = manualClock(t0 + 30 * 3600_000);
    const connector = recordingConnector();
    const b = createClosedLoop({
      store: sqliteStore({ path }),
      directory: people,
      segments,
      clock: clock2,
      connectors: [connector],
    });
    await clock2.advance(0);
    await b.idle();
    const after = await b.cases.get(c!.id);
    // Both steps of the chain were overdue: at 24 h (raise priority) and 24 + 4 h (escalate).
    expect(after.sla.breaches).toEqual([
      { kind: 'firstResponse', at: '2026-11-03T09:00:00.000Z' },
      { kind: 'firstResponse', at: '2026-11-03T13:00:00.000Z' },
    ]);
    expect(after).toMatchObject({ status: 'escalated', segment: 'emea', priority: 'critical' });
    expect(connector.calls.filter((e) => e.type === 'notify' && e.reason === 'slaBreached')).toHaveLength(2);
    await b.close();
  });
});
