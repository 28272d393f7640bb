// closedloop-worker: config + env, /healthz, /metrics, the codec endpoint for the Temporal UI,
// graceful shutdown.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detractor } from '@closedloop/core/testing';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createTemporalClosedLoop } from './client.ts';
import { reportScheduleId } from './reports.ts';
import { reportAudiences, runMirrorBackfill, runWorker } from './run-worker.ts';
import { eventually, startDevServer, TEST_KEY, testCodec, testOrg } from './test-kit.ts';
import { loadWorkerConfig, WorkerConfigSchema } from './worker-config.ts';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startDevServer();
}, 120_000);
afterAll(async () => {
  await env?.teardown();
});

describe('closedloop-worker', { timeout: 60_000 }, () => {
  test('env vars still override the config file, with a deprecation each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-worker-'));
    const file = join(dir, 'worker.json');
    writeFileSync(file, JSON.stringify({ temporal: { address: 'a:1', taskQueue: 'q' }, ...testOrg }));
    const warnings: string[] = [];
    const config = loadWorkerConfig(
      file,
      {
        TEMPORAL_ADDRESS: 'b:2',
        TEMPORAL_NAMESPACE: 'cx',
        CLOSEDLOOP_ENCRYPTION_KEYS: `k2:${TEST_KEY},k1:${TEST_KEY}`,
      },
      { onDeprecation: (m) => warnings.push(m) },
    );
    // The old worker file and the environment overrides still work, each with one warning.
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"temporal" is deprecated: write "worker.temporal"'),
        'TEMPORAL_ADDRESS is deprecated: write worker.temporal.address in the config file (read until the next release)',
      ]),
    );
    expect(warnings.filter((w) => w.startsWith('TEMPORAL_ADDRESS'))).toHaveLength(1);
    expect(config.temporal).toMatchObject({ address: 'b:2', namespace: 'cx', taskQueue: 'q' });
    expect(config.encryption?.current).toBe('k2');
  });

  test('a bad config names the field', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cl-worker-')), 'closedloop.config.json');
    writeFileSync(file, JSON.stringify({ segments: testOrg.segments, worker: { http: { port: 'x' } } }));
    expect(() => loadWorkerConfig(file, {})).toThrow(/directory: .*worker\.http\.port: /);
  });

  test('validates its email connector like the connector does, naming the field', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cl-worker-')), 'closedloop.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...testOrg,
        connectors: { email: { from: 'cx@example.com', transport: { port: 25 } } },
      }),
    );
    expect(() => loadWorkerConfig(file, {})).toThrow(/connectors\.email\.transport/);
    expect(() =>
      WorkerConfigSchema.parse({
        ...testOrg,
        connectors: [{ type: 'email', transport: { kind: 'directory' } }],
      }),
    ).toThrow(/from/);
  });

  test('reads the one config: worker section, secrets from the environment, the store as mirror', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cl-worker-')), 'closedloop.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...testOrg,
        store: { postgres: { url: { env: 'MIRROR_URL' }, schema: 'cx' } },
        worker: {
          temporal: { address: 'temporal:7233', apiKey: { env: 'TEMPORAL_KEY' } },
          encryption: { current: 'k1', keys: { k1: { env: 'KEY_1' } } },
        },
      }),
    );
    const config = loadWorkerConfig(file, { TEMPORAL_KEY: 'secret-key', KEY_1: TEST_KEY });
    expect(config.temporal).toMatchObject({ address: 'temporal:7233', apiKey: 'secret-key' });
    expect(config.encryption).toEqual({ current: 'k1', keys: { k1: TEST_KEY } });
    expect(config.mirror).toEqual({ postgres: { urlEnv: 'MIRROR_URL', schema: 'cx' } });
    expect(() => loadWorkerConfig(file, { TEMPORAL_KEY: 'secret-key' })).toThrow(
      /worker\.encryption\.keys\.k1: the environment variable KEY_1 is not set/,
    );
  });

  test('reports need the mirror, and their audiences name known people and segments', async () => {
    const reports = {
      mail: { from: 'cx@example.com', transport: { kind: 'directory', path: '/tmp/x' } },
      audiences: { weekly: [{ person: 'bob' }] },
    };
    expect(() => WorkerConfigSchema.parse({ ...testOrg, reports })).toThrow(/reports read the mirror/);
    const config = (audiences: unknown) =>
      WorkerConfigSchema.parse({ ...testOrg, mirror: { postgres: {} }, reports: { ...reports, audiences } });
    expect(config({ weekly: [{ person: 'bob' }] }).mirror?.postgres).toEqual({
      urlEnv: 'CLOSEDLOOP_MIRROR_URL',
      schema: 'closedloop',
    });
    // A person gets the segments they manage (bob: emea and americas, not spain below emea).
    expect(reportAudiences(config({ weekly: [{ person: 'bob', team: 'key members' }] })).weekly).toEqual([
      { name: 'Bob Smith', email: 'bob@example.com', team: 'key members', segments: ['emea', 'americas'] },
    ]);
    expect(() => reportAudiences(config({ daily: [{ person: 'zed' }] }))).toThrow(
      /reports\.audiences\.daily\[0\]\.person: "zed" is not in the directory/,
    );
    expect(() =>
      reportAudiences(config({ daily: [{ email: 'care@example.com', segments: ['mars'] }] })),
    ).toThrow(/reports\.audiences\.daily\[0\]\.segments: unknown segment "mars"/);
    expect(() => config({ hourly: [] })).toThrow(/hourly/);
    await expect(runMirrorBackfill(WorkerConfigSchema.parse(testOrg))).rejects.toThrow(
      /the config has no mirror/,
    );
    await expect(runMirrorBackfill(config({}), { env: {} })).rejects.toThrow(
      /CLOSEDLOOP_MIRROR_URL is not set/,
    );
    expect(() => config({ weekly: [{ email: 'not-an-email' }] })).toThrow(/email/);
  });

  test('serves health, metrics and the codec, and stops on shutdown', async () => {
    const running = await runWorker(
      WorkerConfigSchema.parse({
        ...testOrg,
        http: { host: '127.0.0.1', port: 0 },
        encryption: { current: 'k1', keys: { k1: TEST_KEY } },
        temporal: { address: env.address, namespace: 'default', taskQueue: 'closedloop-cli' },
      }),
      { installRuntime: false },
    ).catch((e: unknown) => e);
    if (running instanceof Error) throw running;
    const base = `http://127.0.0.1:${(running as Awaited<ReturnType<typeof runWorker>>).httpPort}`;
    const r = running as Awaited<ReturnType<typeof runWorker>>;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('closedloop_worker_up 1');
    const plain = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('"ana@example.com"').toString('base64'),
    };
    const encoded = (await (
      await fetch(`${base}/codec/encode`, { method: 'POST', body: JSON.stringify({ payloads: [plain] }) })
    ).json()) as { payloads: { data: string }[] };
    expect(Buffer.from(encoded.payloads[0]!.data, 'base64').toString()).not.toContain('ana@example.com');
    const decoded = (await (
      await fetch(`${base}/codec/decode`, { method: 'POST', body: JSON.stringify(encoded) })
    ).json()) as { payloads: { data: string }[] };
    expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toBe('"ana@example.com"');
    await r.shutdown();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  test('mirrors loops into PostgreSQL and mails the scheduled reports it applied', async () => {
    const schema = `tw_worker_${process.pid}`;
    const outbox = mkdtempSync(join(tmpdir(), 'cl-reports-'));
    const prefix = `worker-report-${process.pid}`;
    const taskQueue = 'closedloop-reports';
    const config = WorkerConfigSchema.parse({
      ...testOrg,
      http: { host: '127.0.0.1', port: 0 },
      encryption: { current: 'test-1', keys: { 'test-1': TEST_KEY } },
      temporal: { address: env.address, namespace: 'default', taskQueue },
      mirror: { postgres: { urlEnv: 'TEST_MIRROR_URL', schema } },
      reports: {
        timeZone: 'Europe/Madrid',
        schedulePrefix: prefix,
        mail: { from: 'CX reports <cx@example.com>', transport: { kind: 'directory', path: outbox } },
        audiences: { daily: [{ person: 'ana', team: 'care' }], weekly: [{ person: 'bob' }] },
      },
    });
    await expect(runWorker(config, { installRuntime: false, env: {} })).rejects.toThrow(
      /store\.postgres\.url: the environment variable TEST_MIRROR_URL is not set/,
    );
    const r = await runWorker(config, { installRuntime: false, env: { TEST_MIRROR_URL: inject('pgUrl') } });
    const pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 2 });
    try {
      expect(r.schedules?.created.sort()).toEqual(
        [`${prefix}-daily-ana@example.com`, `${prefix}-weekly-bob@example.com`].sort(),
      );
      const loop = createTemporalClosedLoop({
        connection: env.connection,
        taskQueue,
        dataConverter: { payloadCodecs: [testCodec()] },
      });
      await loop.capture(detractor({ receivedAt: '2026-11-12T09:00:00Z' }));
      await eventually(async () => {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.cases`);
        return rows[0].n === 1;
      });

      // The schedule's run for Monday 2026-11-16 08:00 (Madrid), started now by a backfill.
      const client = new Client({
        connection: env.connection,
        dataConverter: { payloadCodecs: [testCodec()] },
      });
      await client.schedule
        .getHandle(reportScheduleId('weekly', { email: 'bob@example.com' }, prefix))
        .backfill({
          start: new Date('2026-11-16T06:59:00Z'),
          end: new Date('2026-11-16T07:01:00Z'),
          overlap: 'ALLOW_ALL',
        });
      const file = await eventually(() => readdirSync(outbox).find((f) => f.endsWith('.eml')), 30_000);
      const mail = await simpleParser(readFileSync(join(outbox, file)));
      expect(mail.subject).toBe('Weekly trend report — 2026-11-09 – 2026-11-15 — EMEA, Americas');
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('bob@example.com');
      expect(mail.text).toMatch(/NPS\s+-100/);

      const metrics = await (await fetch(`http://127.0.0.1:${r.httpPort}/metrics`)).text();
      expect(metrics).toMatch(/closedloop_mirror_writes_total [1-9]/);
      expect(metrics).toContain('closedloop_reports_sent_total{cadence="weekly"} 1');
      // Schedules carry the audience (an email) encrypted, like every other payload.
      const raw = await client.workflowService.describeSchedule({
        namespace: 'default',
        scheduleId: reportScheduleId('weekly', { email: 'bob@example.com' }, prefix),
      });
      const args = raw.schedule?.action?.startWorkflow?.input?.payloads ?? [];
      expect(args).toHaveLength(1);
      expect(Buffer.from(args[0]!.data!).toString('latin1')).not.toContain('bob@example.com');
      expect(Buffer.from(args[0]!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    } finally {
      await r.shutdown();
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    }
  });
});
