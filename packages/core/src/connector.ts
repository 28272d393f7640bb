import type { z } from 'zod';
import type { Effect, EffectType } from './domain/effect.ts';

/** What a connector is told about one delivery attempt. */
export interface DeliveryContext {
  /** 1 on the first attempt. */
  attempt: number;
  /** Aborted when the runtime shuts down. */
  signal: AbortSignal;
}

export interface HealthStatus {
  ok: boolean;
  detail?: string;
}

/**
 * Reaches the outside world: email, chat, CRM, helpdesk, webhook. The runtime hands it every
 * effect whose type it declares in `capabilities`. `deliver` must be idempotent by `effect.key`:
 * the runtime retries after a crash or a failure, so the same effect can arrive more than once.
 */
export interface Connector {
  /** Unique per runtime, e.g. `email` or `slack:care-team`. */
  readonly name: string;
  readonly capabilities: readonly EffectType[];
  deliver(effect: Effect, ctx: DeliveryContext): Promise<void>;
  health?(): Promise<HealthStatus>;
  close?(): Promise<void>;
}

/** Config schema a connector publishes, so a config file can be checked before it runs. */
export type ConnectorConfigSchema = z.ZodType;

/**
 * Thrown by a connector to say how the runtime should treat a failed delivery: retry it
 * (optionally not before `retryAfterMs`, e.g. a rate limit's Retry-After), or give up.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** Why, in words safe for logs (no addresses, names or message text), e.g. `no template "x"`. */
  readonly reason: string | undefined;
  constructor(
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; cause?: unknown; reason?: string },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.reason = options.reason;
  }
}
