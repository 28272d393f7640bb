import { ConnectorConfigError, type Secret } from '../secrets.ts';
import { verifyWebhook } from '../webhook.ts';
import { isRecord, makeAdapter, type Parsed, secretOf, stringRecord } from './adapter.ts';
import type { FieldMapping, RawAnswer } from './mapping.ts';
import { parseJson, type SurveyAdapter, tokenMatches } from './types.ts';

export interface FormbricksAdapterOptions {
  /** The webhook's signing secret (`whsec_…`): Formbricks signs Standard Webhooks style. */
  secret?: Secret;
  /** Or, for instances that do not sign: a token you add to the webhook URL as `?token=…`. */
  token?: Secret;
  mapping?: FieldMapping;
  env?: NodeJS.ProcessEnv;
}

const HIDDEN_LIKE =
  /^(e-?mail|name|full_?name|customer_?id|user_?id|segment|lang(uage)?|locale|touchpoint)$/i;

/**
 * Formbricks webhooks (`responseCreated`, `responseUpdated`, `responseFinished`). Verifies the
 * Standard Webhooks signature (or a URL token); answers are keyed by question id, so name your
 * questions' ids (`nps`, `comment`…) or map them. A response captured on `responseCreated` is
 * updated by the later events for the same response id.
 *
 * @example
 * formbricksAdapter({ secret: { env: 'FORMBRICKS_WEBHOOK_SECRET' }, mapping: { nps: ['q-nps'], comment: ['q-why'] } });
 */
export function formbricksAdapter(options: FormbricksAdapterOptions): SurveyAdapter {
  const tool = 'formbricks';
  const secret = options.secret ? secretOf(tool, 'secret', options.secret, options.env) : undefined;
  const token = options.token ? secretOf(tool, 'token', options.token, options.env) : undefined;
  if (!secret && !token)
    throw new ConnectorConfigError(
      tool,
      'secret',
      'set secret (the signing secret) or token (a ?token= in the URL)',
    );
  return makeAdapter(
    tool,
    options.mapping,
    (req) => {
      if (secret) {
        const v = verifyWebhook({ secret, headers: req.headers, body: req.bytes });
        return v.ok ? { ok: true } : { ok: false, reason: v.reason };
      }
      const got = req.url ? new URL(req.url, 'http://localhost').searchParams.get('token') : null;
      return tokenMatches(token ?? '', got)
        ? { ok: true }
        : { ok: false, reason: 'token in the URL is missing or wrong' };
    },
    async (req) => {
      const json = parseJson(req.body);
      if (!json.ok) return json;
      // Formbricks posts one event; its docs show the event wrapped in an array: take both.
      const items = Array.isArray(json.value) ? json.value : [json.value];
      const responses: Extract<Parsed, { ok: true }>['responses'] = [];
      for (const body of items.slice(0, 50)) {
        const one = parseEvent(body);
        if (!one.ok) return one;
        if (one.response) responses.push(one.response);
      }
      return { ok: true, responses };
    },
  );
}

type Event =
  | { ok: true; response?: Extract<Parsed, { ok: true }>['responses'][number] }
  | Extract<Parsed, { ok: false }>;

/** Question types by id, when the payload carries the survey's questions. */
function questionTypes(survey: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const qs = isRecord(survey) && Array.isArray(survey.questions) ? survey.questions : [];
  for (const q of qs) if (isRecord(q) && typeof q.id === 'string') out.set(q.id, String(q.type ?? ''));
  return out;
}

function parseEvent(body: unknown): Event {
  if (!isRecord(body)) return { ok: false, status: 400, error: 'body is not an object' };
  const action =
    body.event === 'responseCreated'
      ? 'capture'
      : body.event === 'responseUpdated' || body.event === 'responseFinished'
        ? 'update'
        : undefined;
  if (!action) return { ok: true };
  const d = body.data;
  if (!isRecord(d) || typeof d.id !== 'string')
    return { ok: false, status: 400, error: 'data.id is missing' };
  const types = questionTypes(d.survey);
  const answers: RawAnswer[] = [];
  const hidden: Record<string, string> = {
    ...stringRecord(d.contactAttributes),
    ...stringRecord(d.variables),
  };
  for (const [qid, v] of Object.entries(isRecord(d.data) ? d.data : {})) {
    const value = Array.isArray(v) ? v.map(String).join(', ') : v;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const type = types.get(qid);
    if (typeof value === 'string' && !type && HIDDEN_LIKE.test(qid)) {
      hidden[qid] = value;
      continue;
    }
    answers.push({
      keys: [qid],
      kind: typeof value === 'number' ? 'number' : typeof value === 'string' ? 'text' : 'boolean',
      value,
      ...(type === 'nps' ? { scale: 'nps' as const } : {}),
      // Only a question Formbricks itself calls `openText` may become the comment: a welcome
      // card's "clicked" or a consent's "accepted" never does.
      ...(type === 'openText' ? { openText: true } : {}),
    });
  }
  const contact = isRecord(d.contact) ? d.contact : {};
  return {
    ok: true,
    response: {
      action,
      raw: {
        responseId: d.id,
        submittedAt:
          typeof d.updatedAt === 'string'
            ? d.updatedAt
            : typeof d.createdAt === 'string'
              ? d.createdAt
              : undefined,
        answers,
        hidden,
        known: {
          customerId: typeof contact.userId === 'string' ? contact.userId : undefined,
          language: typeof d.language === 'string' && d.language !== 'default' ? d.language : undefined,
        },
      },
    },
  };
}
