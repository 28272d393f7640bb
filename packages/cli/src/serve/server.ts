import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServeConfig } from '@closedloop/config';
import type { PeriodicJob, ReplicaOptions } from '@closedloop/core';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { authSettingsFrom } from './auth/setup.ts';
import { jsonLogger, type Logger } from './log.ts';
import { startRetentionJob } from './retention-job.ts';
import { createRuntime, type Runtime } from './runtime.ts';

export interface RunningServer {
  /** `http://host:port` */
  url: string;
  port: number;
  runtime: Runtime;
  /** Stops taking requests, lets the ones in flight finish, then closes the loop and its store. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Overrides `http.port` (0: any free port). */
  port?: number;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** On close, how long requests in flight may take before their connections are cut (default 10 s). */
  shutdownGraceMs?: number;
  /** This replica's id (default host, pid and a random part) and how often it polls the store. */
  replica?: ReplicaOptions;
  /** Periodic jobs (e.g. retention) run once per period across replicas. */
  jobs?: readonly PeriodicJob[];
}

/**
 * Starts `closedloop serve` for a loaded config.
 *
 * @example
 * const server = await startServer(loadConfig('closedloop.config.json'));
 * console.log(`listening on ${server.url}`);
 * await server.close();
 */
export async function startServer(config: ServeConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? jsonLogger;
  const env = options.env ?? process.env;
  const runtime = createRuntime(config, {
    logger,
    env,
    ...(options.replica ? { replica: options.replica } : {}),
    ...(options.jobs ? { jobs: options.jobs } : {}),
  });
  // The rules version published in the store, before the first capture.
  try {
    await runtime.rules.refresh();
  } catch (e) {
    await runtime.close();
    throw e;
  }
  const stopRetention = startRetentionJob(config, runtime.loop.store, logger);
  const port = options.port ?? config.http.port;
  let server: ReturnType<typeof serve>;
  try {
    // Refuses to start exposed without sign-in (StartRefused says what to add).
    const auth = authSettingsFrom(config, { env, store: runtime.loop.store, logger });
    const app = createApp({
      loop: runtime.loop,
      adapters: runtime.adapters,
      org: { segments: config.segments, directory: config.directory },
      ...(runtime.email ? { email: runtime.email } : {}),
      bodyLimit: config.http.bodyLimit,
      logger,
      auth,
      rules: runtime.rules,
      ...(runtime.unsubscribeSecret ? { unsubscribeSecret: runtime.unsubscribeSecret } : {}),
    });
    const { requestTimeoutMs, headersTimeoutMs, maxConnections } = config.http;
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve(
        {
          fetch: app.fetch,
          hostname: config.http.host,
          port,
          serverOptions: { requestTimeout: requestTimeoutMs, headersTimeout: headersTimeoutMs },
        },
        () => resolve(s),
      );
      (s as Server).maxConnections = maxConnections;
      s.once('error', reject);
    });
  } catch (e) {
    await stopRetention();
    await runtime.close();
    throw e;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    runtime,
    close() {
      closing ??= (async () => {
        const http = server as Server;
        await new Promise<void>((resolve) => {
          // Requests in flight finish; kept-alive connections close as soon as they are idle,
          // and after the grace period whatever is left is cut.
          const idle = setInterval(() => http.closeIdleConnections(), 50);
          const cut = setTimeout(() => http.closeAllConnections(), options.shutdownGraceMs ?? 10_000);
          http.close(() => {
            clearInterval(idle);
            clearTimeout(cut);
            resolve();
          });
          http.closeIdleConnections();
        });
        await stopRetention();
        await runtime.close();
      })();
      return closing;
    },
  };
}
