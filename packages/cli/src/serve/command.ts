import { CONFIG_HELP, ConfigError, loadConfig } from '@closedloop/config';
import { type Command, InvalidArgumentError } from 'commander';
import { StartRefused } from './auth/setup.ts';
import { startServer } from './server.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError(`"${value}" is not a port number (0–65535).`);
  return n;
}

/** `closedloop serve`: the embedded runtime behind an HTTP API, webhook intake and a console. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the embedded loop behind an HTTP API, survey webhooks and a web console')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--port <n>', 'port to listen on (overrides http.port)', port)
    .action(async (opts: { config?: string; port?: number }) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(opts.config);
      } catch (e) {
        if (e instanceof ConfigError) {
          process.stderr.write(
            `closedloop serve: invalid config ${e.file}\n${e.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`,
          );
          process.exitCode = 1;
          return;
        }
        throw e;
      }
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(config, opts.port !== undefined ? { port: opts.port } : {});
      } catch (e) {
        if (e instanceof StartRefused) {
          process.stderr.write(`closedloop serve: not started. ${e.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw e;
      }
      process.stdout.write(`closedloop serve: listening on ${server.url} (console ${server.url}/)\n`);
      const stop = (signal: string) => {
        process.stdout.write(`closedloop serve: ${signal}, finishing requests in flight…\n`);
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
