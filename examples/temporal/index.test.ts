// Runs the example end to end on a dev server started here (the project's Temporal CLI).
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorkerConfig, runWorker } from '@closedloop/temporal-worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { expect, test } from 'vitest';
import { DEMO_KEY, main } from './index.ts';

test('the example runs a loop on a local Temporal dev server and emails the customer', {
  timeout: 120_000,
}, async () => {
  Runtime.install({
    logger: new DefaultLogger('ERROR', () => {}),
    telemetryOptions: { logging: { filter: 'ERROR', forward: {} } },
  });
  const tools = process.env.CLOSEDLOOP_TOOLS ?? join(process.env.HOME ?? '', '.cache', 'closedloop', 'tools');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: join(tools, 'bin', 'temporal') },
      ip: '127.0.0.1',
      extraArgs: [
        ...['Status', 'Priority', 'Segment', 'Owner', 'NpsCategory', 'State', 'CaseId'].flatMap((n) => [
          '--search-attribute',
          `ClosedLoop${n}=Keyword`,
        ]),
      ],
    },
  });
  const outbox = mkdtempSync(join(tmpdir(), 'cl-outbox-'));
  // The config file the README's `pnpm worker` runs, with this test's server, port and outbox.
  const config = loadWorkerConfig(join(import.meta.dirname, 'closedloop.config.json'), {
    DEMO_ENCRYPTION_KEY: DEMO_KEY,
  });
  const running = await runWorker(
    {
      ...config,
      temporal: { ...config.temporal, address: env.address },
      http: { ...config.http, port: 0 },
      connectors: [{ ...config.connectors[0]!, transport: { kind: 'directory', path: outbox } }],
    },
    { installRuntime: false },
  );
  try {
    const r = await main(env.address);
    expect(r.status).toBe('resolved');
    await expect.poll(() => readdirSync(outbox).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
  } finally {
    await running.shutdown();
    await env.teardown();
  }
});
