import { DeliveryError } from '@closedloop/core';

/**
 * Milliseconds to wait from a `Retry-After` header: delay-seconds or an HTTP date. `undefined`
 * when the header is absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Whether an HTTP status is worth retrying: 408, 425, 429 and 5xx except 501/505. */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 425 || status === 429) return true;
  return status >= 500 && status !== 501 && status !== 505;
}

/**
 * A `DeliveryError` for a failed HTTP response: retryable for rate limits and server errors
 * (with the `Retry-After` delay), permanent for the rest (bad request, auth, not found).
 */
export function httpDeliveryError(
  what: string,
  status: number,
  headers: Headers,
  detail?: string,
): DeliveryError {
  const retryable = isRetryableStatus(status);
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
  const tail = detail ? `: ${detail.slice(0, 300)}` : '';
  return new DeliveryError(`${what} answered HTTP ${status}${tail}`, {
    retryable,
    ...(retryable && retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

export interface HttpCall {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Per-request timeout; default 15 s. */
  timeoutMs?: number;
  /** Statuses besides 2xx that count as success (e.g. 409 for "already exists"). */
  okStatuses?: readonly number[];
}

/**
 * `fetch` with a timeout, the runtime's abort signal, and failures turned into `DeliveryError`s.
 * `what` names the endpoint in messages without its URL (webhook URLs carry secrets).
 */
export async function httpCall(what: string, url: string, call: HttpCall): Promise<Response> {
  const signal = AbortSignal.any([call.signal, AbortSignal.timeout(call.timeoutMs ?? 15_000)]);
  let res: Response;
  try {
    res = await fetch(url, {
      method: call.method ?? 'POST',
      ...(call.headers ? { headers: call.headers } : {}),
      ...(call.body !== undefined ? { body: call.body } : {}),
      signal,
      redirect: 'error',
    });
  } catch (cause) {
    const reason =
      cause instanceof Error
        ? cause.cause instanceof Error
          ? cause.cause.message
          : cause.message
        : String(cause);
    throw new DeliveryError(`${what} could not be reached: ${reason}`, { retryable: true, cause });
  }
  if (!res.ok && !call.okStatuses?.includes(res.status)) {
    const detail = await res.text().catch(() => '');
    throw httpDeliveryError(what, res.status, res.headers, detail);
  }
  return res;
}
