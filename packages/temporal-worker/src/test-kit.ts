// Test helpers: a Temporal dev server (the project's Temporal CLI), one worker, one client.
// Internal: not exported from the package index.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Connector, DeliveryError, EFFECT_TYPES, type Effect } from '@closedloop/core';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { SA } from './workflows/definitions.ts';

/** Where scripts/tools.sh installs the Temporal CLI (`CLOSEDLOOP_NEED_TEMPORAL=1`). */
export function temporalCli(): string {
  const tools =
    process.env.CLOSEDLOOP_TOOLS ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'closedloop', 'tools');
  const path = join(tools, 'bin', 'temporal');
  if (!existsSync(path)) {
    throw new Error(`No Temporal CLI at ${path}: run CLOSEDLOOP_NEED_TEMPORAL=1 bash scripts/tools.sh`);
  }
  return path;
}

let installed = false;
/** A quiet Temporal runtime (tests fail on console output). */
export function quietRuntime() {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger('ERROR', () => {}),
    telemetryOptions: { logging: { filter: 'ERROR', forward: {} } },
  });
}

/** Starts the dev server with the closedloop search attributes registered. */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCli() },
      ip: '127.0.0.1',
      searchAttributes: Object.values(SA),
      log: { format: 'json', level: 'error' },
    },
  });
}

export { TEST_KEY, testCodec, testDecider, testOrg } from './fixtures/org.ts';

/** A receiver that dedupes by idempotency key, as a mail server dedupes by Message-ID. */
export interface DedupingReceiver extends Connector {
  readonly calls: Effect[];
  readonly applied: Map<string, Effect>;
  failNext(n: number, retryable?: boolean): void;
}
export function dedupingReceiver(name = 'receiver'): DedupingReceiver {
  const calls: Effect[] = [];
  const applied = new Map<string, Effect>();
  let failures = 0;
  let retryable = true;
  return {
    name,
    capabilities: EFFECT_TYPES,
    calls,
    applied,
    failNext(n, r = true) {
      failures = n;
      retryable = r;
    },
    async deliver(effect) {
      calls.push(effect);
      if (failures > 0) {
        failures--;
        throw new DeliveryError('simulated failure', { retryable });
      }
      if (!applied.has(effect.key)) applied.set(effect.key, effect);
    },
  };
}

/** Polls until `check` returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
