import { ConnectorConfigError, type Secret } from '../secrets.ts';
import { checkId, getJson, isRecord, makeAdapter, secretOf } from './adapter.ts';
import type { FieldMapping, RawAnswer } from './mapping.ts';
import {
  header,
  hmac,
  type ReceivedRequest,
  type SurveyAdapter,
  signatureMatches,
  tokenMatches,
} from './types.ts';

export interface QualtricsAdapterOptions {
  /**
   * The subscription's `sharedKey`: Qualtrics then posts `Topic`, `MSG` (the event as a JSON string)
   * and `HMAC` (hex HMAC-SHA512 of `MSG` with this key), and unsigned deliveries are refused.
   */
  sharedKey?: Secret;
  /**
   * Or (or also): a random token you put in the subscription's `publicationUrl`
   * (`…/qualtrics?token=…`).
   */
  token?: Secret;
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
  const sharedKey = options.sharedKey
    ? secretOf(tool, 'sharedKey', options.sharedKey, options.env)
    : undefined;
  const token = options.token ? secretOf(tool, 'token', options.token, options.env) : undefined;
  if (!sharedKey && !token)
    throw new ConnectorConfigError(
      tool,
      'sharedKey',
      "set sharedKey (the subscription's shared key) or token (a ?token= in the URL)",
    );
  const apiToken = secretOf(tool, 'apiToken', options.apiToken, options.env);
  const base = options.baseUrl.replace(/\/$/, '');
  return makeAdapter(
    tool,
    options.mapping,
    (req) => {
      if (token) {
        const got = req.url ? new URL(req.url, 'http://localhost').searchParams.get('token') : null;
        if (!tokenMatches(token, got)) return { ok: false, reason: 'token in the URL is missing or wrong' };
      }
      if (sharedKey) {
        const form = formFields(req);
        if (form.MSG === undefined || !form.HMAC)
          return { ok: false, reason: 'MSG or HMAC is missing (the subscription has a shared key)' };
        const sig = form.HMAC.trim();
        if (!/^[0-9a-fA-F]{128}$/.test(sig))
          return { ok: false, reason: 'HMAC is not 128 hex digits (HMAC-SHA512)' };
        if (!signatureMatches(hmac('sha512', sharedKey, Buffer.from(form.MSG, 'utf8')), sig, 'hex'))
          return { ok: false, reason: 'HMAC does not match MSG' };
      }
      return { ok: true };
    },
    async (req, signal) => {
      const fields = formFields(req);
      // With a shared key the event is the JSON string in MSG; without, its fields are the form's.
      if (fields.MSG !== undefined) {
        let msg: unknown;
        try {
          msg = JSON.parse(fields.MSG);
        } catch {
          return {
            ok: false,
            status: 400,
            error: 'MSG is not a JSON object',
            issues: [{ path: 'MSG', message: 'not JSON' }],
          };
        }
        if (!isRecord(msg))
          return {
            ok: false,
            status: 400,
            error: 'MSG is not a JSON object',
            issues: [{ path: 'MSG', message: 'not an object' }],
          };
        // The signed MSG is what counts: its fields win over the form's.
        for (const [k, v] of Object.entries(msg))
          if (typeof v === 'string' || typeof v === 'number') fields[k] = String(v);
      }
      if (!fields.Topic?.includes('completedResponse')) return { ok: true, responses: [] };
      const surveyId = fields.SurveyID;
      const responseId = fields.ResponseID;
      const bad =
        checkId('SurveyID', surveyId, /^SV_[A-Za-z0-9]{1,40}$/, 'SV_cVn9uBwheR9hz01') ??
        checkId('ResponseID', responseId, /^R_[A-Za-z0-9]{1,40}$/, 'R_suq806jn8LGzhx7');
      if (bad || !surveyId || !responseId) return bad ?? { ok: false, status: 422, error: 'ids missing' };
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
        } else if (!SYSTEM_FIELDS.has(k) && typeof v === 'string' && v !== '') {
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

/** The delivery's fields: form-encoded (as Qualtrics posts), or a JSON object. */
function formFields(req: ReceivedRequest): Record<string, string> {
  const fields: Record<string, string> = {};
  const type = header(req, 'content-type') ?? '';
  if (type.includes('json')) {
    try {
      const v: unknown = JSON.parse(req.body);
      if (isRecord(v))
        for (const [k, x] of Object.entries(v)) fields[k] = typeof x === 'string' ? x : JSON.stringify(x);
    } catch {
      // Not JSON: no fields, so the delivery is ignored or refused below.
    }
    return fields;
  }
  for (const [k, v] of new URLSearchParams(req.body)) fields[k] ??= v;
  return fields;
}
