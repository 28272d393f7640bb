import { createHmac } from 'node:crypto';
import { FeedbackInputSchema } from '@closedloop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHttp, testHttp } from '../__tests__/http.ts';
import { ConnectorConfigError } from '../secrets.ts';
import { generateWebhookSecret, signWebhook } from '../webhook.ts';
import { delightedAdapter } from './delighted.ts';
import { formbricksAdapter } from './formbricks.ts';
import { parseFeedbackCsv, parseFeedbackJson } from './import.ts';
import { qualtricsAdapter } from './qualtrics.ts';
import { surveyMonkeyAdapter } from './surveymonkey.ts';
import { typeformAdapter } from './typeform.ts';
import type { InboundResult } from './types.ts';

const hmacOf = (alg: string, key: string, body: string, enc: 'hex' | 'base64') =>
  createHmac(alg, key).update(body).digest(enc);

function events(r: InboundResult) {
  if (!r.ok) throw new Error(`expected ok, got ${r.status}: ${r.error}`);
  for (const e of r.events) FeedbackInputSchema.parse(e.feedback);
  return r.events;
}

describe('typeform adapter', () => {
  const secret = 'tf-secret';
  const adapter = typeformAdapter({ secret });
  // Shape of Typeform's documented form_response webhook payload.
  const payload = {
    event_id: '01HQ8Z3V7W6X',
    event_type: 'form_response',
    form_response: {
      form_id: 'lT4Z3j',
      token: 'a3a12ec67a1365927098a606107fac15',
      landed_at: '2026-03-02T09:10:00Z',
      submitted_at: '2026-03-02T09:12:00Z',
      hidden: {
        email: 'marta.garcia@example.com',
        name: 'Marta García',
        segment: 'Spain',
        lang: 'es_ES',
        order: 'A-77',
      },
      definition: {
        id: 'lT4Z3j',
        title: 'Delivery survey',
        fields: [
          { id: 'Q1nps', title: 'How likely are you to recommend us?', type: 'nps', ref: 'nps_ref' },
          { id: 'Q2why', title: 'What is the main reason for your score?', type: 'long_text', ref: 'why' },
          { id: 'Q3ch', title: 'Which channel did you use?', type: 'multiple_choice', ref: 'channel' },
        ],
      },
      answers: [
        { type: 'number', number: 3, field: { id: 'Q1nps', type: 'nps', ref: 'nps_ref' } },
        {
          type: 'text',
          text: 'Parcel left in the rain.',
          field: { id: 'Q2why', type: 'long_text', ref: 'why' },
        },
        {
          type: 'choice',
          choice: { label: 'Web' },
          field: { id: 'Q3ch', type: 'multiple_choice', ref: 'channel' },
        },
      ],
    },
  };
  const body = JSON.stringify(payload);
  const headers = { 'typeform-signature': `sha256=${hmacOf('sha256', secret, body, 'base64')}` };

  it('maps a signed form_response into feedback', async () => {
    const [e] = events(await adapter.handle({ headers, body }));
    expect(e).toEqual({
      action: 'capture',
      eventId: '01HQ8Z3V7W6X',
      feedback: {
        source: { tool: 'typeform', responseId: 'a3a12ec67a1365927098a606107fac15' },
        customer: {
          email: 'marta.garcia@example.com',
          name: 'Marta García',
          segment: 'Spain',
          attributes: { order: 'A-77' },
        },
        nps: 3,
        comment: 'Parcel left in the rain.',
        answers: [{ question: 'Which channel did you use?', answer: 'Web' }],
        language: 'es-ES',
        receivedAt: '2026-03-02T09:12:00.000Z',
      },
    });
  });

  it('maps the same redelivered response to the same source id', async () => {
    const a = events(await adapter.handle({ headers, body }));
    const b = events(await adapter.handle({ headers, body }));
    expect(a[0]?.feedback.source).toEqual(b[0]?.feedback.source);
  });

  it('refuses a wrong or missing signature with 401', async () => {
    expect(await adapter.handle({ headers: { 'typeform-signature': 'sha256=AAAA' }, body })).toEqual({
      ok: false,
      status: 401,
      error: 'typeform: Typeform-Signature does not match the body',
    });
    expect((await adapter.handle({ headers: {}, body })).ok).toBe(false);
  });

  it('uses the mapping when questions are named differently', async () => {
    const a = typeformAdapter({ secret, mapping: { nps: ['channel'], comment: ['nps_ref'] } });
    const p = structuredClone(payload);
    p.form_response.answers[2] = {
      type: 'number',
      number: 8,
      field: { id: 'Q3ch', type: 'opinion_scale', ref: 'channel' },
    } as never;
    const b = JSON.stringify(p);
    const r = await a.handle({
      headers: { 'typeform-signature': `sha256=${hmacOf('sha256', secret, b, 'base64')}` },
      body: b,
    });
    expect(events(r)[0]?.feedback).toMatchObject({ nps: 8, comment: '3' });
  });
});

describe('delighted adapter', () => {
  const apiKey = 'dl-private-key';
  const adapter = delightedAdapter({ apiKey });
  const sign = (b: string) => ({
    'x-delighted-webhook-signature': `sha256=${hmacOf('sha256', apiKey, b, 'hex')}`,
  });
  const response = (event_type: string, comment: string | null) => ({
    event_type,
    event_id: `evt-${event_type}`,
    event_data: {
      id: '5435',
      person: { id: '4945', email: 'jan.kowalski@example.com', name: 'Jan Kowalski', created_at: 1772442000 },
      survey_type: 'nps',
      score: 2,
      comment,
      permalink: 'https://delighted.example/r/5435',
      created_at: 1772442000,
      updated_at: 1772442060,
      person_properties: { segment: 'Poland', 'Delighted Source': 'Email', locale: 'pl' },
      notes: [],
      tags: [],
      additional_answers: [],
    },
    event_created_at: 1772442060,
  });

  it('captures survey_response.created and updates the same response on survey_response.updated', async () => {
    const b1 = JSON.stringify(response('survey_response.created', null));
    const b2 = JSON.stringify(response('survey_response.updated', 'Kurier się spóźnił.'));
    const [created] = events(await adapter.handle({ headers: sign(b1), body: b1 }));
    const [updated] = events(await adapter.handle({ headers: sign(b2), body: b2 }));
    expect(created?.action).toBe('capture');
    expect(created?.feedback).toMatchObject({
      source: { tool: 'delighted', responseId: '5435' },
      nps: 2,
      customer: { email: 'jan.kowalski@example.com', name: 'Jan Kowalski', segment: 'Poland' },
      language: 'pl',
    });
    expect(created?.feedback.comment).toBeUndefined();
    expect(updated?.action).toBe('update');
    expect(updated?.feedback.source).toEqual(created?.feedback.source);
    expect(updated?.feedback.comment).toBe('Kurier się spóźnił.');
  });

  it('ignores events without a response and refuses a bad signature', async () => {
    const b = JSON.stringify({
      event_type: 'person.unsubscribed',
      event_data: { person: { email: 'x@example.com' } },
    });
    expect(await adapter.handle({ headers: sign(b), body: b })).toEqual({ ok: true, events: [] });
    expect((await adapter.handle({ headers: sign('other'), body: b })).ok).toBe(false);
  });
});

describe('surveymonkey adapter', () => {
  const token = 'sm-access-token';
  let api: TestHttp;
  beforeAll(async () => {
    api = await testHttp((req) => {
      if (req.headers.authorization !== `Bearer ${token}`)
        return { status: 401, body: { error: { message: 'bad token' } } };
      if (req.path === '/v3/surveys/405/details') {
        return {
          status: 200,
          body: {
            id: '405',
            title: 'NPS',
            pages: [
              {
                id: 'p1',
                questions: [
                  {
                    id: 'q1',
                    family: 'matrix',
                    subtype: 'rating',
                    headings: [{ heading: 'How likely are you to recommend us?' }],
                    answers: {
                      rows: [{ id: 'r1', text: '' }],
                      choices: Array.from({ length: 11 }, (_, i) => ({
                        id: `c${i}`,
                        text: i === 0 ? '0 - Not likely' : String(i),
                        position: i + 1,
                      })),
                    },
                  },
                  { id: 'q2', family: 'open_ended', subtype: 'essay', headings: [{ heading: 'Why?' }] },
                ],
              },
            ],
          },
        };
      }
      if (req.path === '/v3/surveys/405/responses/9001/details') {
        return {
          status: 200,
          body: {
            id: '9001',
            survey_id: '405',
            response_status: 'completed',
            email_address: '',
            first_name: 'Giulia',
            last_name: 'Rossi',
            custom_variables: { segment: 'Italy', language: 'it' },
            metadata: { contact: { email: { type: 'string', value: 'giulia.rossi@example.com' } } },
            date_modified: '2026-03-02T10:00:00+00:00',
            pages: [
              {
                id: 'p1',
                questions: [
                  { id: 'q1', answers: [{ choice_id: 'c4', row_id: 'r1' }] },
                  { id: 'q2', answers: [{ text: 'Troppa attesa al telefono.' }] },
                ],
              },
            ],
          },
        };
      }
      if (req.path === '/v3/surveys/405/responses/500/details') return { status: 503, body: 'down' };
      return { status: 404, body: { error: { message: 'not found' } } };
    });
  });
  afterAll(() => api.close());

  const adapter = () =>
    surveyMonkeyAdapter({ apiKey: 'client', apiSecret: 'shh', accessToken: token, baseUrl: api.url });
  const hook = (objectId: string) => {
    const body = JSON.stringify({
      name: 'closedloop',
      filter_type: 'survey',
      filter_id: '405',
      event_type: 'response_completed',
      event_id: 'e1',
      object_type: 'response',
      object_id: objectId,
      event_datetime: '2026-03-02T10:00:01+00:00',
      resources: {
        respondent_id: objectId,
        recipient_id: '0',
        user_id: '7',
        collector_id: '8',
        survey_id: '405',
      },
    });
    return {
      body,
      headers: { 'sm-apikey': 'client', 'sm-signature': hmacOf('sha1', 'client&shh', body, 'base64') },
    };
  };

  it('verifies Sm-Signature, fetches the response details and maps the NPS choice', async () => {
    const [e] = events(await adapter().handle(hook('9001')));
    expect(e?.feedback).toMatchObject({
      source: { tool: 'surveymonkey', responseId: '9001' },
      customer: { email: 'giulia.rossi@example.com', name: 'Giulia Rossi', segment: 'Italy' },
      nps: 4,
      comment: 'Troppa attesa al telefono.',
      language: 'it',
    });
  });

  it('answers 502 when SurveyMonkey is down (it will redeliver) and 422 for an unknown response', async () => {
    expect(await adapter().handle(hook('500'))).toMatchObject({ ok: false, status: 502 });
    expect(await adapter().handle(hook('404'))).toMatchObject({ ok: false, status: 422 });
  });

  it('refuses a forged webhook before calling the API', async () => {
    const before = api.requests.length;
    const h = hook('9001');
    expect(await adapter().handle({ body: h.body, headers: { 'sm-signature': 'Zm9yZ2Vk' } })).toMatchObject({
      status: 401,
    });
    expect(api.requests.length).toBe(before);
  });
});

describe('formbricks adapter', () => {
  it('needs a signing secret or a URL token, and says which config field to set', () => {
    expect(() => formbricksAdapter({})).toThrow(ConnectorConfigError);
    expect(() => formbricksAdapter({})).toThrow(
      'formbricks: secret: set secret (the signing secret) or token (a ?token= in the URL)',
    );
  });

  const secret = generateWebhookSecret();
  const adapter = formbricksAdapter({ secret, mapping: { nps: ['q-nps'], comment: ['q-why'] } });
  const signed = (payload: object) => {
    const body = JSON.stringify(payload);
    const id = 'msg_1';
    const ts = Math.floor(Date.now() / 1000);
    return {
      body,
      headers: {
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook(secret, id, ts, body),
      },
    };
  };
  const data = (extra: Record<string, unknown>) => ({
    id: 'clr9resp0001',
    createdAt: '2026-03-02T11:00:00.000Z',
    updatedAt: '2026-03-02T11:01:00.000Z',
    surveyId: 'clr9survey',
    finished: false,
    data: { 'q-nps': 1, email: 'ana@example.com', ...extra },
    meta: { source: 'link', url: 'https://forms.example/s/clr9survey' },
    contact: null,
    contactAttributes: {},
    tags: [],
    language: 'es',
    variables: {},
  });

  it('captures responseCreated and updates it on responseFinished', async () => {
    const [first] = events(
      await adapter.handle(signed({ webhookId: 'wh1', event: 'responseCreated', data: data({}) })),
    );
    const [last] = events(
      await adapter.handle(
        signed({ webhookId: 'wh1', event: 'responseFinished', data: data({ 'q-why': 'Nadie contesta.' }) }),
      ),
    );
    expect(first).toMatchObject({
      action: 'capture',
      feedback: { nps: 1, customer: { email: 'ana@example.com' }, language: 'es' },
    });
    expect(last).toMatchObject({ action: 'update', feedback: { nps: 1, comment: 'Nadie contesta.' } });
    expect(last?.feedback.source).toEqual(first?.feedback.source);
  });

  it('refuses an unsigned request', async () => {
    const s = signed({ event: 'responseCreated', data: data({}) });
    expect(await adapter.handle({ body: s.body, headers: {} })).toMatchObject({ ok: false, status: 401 });
  });

  it('accepts a URL token on instances that do not sign', async () => {
    const a = formbricksAdapter({ token: 'tok123' });
    const body = JSON.stringify({ event: 'responseCreated', data: { ...data({}), data: { nps: 10 } } });
    expect(
      events(await a.handle({ body, headers: {}, url: '/hooks/formbricks?token=tok123' }))[0]?.feedback.nps,
    ).toBe(10);
    expect((await a.handle({ body, headers: {}, url: '/hooks/formbricks?token=nope' })).ok).toBe(false);
  });
});

describe('qualtrics adapter', () => {
  let api: TestHttp;
  beforeAll(async () => {
    api = await testHttp((req) => {
      if (req.headers['x-api-token'] !== 'q-api')
        return { status: 401, body: { meta: { httpStatus: '401 - Unauthorized' } } };
      if (req.path === '/API/v3/surveys/SV_abc/responses/R_123') {
        return {
          status: 200,
          body: {
            result: {
              responseId: 'R_123',
              values: {
                startDate: '2026-03-02T12:00:00Z',
                endDate: '2026-03-02T12:03:00Z',
                status: 0,
                finished: 1,
                recipientEmail: 'piotr@example.com',
                recipientFirstName: 'Piotr',
                recipientLastName: 'Nowak',
                userLanguage: 'PL',
                segment: 'Poland',
                QID1: 6,
                QID1_NPS_GROUP: 1,
                QID2_TEXT: 'Za długo czekałem na zwrot.',
              },
              labels: { QID1: '6' },
            },
            meta: { httpStatus: '200 - OK', requestId: 'req-1' },
          },
        };
      }
      return { status: 404, body: { meta: { httpStatus: '404 - Not Found' } } };
    });
  });
  afterAll(() => api.close());

  it('reads the completed response and maps QIDs, recipient and embedded data', async () => {
    const adapter = qualtricsAdapter({
      token: 'hook-tok',
      apiToken: 'q-api',
      baseUrl: api.url,
      mapping: { nps: ['QID1'] },
    });
    const body = new URLSearchParams({
      Topic: 'surveyengine.completedResponse.SV_abc',
      Status: 'Complete',
      SurveyID: 'SV_abc',
      ResponseID: 'R_123',
      CompletedDate: '2026-03-02 12:03:00',
      BrandID: 'brand',
    }).toString();
    const r = await adapter.handle({
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      url: '/hooks/qualtrics?token=hook-tok',
    });
    expect(events(r)[0]?.feedback).toEqual({
      source: { tool: 'qualtrics', responseId: 'R_123' },
      customer: { email: 'piotr@example.com', name: 'Piotr Nowak', segment: 'Poland' },
      nps: 6,
      comment: 'Za długo czekałem na zwrot.',
      language: 'pl',
      receivedAt: '2026-03-02T12:03:00.000Z',
    });
    expect((await adapter.handle({ body, headers: {}, url: '/hooks/qualtrics' })).ok).toBe(false);
  });
});

describe('CSV and JSON import of survey waves', () => {
  const csv = [
    'response_id;email;name;segment;language;nps;comment;store',
    'r1;marta@example.com;Marta;Spain;es;3;"Llegó tarde; y roto";Madrid',
    'r2;;;;;10;"Great, thanks!\nSee you";Online',
    'r3;bad-email;X;Spain;es;11;;Madrid',
  ].join('\n');

  it('reads each row into feedback, and lists bad rows by line with the field', () => {
    const { feedback, issues } = parseFeedbackCsv(csv, { wave: '2026-Q1' });
    expect(feedback).toEqual([
      {
        source: { tool: 'csv', responseId: '2026-Q1:r1' },
        customer: { email: 'marta@example.com', name: 'Marta', segment: 'Spain' },
        nps: 3,
        comment: 'Llegó tarde; y roto',
        answers: [{ question: 'store', answer: 'Madrid' }],
        language: 'es',
      },
      {
        source: { tool: 'csv', responseId: '2026-Q1:r2' },
        customer: { anonymous: true },
        nps: 10,
        comment: 'Great, thanks!\nSee you',
        answers: [{ question: 'store', answer: 'Online' }],
      },
    ]);
    // r3 starts on line 5: r2's quoted comment spans lines 3 and 4.
    expect(issues).toEqual([{ line: 5, error: '"nps" (NPS): "11" is not a score from 0 to 10' }]);
  });

  it('names the field of an out-of-range score', () => {
    const { feedback, issues } = parseFeedbackCsv(
      'response_id,email,nps\nr9,ok@example.com,11\nr10,ok@example.com,7\n',
    );
    expect(feedback.map((f) => f.nps)).toEqual([7]);
    expect(issues).toEqual([{ line: 2, error: '"nps" (NPS): "11" is not a score from 0 to 10' }]);
  });

  it('gives rows without an id a stable one, so importing a wave twice is idempotent', () => {
    const text = 'email,nps\na@example.com,9\nb@example.com,2\n';
    const a = parseFeedbackCsv(text).feedback.map((f) => f.source.responseId);
    const b = parseFeedbackCsv(text).feedback.map((f) => f.source.responseId);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(2);
  });

  it('reads JSON as FeedbackInput objects or flat records', () => {
    const json = JSON.stringify([
      { source: { tool: 'app', responseId: 'x1' }, customer: { email: 'a@example.com' }, csat: 2 },
      { response_id: 'x2', email: 'b@example.com', csat: 5, comment: 'ok' },
      { source: { tool: 'app', responseId: 'x3' }, customer: { email: 'c@example.com' } },
    ]);
    const { feedback, issues } = parseFeedbackJson(json, { tool: 'app' });
    expect(feedback.map((f) => [f.source.responseId, f.csat])).toEqual([
      ['x1', 2],
      ['x2', 5],
    ]);
    expect(issues).toEqual([
      { line: 3, error: 'nps: feedback needs at least one of nps, csat, comment or answers' },
    ]);
  });
});
