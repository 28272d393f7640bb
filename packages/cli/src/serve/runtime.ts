import { ConfigError, openStore, type ServeConfig } from '@closedloop/config';
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
  type Clock,
  createClosedLoop,
  type Decider,
  type EmbeddedClosedLoop,
  type PeriodicJob,
  type ReplicaOptions,
  scheduleJobs,
  systemClock,
  unsubscribeUrl,
} from '@closedloop/core';
import { createRulesDecider, watchRules } from '@closedloop/rules';
import type { Logger } from './log.ts';
import { createRulesService, type RulesService } from './rules-service.ts';
import { type RunningSchedule, startReportSchedule } from './schedule.ts';

/** Everything `closedloop serve` runs: the loop, the survey adapters, the rule watcher. */
export interface Runtime {
  loop: EmbeddedClosedLoop;
  /** The email connector, when the config has one (for previews and the template list). */
  email?: EmailConnector;
  /** The rules it runs: a folder (read-only) or versions published in the store. */
  rules: RulesService;
  /** The secret sealing unsubscribe tokens, when `contact.unsubscribe` is configured. */
  unsubscribeSecret?: string;
  adapters: Map<string, SurveyAdapter>;
  /** The config's report schedule, when it has one. */
  reports?: RunningSchedule;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** The runtime's clock (default real time): for tests and demos. */
  clock?: Clock;
  /** This replica's id and how often it polls the shared store for work. */
  replica?: ReplicaOptions;
  /** How often (real ms) a replica looks for a report period another one left. Default 30 s. */
  reportPollMs?: number;
  /** How often (real ms) a replica looks for a newly published rule version. Default 2 s. */
  rulesPollMs?: number;
  /**
   * Periodic jobs (e.g. retention) run once per period across every replica on the store,
   * a missed period caught up on start (see `scheduleJobs`).
   */
  jobs?: readonly PeriodicJob[];
}

/** The survey adapters the config enables, with their secrets read from the environment. */
function adaptersFrom(config: ServeConfig, env: NodeJS.ProcessEnv = process.env) {
  const out = new Map<string, SurveyAdapter>();
  const i = config.inbound;
  if (i.typeform?.enabled)
    out.set('typeform', typeformAdapter({ secret: i.typeform.secret, mapping: i.typeform.mapping, env }));
  if (i.delighted?.enabled)
    out.set('delighted', delightedAdapter({ apiKey: i.delighted.apiKey, mapping: i.delighted.mapping, env }));
  if (i.formbricks?.enabled)
    out.set(
      'formbricks',
      formbricksAdapter({
        ...(i.formbricks.secret ? { secret: i.formbricks.secret } : {}),
        ...(i.formbricks.token ? { token: i.formbricks.token } : {}),
        mapping: i.formbricks.mapping,
        env,
      }),
    );
  if (i.surveymonkey?.enabled)
    out.set(
      'surveymonkey',
      surveyMonkeyAdapter({
        apiKey: i.surveymonkey.apiKey,
        apiSecret: i.surveymonkey.apiSecret,
        accessToken: i.surveymonkey.accessToken,
        ...(i.surveymonkey.baseUrl ? { baseUrl: i.surveymonkey.baseUrl } : {}),
        mapping: i.surveymonkey.mapping,
        env,
      }),
    );
  if (i.qualtrics?.enabled)
    out.set(
      'qualtrics',
      qualtricsAdapter({
        ...(i.qualtrics.sharedKey ? { sharedKey: i.qualtrics.sharedKey } : {}),
        ...(i.qualtrics.token ? { token: i.qualtrics.token } : {}),
        apiToken: i.qualtrics.apiToken,
        baseUrl: i.qualtrics.baseUrl,
        mapping: i.qualtrics.mapping,
        env,
      }),
    );
  return out;
}

/** The unsubscribe secret from the environment, when `contact.unsubscribe` is configured. */
function unsubscribeSecretFrom(config: ServeConfig, env: NodeJS.ProcessEnv): string | undefined {
  const u = config.contact.unsubscribe;
  if (!u) return undefined;
  const secret = env[u.secret.env];
  if (!secret || secret.length < 32) {
    throw new ConfigError(config.file, [
      {
        path: 'contact.unsubscribe.secret',
        message: `set the environment variable ${u.secret.env} to a random secret of 32 or more characters`,
      },
    ]);
  }
  return secret;
}

function connectorsFrom(config: ServeConfig, env: NodeJS.ProcessEnv): EmailConnector[] {
  const email = config.connectors.email;
  const unsubscribe = config.contact.unsubscribe;
  const secret = unsubscribeSecretFrom(config, env);
  if (!email) return [];
  return [
    emailConnector({
      ...email,
      ...(unsubscribe && secret
        ? {
            unsubscribe: {
              url: (to: { email: string }) => unsubscribeUrl(unsubscribe.url, secret, to.email),
            },
          }
        : {}),
      env,
    }),
  ];
}

/**
 * Builds the embedded runtime a config describes. With `rules`, decisions come from the rule
 * folder and a valid change to it is swapped in while running (an invalid one is logged and ignored).
 */
export function createRuntime(config: ServeConfig, options: RuntimeOptions = { logger: () => {} }): Runtime {
  const env = options.env ?? process.env;
  const log = options.logger;
  const adapters = adaptersFrom(config, env);
  const connectors = connectorsFrom(config, env);
  const rules = config.rules ? createRulesDecider(config.rules) : undefined;
  const decider: Decider | undefined = rules;
  const store: EmbeddedClosedLoop['store'] = openStore(config, env);
  const loop = createClosedLoop({
    store,
    directory: config.directory,
    segments: config.segments,
    connectors,
    contact: { requireConsent: config.contact.requireConsent },
    ...(decider ? { decider } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.replica ? { replica: options.replica } : {}),
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
  const unsubscribeSecret = unsubscribeSecretFrom(config, env);
  const rulesService = createRulesService({
    loop,
    directory: config.directory,
    segments: config.segments,
    ...(rules && config.rules ? { folder: { path: config.rules, decider: rules } } : {}),
    ...(options.rulesPollMs !== undefined ? { refreshMs: options.rulesPollMs } : {}),
    logger: log,
  });
  const reports = startReportSchedule(config, loop, {
    logger: log,
    clock: options.clock ?? systemClock,
    env,
    ...(options.reportPollMs !== undefined ? { pollMs: options.reportPollMs } : {}),
  });
  const jobs = options.jobs?.length
    ? scheduleJobs({
        documents: store.documents,
        clock: options.clock ?? systemClock,
        owner: loop.replica().id,
        jobs: options.jobs,
        onError: (e, jobId) =>
          log('warn', 'job failed', { job: jobId, error: e instanceof Error ? e.name : 'error' }),
      })
    : undefined;
  return {
    loop,
    adapters,
    ...(reports ? { reports } : {}),
    ...(connectors[0] ? { email: connectors[0] } : {}),
    rules: rulesService,
    ...(unsubscribeSecret ? { unsubscribeSecret } : {}),
    async close() {
      jobs?.stop();
      rulesService.close();
      watcher?.close();
      await reports?.close();
      await loop.close();
    },
  };
}
