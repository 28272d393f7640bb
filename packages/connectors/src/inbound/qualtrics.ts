import type { Secret } from '../secrets.ts';
import { getJson, isRecord, makeAdapter, secretOf } from './adapter.ts';
import type { FieldMapping, RawAnswer } from './mapping.ts';
import { header, type SurveyAdapter, tokenMatches } from './types.ts';

export interface QualtricsAdapterOptions {
  /**
   * Qualtrics event subscriptions are not signed: put a random token in the subscription's
   * `publicationUrl` (`…/qualtrics?token=…`) and give it here.
   */
  token: Secret;
  /** API token (header `X-API-TOKEN`) of a user who may read the survey's responses. */
  apiToken: Secret;
  /** Your datacenter's base URL, e.g. `https://fra1.qualtrics.com`. */
  baseUrl: string;
  mapping?: FieldMapping;
  env?: NodeJS.ProcessEnv;
}

const SYSTEM_FIELDS = new Set([
  'startDate',
  'endDate',
  'status',
  'ipAddress',
  'progress',
  'duration',
  'finished',
  'recordedDate',
  '_recordId',
  'locationLatitude',
  'locationLongitude',
  'distributionChannel',
  'recipientFirstName',
  'recipientLastName',
]);

/**
 * Qualtrics `completedResponse` event subscriptions. Verifies the URL token, then reads the
 * response (`GET /API/v3/surveys/{surveyId}/responses/{responseId}`): `QID…` values are answers,
 * embedded data (`email`, `segment`…) and `recipientEmail` map as hidden fields.
 *
 * @example
 * qualtricsAdapter({ token: { env: 'QUALTRICS_HOOK_TOKEN' }, apiToken: { env: 'QUALTRICS_API_TOKEN' }, baseUrl: 'https://fra1.qualtrics.com', mapping: { nps: ['QID1'], comment: ['QID2_TEXT'] } });
 */
export function qualtricsAdapter(options: QualtricsAdapterOptions): SurveyAdapter {
  const tool = 'qualtrics';
  const token = secretOf(tool, 'token', options.token, options.env);
  const apiToken = secretOf(tool, 'apiToken', options.apiToken, options.env);
  const base = options.baseUrl.replace(/\/$/, '');
  return makeAdapter(
    tool,
    options.mapping,
    (req) => {
      const got = req.url ? new URL(req.url, 'http://localhost').searchParams.get('token') : null;
      return tokenMatches(token, got)
        ? { ok: true }
        : { ok: false, reason: 'token in the URL is missing or wrong' };
    },
    async (req, signal) => {
      const type = header(req, 'content-type') ?? '';
      const fields: Record<string, string> = {};
      if (type.includes('json')) {
        const v: unknown = JSON.parse(req.body);
        if (isRecord(v)) for (const [k, x] of Object.entries(v)) fields[k] = String(x);
      } else {
        for (const [k, v] of new URLSearchParams(req.body)) fields[k] = v;
      }
      if (!fields.Topic?.includes('completedResponse')) return { ok: true, responses: [] };
      const surveyId = fields.SurveyID;
      const responseId = fields.ResponseID;
      if (!surveyId || !responseId)
        return { ok: false, status: 400, error: 'SurveyID or ResponseID is missing' };
      const r = await getJson(
        'response',
        `${base}/API/v3/surveys/${encodeURIComponent(surveyId)}/responses/${encodeURIComponent(responseId)}`,
        { 'x-api-token': apiToken },
        signal,
      );
      if (!r.ok) return r;
      const result = isRecord(r.value) && isRecord(r.value.result) ? r.value.result : undefined;
      const values = result && isRecord(result.values) ? result.values : undefined;
      if (!values) return { ok: false, status: 502, error: 'response has no result.values' };
      const answers: RawAnswer[] = [];
      const hidden: Record<string, string> = {};
      for (const [k, v] of Object.entries(values)) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
        if (/^QID\d+/.test(k)) {
          if (k.endsWith('_NPS_GROUP') || k.endsWith('_DO')) continue;
          answers.push({
            keys: [k],
            kind: typeof v === 'number' ? 'number' : 'text',
            value: v,
            // `QID7_TEXT` is a text-entry question's answer (`QID7_3_TEXT` is a choice's "other" box).
            ...(/^QID\d+_TEXT$/.test(k) ? { openText: true } : {}),
          });
        } else if (!SYSTEM_FIELDS.has(k) && typeof v === 'string') {
          hidden[k] = v;
        }
      }
      const name = [values.recipientFirstName, values.recipientLastName]
        .filter((x) => typeof x === 'string' && x)
        .join(' ');
      return {
        ok: true,
        responses: [
          {
            action: 'capture',
            raw: {
              responseId,
              submittedAt: typeof values.endDate === 'string' ? values.endDate : fields.CompletedDate,
              answers,
              hidden,
              known: { name: name || undefined },
            },
          },
        ],
      };
    },
  );
}
