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

/** GET JSON from a tool's API; failures become a 502 (the tool will deliver the webhook again). */
export async function getJson(
  what: string,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<{ ok: true; value: unknown } | { ok: false; status: 502 | 422; error: string }> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(15_000)]) : AbortSignal.timeout(15_000),
    });
  } catch (err) {
    return { ok: false, status: 502, error: `${what}: ${(err as Error).message}` };
  }
  const text = await res.text();
  if (!res.ok) {
    return {
      ok: false,
      status: res.status === 404 ? 422 : 502,
      error: `${what} answered HTTP ${res.status}: ${text.slice(0, 200)}`,
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 502, error: `${what} did not answer JSON` };
  }
}
