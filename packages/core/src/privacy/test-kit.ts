// Test helpers for privacy: a small run of loops with one customer to erase. Internal.

import type { Analytics } from '../learn/analytics.ts';
import { people, segments } from '../machine/fixtures.ts';
import type { ManualClock } from '../runtime/clock.ts';
import { manualClock } from '../runtime/clock.ts';
import { createClosedLoop, type EmbeddedClosedLoop } from '../runtime/closed-loop.ts';
import { type RecordingConnector, recordingConnector } from '../runtime/test-kit.ts';
import type { Store } from '../stores/store.ts';

/** The customer every privacy test erases: words that occur nowhere else. */
export const LUCIA = {
  email: 'lucia.zabaleta-7781@example.es',
  name: 'Lucía Zabaleta',
  customerId: 'crm-7781-zab',
  comment: 'La caja llegó aplastada por el mensajero 7781',
  answer: 'Quiero hablar con alguien de Zaragoza 7781',
};
/** Strings that must not survive an erasure. */
export const LUCIA_TRACES = [LUCIA.email, 'Zabaleta', LUCIA.customerId, LUCIA.comment, LUCIA.answer];

export interface Run {
  loop: EmbeddedClosedLoop;
  clock: ManualClock;
  connector: RecordingConnector;
}

export function runOn(store: Store): Run {
  const clock = manualClock(Date.parse('2026-11-02T09:00:00Z'));
  const connector = recordingConnector();
  const loop = createClosedLoop({ store, directory: people, segments, connectors: [connector], clock });
  return { loop, clock, connector };
}

let seq = 0;
/** Captures Lucía's detractor (with a staff comment mentioning her) and a mix of others. */
export async function seedLoops(run: Run): Promise<{ luciaCase: string }> {
  const { loop } = run;
  const tag = `${process.pid}-${seq++}`;
  const lucia = await loop.capture({
    source: { tool: 'typeform', responseId: `lucia-${tag}` },
    customer: { email: LUCIA.email, name: LUCIA.name, id: LUCIA.customerId, segment: 'spain' },
    nps: 2,
    comment: LUCIA.comment,
    answers: [
      { question: 'What can we do?', answer: LUCIA.answer },
      { question: 'Effort', answer: 4 },
    ],
    language: 'es',
  });
  await loop.cases.comment(lucia.case!.id, `Called ${LUCIA.name} (${LUCIA.email}), she is upset`, {
    actor: 'ana',
  });
  const scores = [0, 3, 6, 7, 8, 9, 10, 5, 9, 10];
  for (const [i, nps] of scores.entries()) {
    const r = await loop.capture({
      source: { tool: 'typeform', responseId: `other-${tag}-${i}` },
      customer: { email: `other${i}@example.it`, name: `Other ${i}`, segment: i % 2 ? 'spain' : 'italy' },
      nps,
      comment: `other comment ${i}`,
      language: 'es',
    });
    if (r.case && i % 3 === 0) await loop.cases.update(r.case.id, { status: 'open' }, { actor: 'ana' });
  }
  // One more answer of hers, by customer id only.
  await loop.capture({
    source: { tool: 'delighted', responseId: `lucia-b-${tag}` },
    customer: { id: LUCIA.customerId, segment: 'spain' },
    nps: 9,
  });
  await loop.idle();
  return { luciaCase: lucia.case!.id };
}

/** Every learn figure the reports use, for before/after comparisons. */
export async function learnFigures(analytics: Analytics): Promise<unknown> {
  const q = { from: '2026-01-01', to: '2027-12-31' };
  const by = { ...q, by: 'segment' as const };
  return {
    nps: await analytics.nps(by),
    csat: await analytics.csat(by),
    responses: await analytics.responses(by),
    recovery: await analytics.recovery(q),
    times: await analytics.responseTimes(q),
    sla: await analytics.slaBreachRate(q),
    backlog: await analytics.backlog({ asOf: '2026-12-01T00:00:00Z' }),
    rootCauses: await analytics.rootCauses(q),
    topics: await analytics.topicTrends(q),
    redFlags: (await analytics.redFlagCases(q)).length,
  };
}
