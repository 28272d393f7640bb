// SurveyMonkey: survey definitions are cached with an expiry and read again for an unknown choice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, type TestHttp, testHttp } from '../__tests__/http.ts';
import { events, fixture, hmacOf } from './fixtures.test-helpers.ts';
import { surveyMonkeyAdapter } from './surveymonkey.ts';

const hook = fixture('surveymonkey-webhook.json');
const signed = (body = hook) => ({
  body,
  headers: { 'sm-apikey': 'client', 'sm-signature': hmacOf('sha1', 'client&shh', body, 'base64') },
});

// The survey as first read: "Web" and "Phone"; then the owner adds "App" (choice 900000003).
const v1 = JSON.parse(fixture('surveymonkey-survey-details.json'));
const v2 = structuredClone(v1);
v2.pages[0].questions[0].answers.choices.push({ id: '900000003', position: 3, text: 'App' });
let survey = v1;
let detailsReads = 0;

let api: TestHttp;
beforeAll(async () => {
  api = await testHttp((req): Reply => {
    if (req.path === '/v3/surveys/405000001/details') {
      detailsReads++;
      return { status: 200, body: survey };
    }
    if (req.path === '/v3/surveys/405000001/responses/114000000001/details')
      return { status: 200, body: fixture('surveymonkey-response-details.json') };
    return { status: 404, body: { error: { id: '1020', message: 'Resource not found' } } };
  });
});
afterAll(() => api.close());

describe('surveymonkey survey cache', () => {
  it('reads the survey again when an answer has a choice id it does not know (the survey was edited)', async () => {
    survey = v1;
    let clock = 0;
    const adapter = surveyMonkeyAdapter({
      apiKey: 'client',
      apiSecret: 'shh',
      accessToken: 't',
      baseUrl: api.url,
      now: () => clock,
    });
    // Warm the cache with v1 (the answer's choice is unknown there), then edit the survey.
    const before = detailsReads;
    const first = await adapter.handle(signed());
    expect(detailsReads - before).toBe(2); // read, then read again for the unknown choice
    expect(events(first)[0]?.feedback.answers).toBeUndefined();
    survey = v2;
    clock += 1000;
    const [e] = events(await adapter.handle(signed()));
    expect(e?.feedback).toMatchObject({
      customer: { email: 'giulia.rossi@example.com', segment: 'Italy' },
      comment: 'Please add evening slots.',
      answers: [{ question: 'How did you order?', answer: 'App' }],
    });
  });

  it('keeps a known survey for the cache time and reads it again after', async () => {
    survey = v2;
    let clock = 0;
    const adapter = surveyMonkeyAdapter({
      apiKey: 'client',
      apiSecret: 'shh',
      accessToken: 't',
      baseUrl: api.url,
      surveyCacheSeconds: 60,
      now: () => clock,
    });
    const before = detailsReads;
    await adapter.handle(signed());
    await adapter.handle(signed());
    expect(detailsReads - before).toBe(1);
    clock += 61_000;
    await adapter.handle(signed());
    expect(detailsReads - before).toBe(2);
  });

  it('refuses ids that are not SurveyMonkey ids with 422 before any call', async () => {
    const before = api.requests.length;
    const h = JSON.parse(hook);
    h.object_id = '1/../../users/me';
    const r = await surveyMonkeyAdapter({
      apiKey: 'client',
      apiSecret: 'shh',
      accessToken: 't',
      baseUrl: api.url,
    }).handle(signed(JSON.stringify(h)));
    expect(r).toMatchObject({ ok: false, status: 422, issues: [{ path: 'object_id' }] });
    expect(api.requests.length).toBe(before);
  });
});
