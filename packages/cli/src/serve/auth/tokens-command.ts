import { CONFIG_HELP, ConfigError, loadConfig } from '@closedloop/config';
import { ClosedLoopError } from '@closedloop/core';
import type { Command } from 'commander';
import { createRuntime } from '../runtime.ts';
import { createToken, listTokens, revokeToken } from './tokens.ts';

/** Opens the config's store, runs `work`, and turns known errors into a message and exit code 1. */
async function withStore(
  configFile: string | undefined,
  work: (store: ReturnType<typeof createRuntime>['loop']['store']) => Promise<void>,
): Promise<void> {
  let runtime: ReturnType<typeof createRuntime> | undefined;
  try {
    runtime = createRuntime(loadConfig(configFile), { logger: () => {} });
    await runtime.loop.store.init();
    await work(runtime.loop.store);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(
        `closedloop tokens: invalid config ${e.file}\n${e.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`,
      );
    } else if (
      e instanceof ClosedLoopError ||
      (e instanceof Error && e.message.includes('environment variable'))
    ) {
      process.stderr.write(`closedloop tokens: ${e.message}\n`);
    } else throw e;
    process.exitCode = 1;
  } finally {
    await runtime?.close();
  }
}

/** `closedloop tokens create | list | revoke`: API tokens for programs, kept hashed in the store. */
export function registerTokensCommand(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('API tokens for programs that call `closedloop serve` (Authorization: Bearer)');
  tokens
    .command('create')
    .description('create a token; it is printed once and only its hash is kept')
    .requiredOption('--name <name>', 'who uses it, e.g. "survey-import" (the case log shows service:<name>)')
    .requiredOption('--scopes <list>', 'comma-separated: capture, read, write, admin')
    .option('-c, --config <file>', CONFIG_HELP)
    .action(async (opts: { name: string; scopes: string; config?: string }) => {
      await withStore(opts.config, async (store) => {
        const scopes = opts.scopes
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const t = await createToken(store, { name: opts.name, scopes });
        process.stdout.write(
          `Token "${t.name}" (id ${t.id}, scopes ${t.scopes.join(', ')}). Copy it now: it is not shown again.\n${t.token}\n`,
        );
      });
    });
  tokens
    .command('list')
    .description('list tokens (names, ids, scopes; never the secrets)')
    .option('-c, --config <file>', CONFIG_HELP)
    .action(async (opts: { config?: string }) => {
      await withStore(opts.config, async (store) => {
        const all = await listTokens(store);
        if (all.length === 0) process.stdout.write('No tokens.\n');
        for (const t of all)
          process.stdout.write(`${t.id}  ${t.name}  ${t.scopes.join(',')}  created ${t.createdAt}\n`);
      });
    });
  tokens
    .command('revoke')
    .description('revoke a token by id or name; requests with it get 401 at once')
    .argument('<idOrName>', 'the token id or name')
    .option('-c, --config <file>', CONFIG_HELP)
    .action(async (idOrName: string, opts: { config?: string }) => {
      await withStore(opts.config, async (store) => {
        if (await revokeToken(store, idOrName)) process.stdout.write(`Revoked ${idOrName}.\n`);
        else {
          process.stderr.write(
            `closedloop tokens: no token "${idOrName}" (see \`closedloop tokens list\`)\n`,
          );
          process.exitCode = 1;
        }
      });
    });
}
