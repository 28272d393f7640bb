import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServeConfig } from '../config/config.ts';
import { createApp } from './app.ts';
import { jsonLogger, type Logger } from './log.ts';
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
  const runtime = createRuntime(config, { logger, ...(options.env ? { env: options.env } : {}) });
  const app = createApp({
    loop: runtime.loop,
    adapters: runtime.adapters,
    bodyLimit: config.http.bodyLimit,
    logger,
  });
  const port = options.port ?? config.http.port;
  let server: ReturnType<typeof serve>;
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.http.host, port }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (e) {
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
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ('closeIdleConnections' in server) server.closeIdleConnections();
        });
        await runtime.close();
      })();
      return closing;
    },
  };
}
