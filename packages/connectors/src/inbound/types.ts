import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FeedbackInput } from '@closedloop/core';

/** A webhook request as your HTTP framework received it: headers and the raw, unparsed body. */
export interface InboundRequest {
  headers: Record<string, string | string[] | undefined> | Headers;
  /**
   * The raw body, exactly as received: signatures are computed over these bytes. Pass the bytes
   * (`Uint8Array`/`Buffer`) when you have them: text that was decoded and re-encoded may differ.
   */
  body: string | Uint8Array;
  /** The request URL (path and query), for tools verified by a token in the URL. */
  url?: string;
}

/** One piece of feedback from a webhook: new (`capture`), or a later event for the same response. */
export interface InboundFeedback {
  /**
   * `capture` for a new response; `update` when the tool sends more of a response it sent before
   * (Delighted's `survey_response.updated` with the comment): the same `source.responseId`, so the
   * runtime updates that feedback instead of opening a second case.
   */
  action: 'capture' | 'update';
  feedback: FeedbackInput;
  /** The tool's event id, when it has one (useful in logs). */
  eventId?: string;
}

/**
 * What an adapter answers: the feedback to capture (possibly none, for events that carry no
 * response), or why the request was refused and the HTTP status to answer the tool with. A 5xx
 * status asks the tool to deliver again later.
 */
export type InboundResult =
  | { ok: true; events: InboundFeedback[] }
  | {
      ok: false;
      status: 400 | 401 | 422 | 502;
      error: string;
      /** The fields at fault (for a 422), e.g. `[{ path: 'nps', message: 'Too big…' }]`. */
      issues?: { path: string; message: string }[];
      /** For a 502: seconds after which delivering again may succeed (`Retry-After`). */
      retryAfter?: number;
    };

/** A survey tool's webhook adapter. */
export interface SurveyAdapter {
  /** `typeform`, `delighted`, …: becomes `source.tool`. */
  readonly tool: string;
  /** Checks the request's signature (or token) the tool's own way. */
  verify(req: InboundRequest): { ok: true } | { ok: false; reason: string };
  /** Verifies, parses and maps the request into feedback. Never throws for bad input. */
  handle(req: InboundRequest, options?: { signal?: AbortSignal }): Promise<InboundResult>;
}

export function header(req: InboundRequest, name: string): string | undefined {
  const h = req.headers;
  if (h instanceof Headers) return h.get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(h)) {
    if (k.toLowerCase() === lower) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** Constant-time comparison of a received signature with the expected bytes. */
export function signatureMatches(
  expected: Buffer,
  received: string | undefined,
  encoding: 'hex' | 'base64',
): boolean {
  if (!received) return false;
  const got = Buffer.from(received.trim(), encoding);
  return got.length === expected.length && got.length > 0 && timingSafeEqual(got, expected);
}

export function hmac(
  algorithm: 'sha256' | 'sha1' | 'sha512',
  key: string,
  body: string | Uint8Array,
): Buffer {
  return createHmac(algorithm, key).update(body).digest();
}

/** A request with its body both as the bytes received and as UTF-8 text (for parsing). */
export interface ReceivedRequest extends InboundRequest {
  body: string;
  bytes: Uint8Array;
}

export function received(req: InboundRequest): ReceivedRequest {
  if (typeof req.body === 'string') return { ...req, body: req.body, bytes: Buffer.from(req.body, 'utf8') };
  return { ...req, body: new TextDecoder().decode(req.body), bytes: req.body };
}

/** Constant-time string comparison (for tokens). */
export function tokenMatches(expected: string, received: string | undefined | null): boolean {
  if (!received) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function parseJson(
  body: string,
): { ok: true; value: unknown } | { ok: false; status: 400; error: string } {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    return { ok: false, status: 400, error: `body is not JSON: ${(err as Error).message}` };
  }
}
