import { ConnectorConfigError, resolveSecret, type Secret } from '../secrets.ts';
import { type FieldMapping, mapResponse, type RawResponse } from './mapping.ts';
import {
  type InboundFeedback,
  type InboundResult,
  type ReceivedRequest,
  received,
  type SurveyAdapter,
} from './types.ts';

/** A parsed webhook: responses to map, or a refusal. */
export type Parsed =
  | { ok: true; responses: { action: InboundFeedback['action']; raw: RawResponse; eventId?: string }[] }
  | {
      ok: false;
      status: 400 | 401 | 422 | 502;
      error: string;
      issues?: { path: string; message: string }[];
      retryAfter?: number;
    };

/** Builds a `SurveyAdapter` from a verifier and a parser; mapping and validation are shared. */
export function makeAdapter(
  tool: string,
  mapping: FieldMapping | undefined,
  verifyReceived: (req: ReceivedRequest) => ReturnType<SurveyAdapter['verify']>,
  parse: (req: ReceivedRequest, signal: AbortSignal | undefined) => Promise<Parsed>,
): SurveyAdapter {
  const verify: SurveyAdapter['verify'] = (req) => verifyReceived(received(req));
  return {
    tool,
    verify,
    async handle(request, options): Promise<InboundResult> {
      const req = received(request);
      const v = verifyReceived(req);
      if (!v.ok) return { ok: false, status: 401, error: `${tool}: ${v.reason}` };
      let parsed: Parsed;
      try {
        parsed = await parse(req, options?.signal);
      } catch (err) {
        return { ok: false, status: 400, error: `${tool}: ${(err as Error).message}` };
      }
      if (!parsed.ok) return { ...parsed, error: `${tool}: ${parsed.error}` };
      const events: InboundFeedback[] = [];
      for (const r of parsed.responses) {
        const m = mapResponse(tool, r.raw, mapping, { invalidFields: 'drop' });
        if (!m.success)
          return {
            ok: false,
            status: 422,
            error: `${tool}: response ${r.raw.responseId}: ${m.error}`,
            issues: m.issues,
          };
        events.push({ action: r.action, feedback: m.data, ...(r.eventId ? { eventId: r.eventId } : {}) });
      }
      return { ok: true, events };
    },
  };
}

export function secretOf(tool: string, path: string, s: Secret, env?: NodeJS.ProcessEnv): string {
  return resolveSecret(s, { connector: tool, path }, env);
}

export function requireOption<T>(tool: string, path: string, value: T | undefined): T {
  if (value === undefined) throw new ConnectorConfigError(tool, path, 'is required');
  return value;
}

/** Strings only, from a record of unknowns (hidden fields, custom variables). */
export function stringRecord(obj: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!obj || typeof obj !== 'object') return out;
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Status codes of the tool's API that mean "this request can never succeed": a permanent 422. */
const PERMANENT = new Set([400, 404, 405, 410, 413, 414, 422, 431]);

function retryAfterOf(res: Response): number {
  const h = res.headers.get('retry-after');
  const n = h && /^\d{1,6}$/.test(h.trim()) ? Number(h) : undefined;
  return n !== undefined ? Math.min(Math.max(n, 1), 3600) : 60;
}

/**
 * GET JSON from a tool's API. The tool's own refusal of the request (400, 404, 414, 431…) is a
 * permanent 422: delivering the webhook again cannot help. Anything that may pass later (5xx,
 * 408/429, a timeout, our credentials refused) is a 502 with `retryAfter`, so the tool delivers
 * again. The tool's answer body is not repeated (it may hold customer data).
 */
export async function getJson(
  what: string,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<{ ok: true; value: unknown } | Extract<Parsed, { ok: false }>> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(15_000)]) : AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    return {
      ok: false,
      status: 502,
      error: `${what}: ${timedOut ? 'no answer within 15 s' : 'the API could not be reached'}`,
      retryAfter: 60,
    };
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    if (PERMANENT.has(res.status))
      return {
        ok: false,
        status: 422,
        error: `${what}: the API refused the request with HTTP ${res.status}`,
      };
    const credentials = res.status === 401 || res.status === 403;
    return {
      ok: false,
      status: 502,
      error: `${what}: the API answered HTTP ${res.status}${credentials ? ' (check the API token in the config)' : ''}`,
      retryAfter: retryAfterOf(res),
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 502, error: `${what}: the API did not answer JSON`, retryAfter: 60 };
  }
}

/** Checks an id taken from a webhook before it goes into an API URL; a bad one is a 422. */
export function checkId(
  field: string,
  value: string | undefined,
  shape: RegExp,
  example: string,
): Extract<Parsed, { ok: false }> | undefined {
  if (value !== undefined && value.length <= 64 && shape.test(value)) return undefined;
  const message = value ? `is not an id like "${example}"` : 'is missing';
  return { ok: false, status: 422, error: `${field} ${message}`, issues: [{ path: field, message }] };
}
