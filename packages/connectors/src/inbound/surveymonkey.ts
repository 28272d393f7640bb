import type { Secret } from '../secrets.ts';
import { checkId, getJson, isRecord, makeAdapter, secretOf, stringRecord } from './adapter.ts';
import type { FieldMapping, RawAnswer } from './mapping.ts';
import { header, hmac, parseJson, type SurveyAdapter, signatureMatches } from './types.ts';

export interface SurveyMonkeyAdapterOptions {
  /** Your app's API key / client id: with the secret, the key SurveyMonkey signs webhooks with. */
  apiKey: Secret;
  apiSecret: Secret;
  /** Access token to read responses (scopes `responses_read_detail`, `surveys_read`). */
  accessToken: Secret;
  /** API base URL; default SurveyMonkey's (use your region's, or a test server). */
  baseUrl?: string;
  mapping?: FieldMapping;
  env?: NodeJS.ProcessEnv;
  /**
   * How long a survey's questions are kept before they are read again (default 600 s). An answer
   * with a choice id the cached survey does not know reads the survey again at once (it was edited).
   */
  surveyCacheSeconds?: number;
  /** The clock (ms), for tests. */
  now?: () => number;
}

interface QuestionDef {
  title?: string;
  choices: Map<string, string>;
  nps: boolean;
  /** An `open_ended` comment box (`essay`): its answer may be the comment. */
  openText: boolean;
}

function surveyQuestions(survey: unknown): Map<string, QuestionDef> {
  const out = new Map<string, QuestionDef>();
  const pages = isRecord(survey) && Array.isArray(survey.pages) ? survey.pages : [];
  for (const p of pages) {
    for (const q of isRecord(p) && Array.isArray(p.questions) ? p.questions : []) {
      if (!isRecord(q)) continue;
      const heading =
        Array.isArray(q.headings) && isRecord(q.headings[0]) ? q.headings[0].heading : undefined;
      const choices = new Map<string, string>();
      const answers = isRecord(q.answers) && Array.isArray(q.answers.choices) ? q.answers.choices : [];
      for (const c of answers) if (isRecord(c)) choices.set(String(c.id), String(c.text ?? ''));
      const texts = [...choices.values()];
      const nps = texts.length === 11 && texts.every((t, i) => t.trim().startsWith(String(i)));
      const openText = q.family === 'open_ended' && q.subtype === 'essay';
      out.set(String(q.id), {
        ...(typeof heading === 'string' ? { title: heading } : {}),
        choices,
        nps,
        openText,
      });
    }
  }
  return out;
}

/**
 * SurveyMonkey webhooks (`response_completed`, `response_updated`). The webhook carries only ids:
 * the adapter verifies `Sm-Signature` (base64 HMAC-SHA1 of the body, keyed `apiKey&apiSecret`),
 * then reads the response's details and the survey's questions from the v3 API.
 *
 * @example
 * surveyMonkeyAdapter({ apiKey: { env: 'SM_CLIENT_ID' }, apiSecret: { env: 'SM_CLIENT_SECRET' }, accessToken: { env: 'SM_TOKEN' } });
 */
export function surveyMonkeyAdapter(options: SurveyMonkeyAdapterOptions): SurveyAdapter {
  const tool = 'surveymonkey';
  const signingKey = `${secretOf(tool, 'apiKey', options.apiKey, options.env)}&${secretOf(tool, 'apiSecret', options.apiSecret, options.env)}`;
  const token = secretOf(tool, 'accessToken', options.accessToken, options.env);
  const base = (options.baseUrl ?? 'https://api.surveymonkey.com').replace(/\/$/, '');
  const auth = { authorization: `Bearer ${token}` };
  const ttl = (options.surveyCacheSeconds ?? 600) * 1000;
  const now = options.now ?? Date.now;
  const surveys = new Map<string, { questions: Map<string, QuestionDef>; at: number }>();
  const readSurvey = async (surveyId: string, signal: AbortSignal | undefined, fresh: boolean) => {
    const cached = surveys.get(surveyId);
    if (cached && !fresh && now() - cached.at < ttl)
      return { ok: true as const, questions: cached.questions };
    const s = await getJson(
      'survey details',
      `${base}/v3/surveys/${encodeURIComponent(surveyId)}/details`,
      auth,
      signal,
    );
    if (!s.ok) return s;
    const questions = surveyQuestions(s.value);
    if (surveys.size >= 100 && !surveys.has(surveyId)) surveys.delete(surveys.keys().next().value as string);
    surveys.set(surveyId, { questions, at: now() });
    return { ok: true as const, questions };
  };
  return makeAdapter(
    tool,
    options.mapping,
    (req) =>
      signatureMatches(hmac('sha1', signingKey, req.bytes), header(req, 'sm-signature'), 'base64')
        ? { ok: true }
        : { ok: false, reason: 'Sm-Signature is missing or does not match the body' },
    async (req, signal) => {
      const json = parseJson(req.body);
      if (!json.ok) return json;
      const body = json.value;
      if (!isRecord(body)) return { ok: false, status: 400, error: 'body is not an object' };
      const action =
        body.event_type === 'response_completed'
          ? 'capture'
          : body.event_type === 'response_updated'
            ? 'update'
            : undefined;
      if (!action || body.object_type !== 'response') return { ok: true, responses: [] };
      const res = isRecord(body.resources) ? body.resources : {};
      const surveyId = String(res.survey_id ?? body.filter_id ?? '');
      const responseId = String(body.object_id ?? '');
      const bad =
        checkId('resources.survey_id', surveyId || undefined, /^\d{1,20}$/, '405000000') ??
        checkId('object_id', responseId || undefined, /^\d{1,20}$/, '114000000000');
      if (bad) return bad;
      const r = await getJson(
        'response details',
        `${base}/v3/surveys/${encodeURIComponent(surveyId)}/responses/${encodeURIComponent(responseId)}/details`,
        auth,
        signal,
      );
      if (!r.ok) return r;
      const details = r.value;
      if (!isRecord(details)) return { ok: false, status: 502, error: 'response details are not an object' };
      let survey = await readSurvey(surveyId, signal, false);
      if (!survey.ok) return survey;
      // A choice id the cached survey does not know: the survey was edited since; read it again.
      if (unknownChoice(details, survey.questions)) {
        survey = await readSurvey(surveyId, signal, true);
        if (!survey.ok) return survey;
      }
      const answers = answersOf(details, survey.questions);
      const meta =
        isRecord(details.metadata) && isRecord(details.metadata.contact) ? details.metadata.contact : {};
      const metaEmail =
        isRecord(meta.email) && typeof meta.email.value === 'string' ? meta.email.value : undefined;
      const email =
        metaEmail ??
        (typeof details.email_address === 'string' && details.email_address
          ? details.email_address
          : undefined);
      const name = [details.first_name, details.last_name]
        .filter((x) => typeof x === 'string' && x)
        .join(' ');
      return {
        ok: true,
        responses: [
          {
            action,
            ...(typeof body.event_id === 'string' ? { eventId: body.event_id } : {}),
            raw: {
              responseId,
              submittedAt: typeof details.date_modified === 'string' ? details.date_modified : undefined,
              answers,
              hidden: stringRecord(details.custom_variables),
              known: { email, name: name || undefined },
            },
          },
        ],
      };
    },
  );
}

type AnswerRow = { qid: string; def: QuestionDef | undefined; a: Record<string, unknown> };

function answerRows(details: Record<string, unknown>, questions: Map<string, QuestionDef>): AnswerRow[] {
  const rows: AnswerRow[] = [];
  for (const p of Array.isArray(details.pages) ? details.pages : []) {
    for (const q of isRecord(p) && Array.isArray(p.questions) ? p.questions : []) {
      if (!isRecord(q)) continue;
      const qid = String(q.id);
      for (const a of Array.isArray(q.answers) ? q.answers : [])
        if (isRecord(a)) rows.push({ qid, def: questions.get(qid), a });
    }
  }
  return rows;
}

function unknownChoice(details: Record<string, unknown>, questions: Map<string, QuestionDef>): boolean {
  return answerRows(details, questions).some(
    ({ def, a }) => a.choice_id !== undefined && !def?.choices.has(String(a.choice_id)),
  );
}

function answersOf(details: Record<string, unknown>, questions: Map<string, QuestionDef>): RawAnswer[] {
  const answers: RawAnswer[] = [];
  for (const { qid, def, a } of answerRows(details, questions)) {
    const text =
      a.choice_id !== undefined
        ? def?.choices.get(String(a.choice_id))
        : typeof a.text === 'string'
          ? a.text
          : undefined;
    if (text === undefined) continue;
    const numeric = a.choice_id !== undefined && /^\s*\d+/.test(text);
    answers.push({
      keys: [qid, ...(def?.title ? [def.title] : [])],
      ...(def?.title ? { title: def.title } : {}),
      kind: a.choice_id === undefined ? 'text' : numeric ? 'number' : 'choice',
      value: numeric ? Number.parseInt(text, 10) : text,
      ...(def?.nps ? { scale: 'nps' as const } : {}),
      ...(def?.openText && a.choice_id === undefined ? { openText: true } : {}),
    });
  }
  return answers;
}
