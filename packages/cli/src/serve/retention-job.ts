// The retention job of `closedloop serve`: anonymises what `retention` says has expired, once at
// start and then every `retention.every`. (Several replicas on one database may each run it:
// anonymising again changes nothing.)

import type { ServeConfig } from '@closedloop/config';
import { type RetentionPolicy, runRetention, type Store, subtractDuration } from '@closedloop/core';
import type { Logger } from './log.ts';

/** The policy part of the `retention` config (without the schedule). */
export function retentionPolicyOf(config: ServeConfig): RetentionPolicy | undefined {
  const r = config.retention;
  if (!r) return undefined;
  const { every: _every, batchSize: _batch, ...policy } = r;
  return Object.keys(policy).length > 0 ? policy : undefined;
}

/** Starts the schedule; returns a function that stops it and waits for a running pass. */
export function startRetentionJob(config: ServeConfig, store: Store, log: Logger): () => Promise<void> {
  const policy = retentionPolicyOf(config);
  if (!policy) return async () => {};
  const now = Date.now();
  const everyMs = Math.max(60_000, now - subtractDuration(now, config.retention?.every ?? 'P1D', 'every'));
  let running: Promise<void> | undefined;
  let stopped = false;
  const pass = () => {
    if (running || stopped) return;
    running = runRetention(store, policy, { batchSize: config.retention?.batchSize ?? 200 })
      .then((report) => log('info', 'retention pass', { scanned: report.scanned, ...report.anonymised }))
      .catch((e: unknown) =>
        log('error', 'retention pass failed', { error: e instanceof Error ? e.name : 'error' }),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(pass, everyMs);
  timer.unref();
  const first = setTimeout(pass, 1_000);
  first.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(first);
    await running;
  };
}
