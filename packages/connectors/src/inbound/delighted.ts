import type { Secret } from '../secrets.ts';
import { isRecord, makeAdapter, secretOf, stringRecord } from './adapter.ts';
import type { FieldMapping, RawAnswer } from './mapping.ts';
import { header, hmac, parseJson, type SurveyAdapter, signatureMatches } from './types.ts';

export interface DelightedAdapterOptions {
  /** Your Delighted private API key: Delighted signs webhooks with it. */
  apiKey: Secret;
  mapping?: FieldMapping;
  env?: NodeJS.ProcessEnv;
}

function additionalValue(v: unknown): string | number | undefined {
  if (!isRecord(v)) return undefined;
  if (typeof v.free_response === 'string') return v.free_response;
  if (typeof v.scale === 'number') return v.scale;
  if (isRecord(v.select_one) && typeof v.select_one.text === 'string') return v.select_one.text;
  if (Array.isArray(v.select_many))
    return v.select_many.map((o) => (isRecord(o) ? String(o.text) : '')).join(', ');
  return undefined;
}

/**
 * Delighted response webhooks. Verifies `X-Delighted-Webhook-Signature: sha256=<hex HMAC-SHA256
 * of the body with your API key>`. `survey_response.created` is a new response;
 * `survey_response.updated` (the comment arrives later) updates the same feedback. NPS and CSAT
 * surveys set the score; person properties become hidden fields.
 *
 * @example
 * const delighted = delightedAdapter({ apiKey: { env: 'DELIGHTED_API_KEY' } });
 */
export function delightedAdapter(options: DelightedAdapterOptions): SurveyAdapter {
  const key = secretOf('delighted', 'apiKey', options.apiKey, options.env);
  return makeAdapter(
    'delighted',
    options.mapping,
    (req) => {
      const sig = header(req, 'x-delighted-webhook-signature');
      if (!sig?.startsWith('sha256='))
        return { ok: false, reason: 'missing X-Delighted-Webhook-Signature header (sha256=…)' };
      return signatureMatches(hmac('sha256', key, req.bytes), sig.slice(7), 'hex')
        ? { ok: true }
        : { ok: false, reason: 'X-Delighted-Webhook-Signature does not match the body' };
    },
    async (req) => {
      const json = parseJson(req.body);
      if (!json.ok) return json;
      const body = json.value;
      if (!isRecord(body)) return { ok: false, status: 400, error: 'body is not an object' };
      const action =
        body.event_type === 'survey_response.created'
          ? 'capture'
          : body.event_type === 'survey_response.updated'
            ? 'update'
            : undefined;
      if (!action) return { ok: true, responses: [] };
      const d = body.event_data;
      if (!isRecord(d) || d.id === undefined)
        return { ok: false, status: 400, error: 'event_data.id is missing' };
      const person = isRecord(d.person) ? d.person : {};
      const type = String(d.survey_type ?? 'nps');
      const score = typeof d.score === 'number' ? d.score : undefined;
      const answers: RawAnswer[] = [];
      if (score !== undefined && type !== 'nps' && type !== 'csat') {
        answers.push({ keys: [type], title: `${type} score`, kind: 'number', value: score });
      }
      for (const a of Array.isArray(d.additional_answers) ? d.additional_answers : []) {
        if (!isRecord(a)) continue;
        const value = additionalValue(a.value);
        if (value === undefined) continue;
        const q = isRecord(a.question) ? a.question : {};
        const title = typeof q.text === 'string' ? q.text : undefined;
        answers.push({
          keys: [String(q.id ?? a.id), ...(title ? [title] : [])],
          ...(title ? { title } : {}),
          kind: typeof value === 'number' ? 'number' : 'text',
          value,
        });
      }
      const created =
        typeof d.created_at === 'number' ? new Date(d.created_at * 1000).toISOString() : undefined;
      return {
        ok: true,
        responses: [
          {
            action,
            ...(typeof body.event_id === 'string' ? { eventId: body.event_id } : {}),
            raw: {
              responseId: String(d.id),
              submittedAt: created,
              answers,
              hidden: stringRecord(d.person_properties),
              known: {
                nps: type === 'nps' ? score : undefined,
                csat: type === 'csat' ? score : undefined,
                comment: typeof d.comment === 'string' ? d.comment : undefined,
                email: typeof person.email === 'string' ? person.email : undefined,
                name: typeof person.name === 'string' ? person.name : undefined,
                // SMS respondents have no email: Delighted's person id identifies them.
                fallbackCustomerId:
                  typeof person.id === 'string' || typeof person.id === 'number'
                    ? `delighted:${person.id}`
                    : undefined,
              },
            },
          },
        ],
      };
    },
  );
}
