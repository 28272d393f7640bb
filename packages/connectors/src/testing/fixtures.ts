import { type CaseSummary, type Effect, EffectSchema, type EffectType } from '@closedloop/core';

const AT = '2026-03-02T09:15:00.000Z';

/** A detractor's case as effects carry it, for tests and examples. */
export function sampleCase(overrides: Partial<CaseSummary> = {}): CaseSummary {
  return {
    id: 'CS-1042',
    loopId: 'loop-7f3a',
    feedbackId: 'fb-typeform-a1b2',
    customerEmail: 'marta.garcia@example.com',
    customerName: 'Marta García',
    segment: 'Spain',
    owner: 'ana.lopez',
    priority: 'high',
    status: 'new',
    feedbackComment: 'The courier left my parcel in the rain & nobody answered <my> calls.',
    nps: 3,
    language: 'es',
    sla: { firstResponseDue: '2026-03-02T13:15:00.000Z', breaches: [], escalationLevel: 0 },
    ruleIds: ['route-detractors-es'],
    createdAt: AT,
    updatedAt: AT,
    version: 1,
    ...overrides,
  };
}

/**
 * One valid effect of each type, checked against core's schema: the case notification of seed
 * 001, an email alert, a thank-you with a gesture, a re-survey and a CRM sync.
 *
 * @example
 * const [notify] = sampleEffects().filter((e) => e.type === 'notify');
 */
export function sampleEffects(): Effect[] {
  const c = sampleCase();
  const base = { loopId: c.loopId, caseId: c.id, createdAt: AT };
  const effects: unknown[] = [
    {
      ...base,
      type: 'notify',
      key: `${c.loopId}:notify:caseCreated:v1`,
      reason: 'caseCreated',
      to: [{ id: 'ana.lopez', name: 'Ana López', email: 'ana.lopez@example.com', language: 'es' }],
      cc: [
        { id: 'luis.martin', name: 'Luis Martín', email: 'luis.martin@example.com' },
        { id: 'ana.lopez', name: 'Ana López', email: 'ana.lopez@example.com' },
      ],
      case: c,
      changes: [],
      actor: 'system',
    },
    {
      ...base,
      type: 'alert',
      key: `${c.loopId}:alert:red-flag-delivery`,
      ruleId: 'red-flag-delivery',
      channel: 'email',
      template: 'alert',
      recipients: ['care-team@example.com', 'luis.martin'],
      params: { severity: 'red' },
      summary: {
        feedbackId: c.feedbackId,
        nps: 3,
        comment: c.feedbackComment,
        segment: 'Spain',
        topics: ['delivery'],
        flags: ['red'],
      },
    },
    {
      ...base,
      type: 'informCustomer',
      key: `${c.loopId}:inform:caseResolved`,
      template: 'caseResolved',
      to: { name: 'Marta García', email: 'marta.garcia@example.com', language: 'es' },
      language: 'es',
      vars: { message: 'Hemos cambiado de empresa de mensajería en tu zona.', rootCause: 'courier' },
      gesture: { description: 'un 10 % de descuento en tu próximo pedido', code: 'GRACIAS10' },
    },
    {
      ...base,
      type: 'sendResurvey',
      key: `${c.loopId}:resurvey`,
      to: { name: 'Marta García', email: 'marta.garcia@example.com' },
      language: 'es',
      originalNps: 3,
    },
    { ...base, type: 'syncCase', key: `${c.loopId}:sync:created`, change: 'created', case: c },
  ];
  return effects.map((e) => EffectSchema.parse(e));
}

/** The sample effect of one type. */
export function sampleEffect<T extends EffectType>(type: T): Extract<Effect, { type: T }> {
  const found = sampleEffects().find((e) => e.type === type);
  if (!found) throw new Error(`no sample effect of type ${type}`);
  return found as Extract<Effect, { type: T }>;
}
