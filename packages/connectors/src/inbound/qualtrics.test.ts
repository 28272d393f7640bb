// Qualtrics event subscriptions with a shared key: form-encoded Topic, MSG (JSON) and HMAC-SHA512.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, type TestHttp, testHttp } from '../__tests__/http.ts';
import { ConnectorConfigError } from '../secrets.ts';
import { events, fixture, hmacOf } from './fixtures.test-helpers.ts';
import { qualtricsAdapter } from './qualtrics.ts';

const KEY = 'shared-key-from-the-subscription';
const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** The community-posted delivery, re-signed with our key (optionally with another MSG). */
function delivery(change: (msg: Record<string, string>) => void = () => {}, key = KEY) {
  const fields = new URLSearchParams(fixture('qualtrics-subscription.txt'));
  const msg = JSON.parse(fields.get('MSG')!);
  change(msg);
  const text = JSON.stringify(msg);
  fields.set('MSG', text);
  fields.set('HMAC', hmacOf('sha512', key, text, 'hex'));
  return { headers: form, body: fields.toString(), url: '/v1/inbound/qualtrics' };
}

let api: TestHttp;
beforeAll(async () => {
  api = await testHttp((req): Reply => {
    if (req.headers['x-api-token'] !== 'q-api') return { status: 401, body: { meta: { httpStatus: '401' } } };
    if (req.path === '/API/v3/surveys/SV_cVn9uBwheR9hz01/responses/R_suq806jn8LGzhx7')
      return {
        status: 200,
        body: fixture('qualtrics-response.json'),
        headers: { 'content-type': 'application/json' },
      };
    if (req.path.endsWith('/R_gone0000000001'))
      return { status: 404, body: { meta: { httpStatus: '404 - Not Found' } } };
    if (req.path.endsWith('/R_long0000000001')) return { status: 414, body: 'URI Too Long' };
    if (req.path.endsWith('/R_hdrs0000000001')) return { status: 431, body: 'Headers Too Large' };
    if (req.path.endsWith('/R_busy0000000001'))
      return { status: 503, body: 'busy', headers: { 'retry-after': '120' } };
    return { status: 400, body: { meta: { httpStatus: '400 - Bad Request' } } };
  });
});
afterAll(() => api.close());

const adapter = () =>
  qualtricsAdapter({ sharedKey: KEY, apiToken: 'q-api', baseUrl: api.url, mapping: { nps: ['QID1'] } });

describe('qualtrics with a shared key', () => {
  it('verifies HMAC over MSG, reads SurveyID/ResponseID from MSG and fetches the response', async () => {
    const [e] = events(await adapter().handle(delivery()));
    expect(e?.feedback).toEqual({
      source: { tool: 'qualtrics', responseId: 'R_suq806jn8LGzhx7' },
      customer: { email: 'piotr@example.com', name: 'Piotr Nowak', segment: 'Poland' },
      nps: 3,
      comment: 'Za długo czekałem na zwrot.',
      answers: [
        { question: 'QID3', answer: 2 },
        { question: 'QID3_2_TEXT', answer: 'Kurier' },
      ],
      language: 'pl',
      receivedAt: '2020-10-22T12:31:40.000Z',
    });
  });

  it('refuses a wrong, missing or malformed HMAC with 401 before calling the API', async () => {
    const before = api.requests.length;
    expect(await adapter().handle(delivery(() => {}, 'another-key'))).toMatchObject({
      ok: false,
      status: 401,
    });
    const d = delivery();
    const noHmac = new URLSearchParams(d.body);
    noHmac.delete('HMAC');
    expect(await adapter().handle({ ...d, body: noHmac.toString() })).toMatchObject({ status: 401 });
    // A signed MSG whose content was changed afterwards.
    const tampered = new URLSearchParams(d.body);
    tampered.set('MSG', tampered.get('MSG')!.replace('R_suq806jn8LGzhx7', 'R_other000000001'));
    expect(await adapter().handle({ ...d, body: tampered.toString() })).toMatchObject({ status: 401 });
    expect(api.requests.length).toBe(before);
  });

  it('refuses an id of the wrong shape with 422 naming it, without calling the API', async () => {
    const before = api.requests.length;
    const r = await adapter().handle(delivery((m) => (m.ResponseID = '../../users/me')));
    expect(r).toMatchObject({ ok: false, status: 422, issues: [{ path: 'ResponseID' }] });
    const long = await adapter().handle(delivery((m) => (m.SurveyID = `SV_${'a'.repeat(500)}`)));
    expect(long).toMatchObject({ ok: false, status: 422, issues: [{ path: 'SurveyID' }] });
    expect(api.requests.length).toBe(before);
  });

  it("turns the API's own 4xx into a permanent 422, and a 503 into a retryable 502 with Retry-After", async () => {
    for (const id of ['R_gone0000000001', 'R_long0000000001', 'R_hdrs0000000001', 'R_badr0000000001'])
      expect(await adapter().handle(delivery((m) => (m.ResponseID = id)))).toMatchObject({
        ok: false,
        status: 422,
      });
    expect(await adapter().handle(delivery((m) => (m.ResponseID = 'R_busy0000000001')))).toMatchObject({
      ok: false,
      status: 502,
      retryAfter: 120,
    });
  });

  it('answers 502 (retry) when our API token is refused: fixing the config lets the delivery through', async () => {
    const a = qualtricsAdapter({ sharedKey: KEY, apiToken: 'wrong', baseUrl: api.url });
    const r = await a.handle(delivery());
    expect(r).toMatchObject({ ok: false, status: 502 });
    if (!r.ok) expect(r.error).toContain('API token');
  });

  it('ignores topics other than completedResponse', async () => {
    const d = delivery();
    const f = new URLSearchParams(d.body);
    f.set('Topic', 'surveyengine.partialResponse.SV_cVn9uBwheR9hz01');
    expect(await adapter().handle({ ...d, body: f.toString() })).toEqual({ ok: true, events: [] });
  });

  it('needs a shared key or a token', () => {
    expect(() => qualtricsAdapter({ apiToken: 'x', baseUrl: 'http://127.0.0.1:1' })).toThrow(
      ConnectorConfigError,
    );
    expect(() => qualtricsAdapter({ apiToken: 'x', baseUrl: 'http://127.0.0.1:1' })).toThrow(
      new ConnectorConfigError(
        'qualtrics',
        'sharedKey',
        "set sharedKey (the subscription's shared key) or token (a ?token= in the URL)",
      ),
    );
  });
});
