// §1: a comment is what the customer wrote as their comment, never another answer.
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook } from '../webhook.ts';
import { delightedAdapter } from './delighted.ts';
import { events, fixture, hmacOf } from './fixtures.test-helpers.ts';
import { formbricksAdapter } from './formbricks.ts';
import { mapResponse } from './mapping.ts';
import { typeformAdapter } from './typeform.ts';

describe('typeform: only a long_text question is a comment', () => {
  const secret = 'tf-secret';
  const sign = (body: string) => ({
    'typeform-signature': `sha256=${hmacOf('sha256', secret, body, 'base64')}`,
  });

  it('does not take a short_text first-name answer as the comment', async () => {
    const body = fixture('typeform-first-name.json');
    const [e] = events(await typeformAdapter({ secret }).handle({ headers: sign(body), body }));
    expect(e?.feedback.nps).toBe(2);
    expect(e?.feedback.comment).toBeUndefined();
    expect(e?.feedback.answers).toEqual([{ question: "What's your name?", answer: 'Laura' }]);
  });

  it('takes the long_text answer, wherever it is in the form', async () => {
    const p = JSON.parse(fixture('typeform-first-name.json'));
    p.form_response.definition.fields.push({ id: 'why1', title: 'Why?', type: 'long_text', ref: 'why' });
    p.form_response.answers.push({
      type: 'text',
      text: 'Late twice.',
      field: { id: 'why1', type: 'long_text', ref: 'why' },
    });
    const body = JSON.stringify(p);
    const [e] = events(await typeformAdapter({ secret }).handle({ headers: sign(body), body }));
    expect(e?.feedback.comment).toBe('Late twice.');
  });

  it('with an explicit mapping.comment that is not answered, has no comment (no fallback)', async () => {
    const p = JSON.parse(fixture('typeform-first-name.json'));
    p.form_response.answers.push({
      type: 'text',
      text: 'Late twice.',
      field: { id: 'why1', type: 'long_text', ref: 'why' },
    });
    const body = JSON.stringify(p);
    const a = typeformAdapter({ secret, mapping: { comment: ['reason'] } });
    const [e] = events(await a.handle({ headers: sign(body), body }));
    expect(e?.feedback.comment).toBeUndefined();
  });
});

describe('formbricks: clicked and accepted are not comments', () => {
  const secret = generateWebhookSecret();
  const signed = (body: string) => {
    const ts = Math.floor(Date.now() / 1000);
    return {
      body,
      headers: {
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook(secret, 'msg_1', ts, body),
      },
    };
  };

  it("reads the documented (array-wrapped) responseFinished: a welcome card's clicked and a consent's accepted stay answers", async () => {
    const [e] = events(
      await formbricksAdapter({ secret }).handle(signed(fixture('formbricks-response-finished.json'))),
    );
    expect(e?.action).toBe('update');
    expect(e?.feedback.source).toEqual({ tool: 'formbricks', responseId: 'responseId' });
    expect(e?.feedback.comment).toBeUndefined();
    expect(e?.feedback.answers).toEqual([
      { question: 'q1', answer: 'clicked' },
      { question: 'q2', answer: 'accepted' },
    ]);
  });

  it('takes an answer to a question the survey marks openText', async () => {
    const [ev] = JSON.parse(fixture('formbricks-response-finished.json'));
    ev.data.data.q3 = 'Checkout kept failing.';
    ev.data.survey.questions = [
      { id: 'q1', type: 'cta' },
      { id: 'q2', type: 'consent' },
      { id: 'q3', type: 'openText' },
    ];
    const [e] = events(await formbricksAdapter({ secret }).handle(signed(JSON.stringify(ev))));
    expect(e?.feedback.comment).toBe('Checkout kept failing.');
  });
});

describe('delighted: the comment is the comment field, not a select-many answer', () => {
  const apiKey = 'dl-key';
  const sign = (b: string) => ({
    'x-delighted-webhook-signature': `sha256=${hmacOf('sha256', apiKey, b, 'hex')}`,
  });

  it('keeps "Convenience, Friendly staff" as an answer and leaves the comment empty', async () => {
    const body = fixture('delighted-select-many.json');
    const [e] = events(await delightedAdapter({ apiKey }).handle({ headers: sign(body), body }));
    expect(e?.feedback.nps).toBe(9);
    expect(e?.feedback.comment).toBeUndefined();
    expect(e?.feedback.answers).toEqual([
      { question: 'What did you like?', answer: 'Convenience, Friendly staff' },
    ]);
  });
});

describe('mapResponse', () => {
  const raw = {
    responseId: 'r1',
    hidden: { email: 'a@example.com' },
    answers: [
      { keys: ['first'], kind: 'text' as const, value: 'Ana' },
      { keys: ['why'], kind: 'text' as const, value: 'Slow.', openText: true },
    ],
  };
  it('takes the first open-text answer, never the first text answer', () => {
    const m = mapResponse('t', raw);
    expect(m.success && m.data.comment).toBe('Slow.');
    const none = mapResponse('t', { ...raw, answers: [raw.answers[0]!] });
    expect(none.success && none.data.comment).toBeUndefined();
  });
  it("prefers the tool's own comment field, and an explicit mapping over both", () => {
    const own = mapResponse('t', { ...raw, known: { comment: 'Own.' } });
    expect(own.success && own.data.comment).toBe('Own.');
    const mapped = mapResponse('t', { ...raw, known: { comment: 'Own.' } }, { comment: ['first'] });
    expect(mapped.success && mapped.data.comment).toBe('Ana');
    const missing = mapResponse('t', { ...raw, known: { comment: 'Own.' } }, { comment: ['nope'] });
    expect(missing.success && missing.data.comment).toBeUndefined();
  });
});

describe('one bad field does not lose an answer (webhooks drop it with a warning)', () => {
  const raw = {
    responseId: 'r2',
    hidden: { email: 'ana@', lang: '1234', segment: 'spain' },
    answers: [{ keys: ['nps'], kind: 'number' as const, value: 3, scale: 'nps' as const }],
    submittedAt: 'yesterday',
  };
  it('drops an invalid email, language and date, keeps the score, and names each field', () => {
    const m = mapResponse('t', raw, {}, { invalidFields: 'drop' });
    if (!m.success) throw new Error(m.error);
    expect(m.data).toMatchObject({ nps: 3, customer: { anonymous: true, segment: 'spain' } });
    expect(m.data.customer.email).toBeUndefined();
    expect(m.warnings.map((w) => w.field)).toEqual(['customer.email', 'language', 'receivedAt']);
    expect(m.data.warnings).toEqual(m.warnings);
    expect(JSON.stringify(m.warnings)).not.toContain('ana@');
  });
  it('refuses it, naming the field, when asked to (imports)', () => {
    const m = mapResponse('t', raw);
    expect(m).toMatchObject({ success: false, issues: [{ path: 'customer.email' }] });
  });
  it('refuses a score out of range either way, naming it', () => {
    const m = mapResponse(
      't',
      { ...raw, answers: [{ ...raw.answers[0]!, value: 11 }] },
      {},
      { invalidFields: 'drop' },
    );
    expect(m).toMatchObject({ success: false, issues: [{ path: 'nps' }] });
  });
});

describe('delighted SMS respondents', () => {
  const apiKey = 'dl-key';
  const sign = (b: string) => ({
    'x-delighted-webhook-signature': `sha256=${hmacOf('sha256', apiKey, b, 'hex')}`,
  });

  it('are identified by their Delighted person id, not anonymous', async () => {
    const body = fixture('delighted-sms.json');
    const [e] = events(await delightedAdapter({ apiKey }).handle({ headers: sign(body), body }));
    expect(e?.feedback).toMatchObject({
      nps: 1,
      comment: 'Nobody called me back.',
      customer: { id: 'delighted:70707' },
    });
    expect(e?.feedback.customer.anonymous).toBeUndefined();
  });

  it('a customer id from person properties wins over the Delighted person id', async () => {
    const p = JSON.parse(fixture('delighted-sms.json'));
    p.event_data.person_properties.customer_id = 'C-9';
    const body = JSON.stringify(p);
    const [e] = events(await delightedAdapter({ apiKey }).handle({ headers: sign(body), body }));
    expect(e?.feedback.customer.id).toBe('C-9');
  });
});

describe('delighted email respondents', () => {
  it('are not given the Delighted person id', async () => {
    const apiKey = 'dl-key';
    const body = fixture('delighted-select-many.json');
    const headers = { 'x-delighted-webhook-signature': `sha256=${hmacOf('sha256', apiKey, body, 'hex')}` };
    const [e] = events(await delightedAdapter({ apiKey }).handle({ headers, body }));
    expect(e?.feedback.customer).toEqual({
      email: 'ola@example.com',
      name: 'Ola Nordmann',
      attributes: { 'Delighted Source': 'Email' },
    });
  });
});
