// Test helpers for runtimes: a recording connector that dedupes by idempotency key like a real
// receiver would. Internal: not exported from the package index.
import { type Connector, DeliveryError } from '../connector.ts';
import type { Effect, EffectType } from '../domain/effect.ts';
import { EFFECT_TYPES } from '../domain/effect.ts';
import type { FeedbackInput } from '../domain/feedback.ts';

export interface RecordingConnector extends Connector {
  /** Every call to deliver, including redeliveries. */
  readonly calls: Effect[];
  /** Effects applied once each (deduped by key). */
  readonly applied: Map<string, Effect>;
  /** Make the next `n` deliveries fail (retryable unless said otherwise). */
  failNext(n: number, options?: { retryable?: boolean; retryAfterMs?: number }): void;
}

export function recordingConnector(
  name = 'recorder',
  capabilities: readonly EffectType[] = EFFECT_TYPES,
): RecordingConnector {
  const calls: Effect[] = [];
  const applied = new Map<string, Effect>();
  let failures = 0;
  let failure: { retryable?: boolean; retryAfterMs?: number } = {};
  return {
    name,
    capabilities,
    calls,
    applied,
    failNext(n, options = {}) {
      failures = n;
      failure = options;
    },
    async deliver(effect) {
      calls.push(effect);
      if (failures > 0) {
        failures--;
        throw new DeliveryError('simulated failure', {
          retryable: failure.retryable ?? true,
          retryAfterMs: failure.retryAfterMs,
        });
      }
      if (!applied.has(effect.key)) applied.set(effect.key, effect);
    },
  };
}

let seq = 0;
/** A detractor in Spain (segment managers: ana, bob) with a unique response id. */
export function detractor(over: Partial<FeedbackInput> = {}): FeedbackInput {
  seq++;
  return {
    source: { tool: 'conformance', responseId: `r-${Date.now()}-${seq}` },
    customer: { email: `customer${seq}@example.es`, name: 'Lucía', segment: 'spain' },
    nps: 2,
    comment: 'El pedido llegó roto',
    language: 'es',
    ...over,
  };
}
