import type { Classification, Feedback } from '@closedloop/core';
import { csatCategory, npsCategory } from '@closedloop/core';
import type { FactDeclaration, Facts } from './types.ts';

/** The facts every rule can name, made from one piece of feedback (and, after `classify`, its classification). */
export const FEEDBACK_FACTS: Readonly<Record<string, FactDeclaration>> = {
  nps: { type: 'number', description: 'NPS answer, 0–10 (missing when the survey asked none)' },
  csat: { type: 'number', description: 'CSAT answer, 1–5' },
  npsCategory: { type: 'string', description: '"promoter" (9–10), "passive" (7–8) or "detractor" (0–6)' },
  csatCategory: { type: 'string', description: '"satisfied" (4–5), "neutral" (3) or "dissatisfied" (1–2)' },
  comment: { type: 'string', description: 'the open-ended answer' },
  language: { type: 'string', description: 'BCP 47 language tag of the answer, e.g. "es", "it", "pl", "en"' },
  touchpoint: {
    type: 'string',
    description: 'where in the journey the survey was triggered, e.g. "delivery"',
  },
  source: { type: 'object', description: 'the survey tool and its response id: { tool, responseId }' },
  customer: {
    type: 'object',
    description:
      'the customer: { anonymous, id, email, name, segment, value, attributes }; read parts with "path"',
  },
  anonymous: { type: 'boolean', description: 'true when the customer chose to stay anonymous' },
  customerEmail: { type: 'string', description: "the customer's email" },
  customerValue: { type: 'number', description: 'customer value (e.g. yearly revenue)' },
  attributes: {
    type: 'object',
    description: 'CRM attributes of the customer; read one with "path": "$.plan"',
  },
  segment: {
    type: 'string',
    description: "the customer's segment: as classified once `classify` ran, else as the survey tool sent it",
  },
  answers: { type: 'array', description: 'follow-up answers: [{ question, answer }]' },
  answersByQuestion: { type: 'object', description: 'follow-up answers by question: read one with "path"' },
  receivedAt: { type: 'string', description: 'when the feedback arrived (ISO 8601); use with withinDays' },
  topics: { type: 'array', description: 'topics found by the classify rules (empty while classifying)' },
  flags: { type: 'array', description: 'flags ("red", "yellow") set by the classify rules' },
  valueBand: { type: 'string', description: 'the value band (RFM tier) set by the classify rules' },
};

/**
 * The facts of one piece of feedback. Every catalogue fact is present (undefined when unknown), so
 * rules never fail on a missing answer: `notEqual` and `notIn` hold for it, as in json-rules-engine.
 *
 * @example
 * feedbackFacts(feedback, { flags: ['red'], topics: ['billing'] }).topics; // ['billing']
 */
export function feedbackFacts(feedback: Feedback, classification?: Partial<Classification>): Facts {
  const c = feedback.customer;
  const answersByQuestion: Record<string, unknown> = {};
  for (const a of feedback.answers ?? []) answersByQuestion[a.question] = a.answer;
  return {
    nps: feedback.nps,
    csat: feedback.csat,
    npsCategory: feedback.nps === undefined ? undefined : npsCategory(feedback.nps),
    csatCategory: feedback.csat === undefined ? undefined : csatCategory(feedback.csat),
    comment: feedback.comment,
    language: feedback.language,
    touchpoint: feedback.touchpoint,
    source: feedback.source,
    customer: c,
    anonymous: c.anonymous,
    customerEmail: c.email,
    customerValue: c.value,
    attributes: c.attributes ?? {},
    segment: classification?.segment ?? c.segment,
    answers: feedback.answers ?? [],
    answersByQuestion,
    receivedAt: feedback.receivedAt,
    topics: classification?.topics ?? [],
    flags: classification?.flags ?? [],
    valueBand: classification?.valueBand,
  };
}
