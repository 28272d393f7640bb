import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  delightedAdapter,
  type EmailConnector,
  emailConnector,
  formbricksAdapter,
  qualtricsAdapter,
  type SurveyAdapter,
  surveyMonkeyAdapter,
  typeformAdapter,
} from '@closedloop/connectors';
import {
  createClosedLoop,
  type Decider,
  type EmbeddedClosedLoop,
  memoryStore,
  postgresStore,
  sqliteStore,
} from '@closedloop/core';
import { createRulesDecider, watchRules } from '@closedloop/rules';
import type { ServeConfig } from '../config/config.ts';
import type { Logger } from './log.ts';
import { createRulesService, type RulesService } from './rules-service.ts';

/** Everything `closedloop serve` runs: the loop, the survey adapters, the rule watcher. */
export interface Runtime {
  loop: EmbeddedClosedLoop;
  /** The email connector, when the config has one (for previews and the template list). */
  email?: EmailConnector;
  /** The rules it runs: a folder (read-only) or versions published in the store. */
  rules: RulesService;
  adapters: Map<string, SurveyAdapter>;
  close(): Promise<void>;
}

/** The survey adapters the config enables, with their secrets read from the environment. */
export function adaptersFrom(config: ServeConfig, env: NodeJS.ProcessEnv = process.env) {
  const out = new Map<string, SurveyAdapter>();
  const i = config.inbound;
  if (i.typeform?.enabled)
    out.set(
      'typeform',
      typeformAdapter({ secret: { env: i.typeform.secretEnv }, mapping: i.typeform.mapping, env }),
    );
  if (i.delighted?.enabled)
    out.set(
      'delighted',
      delightedAdapter({ apiKey: { env: i.delighted.apiKeyEnv }, mapping: i.delighted.mapping, env }),
    );
  if (i.formbricks?.enabled)
    out.set(
      'formbricks',
      formbricksAdapter({
        ...(i.formbricks.secretEnv ? { secret: { env: i.formbricks.secretEnv } } : {}),
        ...(i.formbricks.tokenEnv ? { token: { env: i.formbricks.tokenEnv } } : {}),
        mapping: i.formbricks.mapping,
        env,
      }),
    );
  if (i.surveymonkey?.enabled)
    out.set(
      'surveymonkey',
      surveyMonkeyAdapter({
        apiKey: { env: i.surveymonkey.apiKeyEnv },
        apiSecret: { env: i.surveymonkey.apiSecretEnv },
        accessToken: { env: i.surveymonkey.accessTokenEnv },
        ...(i.surveymonkey.baseUrl ? { baseUrl: i.surveymonkey.baseUrl } : {}),
        mapping: i.surveymonkey.mapping,
        env,
      }),
    );
  if (i.qualtrics?.enabled)
    out.set(
      'qualtrics',
      qualtricsAdapter({
        token: { env: i.qualtrics.tokenEnv },
        apiToken: { env: i.qualtrics.apiTokenEnv },
        baseUrl: i.qualtrics.baseUrl,
        mapping: i.qualtrics.mapping,
        env,
      }),
    );
  return out;
}

function connectorsFrom(config: ServeConfig, env: NodeJS.ProcessEnv): EmailConnector[] {
  const email = config.connectors.email;
  if (!email) return [];
  const t = email.transport;
  const transport =
    t.kind === 'directory'
      ? t
      : {
          kind: 'smtp' as const,
          host: t.host,
          ...(t.port !== undefined ? { port: t.port } : {}),
          ...(t.secure !== undefined ? { secure: t.secure } : {}),
          ...(t.requireTLS !== undefined ? { requireTLS: t.requireTLS } : {}),
          ...(t.passwordEnv
            ? { auth: { user: t.userEnv ? { env: t.userEnv } : t.user!, pass: { env: t.passwordEnv } } }
            : {}),
        };
  return [
    emailConnector({
      from: email.from,
      ...(email.replyTo ? { replyTo: email.replyTo } : {}),
      ...(email.caseUrl ? { caseUrl: email.caseUrl } : {}),
      ...(email.resurveyUrl ? { resurveyUrl: email.resurveyUrl } : {}),
      transport,
      env,
    }),
  ];
}

/**
 * Builds the embedded runtime a config describes. With `rules`, decisions come from the rule
 * folder and a valid change to it is swapped in while running (an invalid one is logged and ignored).
 */
export function createRuntime(
  config: ServeConfig,
  options: { logger: Logger; env?: NodeJS.ProcessEnv } = { logger: () => {} },
): Runtime {
  const env = options.env ?? process.env;
  const log = options.logger;
  const adapters = adaptersFrom(config, env);
  const connectors = connectorsFrom(config, env);
  const rules = config.rules ? createRulesDecider(config.rules) : undefined;
  const decider: Decider | undefined = rules;
  let store: EmbeddedClosedLoop['store'];
  if (typeof config.store !== 'string') {
    const { urlEnv, schema } = config.store.postgres;
    const connectionString = env[urlEnv];
    if (!connectionString) {
      throw new Error(
        `store.postgres.urlEnv: the environment variable ${urlEnv} is not set; set it to the PostgreSQL connection string`,
      );
    }
    store = postgresStore({ connectionString, ...(schema ? { schema } : {}) });
  } else if (config.store === ':memory:') store = memoryStore();
  else {
    mkdirSync(dirname(config.store), { recursive: true });
    store = sqliteStore({ path: config.store });
  }
  const loop = createClosedLoop({
    store,
    directory: config.directory,
    segments: config.segments,
    connectors,
    ...(decider ? { decider } : {}),
    onError: (error, where) =>
      log('warn', `${where} failed`, { error: error instanceof Error ? error.name : 'error' }),
  });
  // Delivery problems, without the message (an SMTP answer can quote addresses).
  loop.on('effect.failed', ({ effect, connector, attempts, willRetry, reason }) =>
    log(willRetry ? 'warn' : 'error', 'effect delivery failed', {
      connector,
      effect: effect.type,
      loopId: effect.loopId,
      attempts,
      willRetry,
      // A reason the connector marked safe for logs; never the raw message.
      ...(reason ? { reason } : {}),
    }),
  );
  // Watch the rule folder last, once everything that can fail to start has started.
  const watcher =
    rules && config.rules
      ? watchRules(
          config.rules,
          (ruleSet) => {
            rules.swap(ruleSet);
            log('info', 'rules reloaded', { version: ruleSet.version });
          },
          {
            onError: (errors) =>
              log('warn', 'rules not reloaded: the running rules stay in place', {
                errors: errors.map((e) => `${e.file ?? ''}:${e.line}:${e.column} ${e.message}`),
              }),
          },
        )
      : undefined;
  const rulesService = createRulesService({
    loop,
    directory: config.directory,
    segments: config.segments,
    ...(rules && config.rules ? { folder: { path: config.rules, decider: rules } } : {}),
    logger: log,
  });
  return {
    loop,
    adapters,
    ...(connectors[0] ? { email: connectors[0] } : {}),
    rules: rulesService,
    async close() {
      rulesService.close();
      watcher?.close();
      await loop.close();
    },
  };
}
