import {
  type Connector,
  type DeliveryContext,
  DeliveryError,
  type Effect,
  type EffectType,
  type HealthStatus,
} from '@closedloop/core';
import type { z } from 'zod';
import { DeliveryLedger } from '../ledger.ts';
import { configError, resolveSecret, type Secret } from '../secrets.ts';

/** What `setup` is given: the connector's name, its parsed config, and a secret resolver. */
export interface SetupContext<Config> {
  /** `options.name`, or the definition's name. */
  name: string;
  config: Config;
  /** The value of a secret (`'…'` or `{ env: NAME }`); `path` names the option in errors. */
  secret(value: Secret, path: string): string;
}

/** What a delivery is given: the runtime's context plus finer-grained de-duplication. */
export interface DeliverContext extends DeliveryContext {
  /**
   * Runs `send` once per `key` in this process (the whole delivery is already once per
   * `effect.key`); for a delivery made of parts, e.g. one post per channel, so a retry after a
   * partial failure skips the parts already done.
   */
  once(key: string, send: () => Promise<void>): Promise<void>;
}

/** The behaviour `setup` returns: delivery of the declared effects, and optionally health/close. */
export interface ConnectorBehaviour {
  /**
   * Whether an effect of a declared type is for this connector (e.g. an alert on its channel);
   * default all. An effect it does not accept is a successful no-op, not recorded as delivered.
   */
  accepts?(effect: Effect): boolean;
  /** Called only for accepted effects, not yet delivered, with a live signal. */
  deliver(effect: Effect, ctx: DeliverContext): Promise<void>;
  health?(): Promise<HealthStatus>;
  close?(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: any zod object schema whose output may carry a name.
type AnySchema = z.ZodType<{ name?: string | undefined } & Record<string, any>>;

export interface ConnectorDefinition<Schema extends AnySchema> {
  /** The default connector name, also the prefix of its messages. */
  name: string;
  /** The config's zod schema: a bad config fails naming the field. */
  schema: Schema;
  /** The effect types handed to `deliver`: fixed, or read from the config. */
  capabilities: readonly EffectType[] | ((config: z.output<Schema>) => readonly EffectType[]);
  /** Turns what the SDK threw into a `DeliveryError` (retryable or not); default: retryable. */
  classify?: (err: unknown) => DeliveryError;
  setup(ctx: SetupContext<z.output<Schema>>): ConnectorBehaviour;
}

/** A connector factory's options: the config, plus where secrets are read from. */
export type ConnectorOptions<Schema extends AnySchema> = z.input<Schema> & {
  /** Environment the `{ env }` secrets are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
};

/**
 * Defines a connector once; the kit does the rest of the contract. The factory it returns parses
 * the options (a `ConnectorConfigError` names the bad field), and each delivery skips effect types
 * not declared or not accepted, fails an aborted delivery as retryable, runs once per `effect.key` in the process
 * (`DeliveryLedger`), and turns any failure into a `DeliveryError` with `classify`. `health`
 * failures become `{ ok: false }` with the classified message.
 *
 * @example
 * export const pagerConnector = defineConnector({
 *   name: 'pager',
 *   schema: z.object({ name: z.string().optional(), url: z.url(), token: SecretSchema }),
 *   capabilities: ['alert'],
 *   setup({ name, config, secret }) {
 *     const token = secret(config.token, 'token');
 *     return {
 *       async deliver(effect, { signal }) {
 *         await httpCall(`${name}: pager API`, config.url, { signal, headers: { authorization: `Bearer ${token}` }, body: '{}' });
 *       },
 *     };
 *   },
 * });
 */
export function defineConnector<Schema extends AnySchema>(
  definition: ConnectorDefinition<Schema>,
): (options: ConnectorOptions<Schema>) => Connector {
  return (options) => {
    const { env, ...input } = options;
    const given = (input as { name?: unknown }).name;
    const name = typeof given === 'string' && given ? given : definition.name;
    const parsed = definition.schema.safeParse(input);
    if (!parsed.success) throw configError(name, parsed.error);
    const config = parsed.data;
    const capabilities =
      typeof definition.capabilities === 'function'
        ? definition.capabilities(config)
        : definition.capabilities;
    const behaviour = definition.setup({
      name,
      config,
      secret: (value, path) => resolveSecret(value, { connector: name, path }, env),
    });
    const ledger = new DeliveryLedger();
    const failure = (err: unknown, signal?: AbortSignal): DeliveryError => {
      // Once the runtime aborts (shutdown, deadline), that is the reason, whatever the SDK threw.
      if (signal?.aborted) {
        return new DeliveryError(`${name}: delivery aborted`, { retryable: true, cause: err });
      }
      if (err instanceof DeliveryError) return err;
      if (definition.classify) return definition.classify(err);
      const message = err instanceof Error ? err.message : String(err);
      return new DeliveryError(`${name}: ${message}`, { retryable: true, cause: err });
    };
    const connector: Connector = {
      name,
      capabilities,
      async deliver(effect, ctx) {
        if (!capabilities.includes(effect.type) || behaviour.accepts?.(effect) === false) return;
        if (ctx.signal.aborted) throw new DeliveryError(`${name}: delivery aborted`, { retryable: true });
        const once = (key: string, send: () => Promise<void>) => ledger.once(key, send);
        try {
          await ledger.once(effect.key, () => behaviour.deliver(effect, { ...ctx, once }));
        } catch (err) {
          throw failure(err, ctx.signal);
        }
      },
    };
    const { health, close } = behaviour;
    if (health) {
      connector.health = async () => {
        try {
          return await health();
        } catch (err) {
          return { ok: false, detail: failure(err).message };
        }
      };
    }
    if (close) connector.close = close;
    return connector;
  };
}

/**
 * `work`, or a rejection as soon as `signal` aborts: for an SDK call that takes no signal. The
 * delivery stops at once; the SDK's request itself runs on until it ends.
 *
 * @example
 * await abortable(conn.sobject('Case').upsert(record, 'Ext_Id__c'), signal);
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Runs `work` with a signal that aborts with `signal` or after `timeoutMs`, and stops waiting for
 * it then (`abortable`): for an SDK call that needs its own time limit. Running out of time is a
 * retryable `DeliveryError`; an abort of `signal` is left for `defineConnector` to report.
 *
 * @example
 * await withTimeout(name, 15_000, signal, (s) => abortable(sdk.call(), s));
 */
export async function withTimeout<T>(
  name: string,
  timeoutMs: number,
  signal: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const either = AbortSignal.any([signal, timeout]);
  try {
    return await abortable(work(either), either);
  } catch (err) {
    if (timeout.aborted && !signal.aborted) {
      throw new DeliveryError(`${name}: no answer within ${timeoutMs} ms`, { retryable: true, cause: err });
    }
    throw err;
  }
}
