import { describe, expect, test } from 'vitest';
import { parseFeedbackCsv } from './import.ts';
import { mapResponse, parseConsent } from './mapping.ts';

const base = {
  responseId: 'r1',
  answers: [{ keys: ['nps'], kind: 'number' as const, value: 3, scale: 'nps' as const }],
};

describe('consent mapping', () => {
  test('a Typeform hidden field or a Delighted person property named consent becomes feedback.consent', () => {
    const typeform = mapResponse('typeform', { ...base, hidden: { email: 'a@example.es', consent: 'yes' } });
    expect(typeform).toMatchObject({ success: true, data: { consent: true } });
    const delighted = mapResponse('delighted', {
      ...base,
      hidden: { email: 'a@example.es', may_contact: 'false' },
    });
    expect(delighted).toMatchObject({ success: true, data: { consent: false } });
    // Not copied into the customer's attributes too.
    expect(delighted.success && delighted.data.customer).not.toHaveProperty('attributes');
    const none = mapResponse('typeform', { ...base, hidden: { email: 'a@example.es' } });
    expect(none.success && 'consent' in none.data).toBe(false);
  });

  test('a mapped yes/no question, and a value that is neither named in the error', () => {
    const answers = [...base.answers, { keys: ['q7', 'contact_me'], kind: 'boolean' as const, value: true }];
    const ok = mapResponse(
      'typeform',
      { ...base, answers, hidden: { email: 'a@example.es' } },
      { consent: ['contact_me'] },
    );
    expect(ok).toMatchObject({ success: true, data: { consent: true } });
    expect(ok.success && ok.data.answers).toBeUndefined();
    const bad = mapResponse('typeform', { ...base, hidden: { email: 'a@example.es', consent: 'maybe' } });
    expect(bad).toEqual({
      success: false,
      error: expect.stringMatching(/^consent: "maybe" is not a yes\/no value/),
      issues: [{ path: 'consent', message: expect.stringContaining('yes/no') }],
    });
    expect(['sí', 'TAK', 'sì', '1', true].map(parseConsent)).toEqual([true, true, true, true, true]);
    expect(['nie', 'No', '0', false].map(parseConsent)).toEqual([false, false, false, false]);
  });

  test('a CSV column named consent', () => {
    const csv =
      'response_id,email,nps,consent\nw1,a@example.es,3,yes\nw2,b@example.es,9,no\nw3,c@example.es,9,\n';
    const r = parseFeedbackCsv(csv, {});
    expect(r.issues).toEqual([]);
    expect(r.feedback.map((f) => f.consent)).toEqual([true, false, undefined]);
  });
});
