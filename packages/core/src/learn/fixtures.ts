// Hand-made store rows for the analytics tests and the benchmark: one StepWrite per answer,
// shaped like the embedded runtime's (same ids, same snapshot and case fields).
import type { Case, CaseStatus, Priority } from '../domain/case.ts';
import type { Flag } from '../domain/classification.ts';
import { npsCategory } from '../domain/classification.ts';
import type { Feedback } from '../domain/feedback.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import { idsFor } from '../runtime/ids.ts';
import type { StepWrite } from '../stores/store.ts';

export interface FixtureCase {
  status?: CaseStatus;
  priority?: Priority;
  /** Defaults to the answer's segment. */
  segment?: string;
  owner?: string;
  /** Defaults to the answer's time. */
  createdAt?: string;
  firstRespondedAt?: string;
  resolvedAt?: string;
  rootCause?: string;
  breaches?: { kind: 'firstResponse' | 'resolution'; at: string }[];
}

export interface FixtureAnswer {
  responseId: string;
  at: string;
  nps?: number;
  csat?: number;
  segment?: string;
  touchpoint?: string;
  language?: string;
  anonymous?: boolean;
  comment?: string;
  topics?: string[];
  flags?: Flag[];
  /** Response id of the answer whose loop this re-survey answers. */
  inReplyToResponse?: string;
  case?: FixtureCase;
}

export const FIXTURE_TOOL = 'fixture';

export function loopIdOf(responseId: string): string {
  return idsFor({ tool: FIXTURE_TOOL, responseId }).loopId;
}

/** The StepWrite that stores one answer (and its case) as the runtime would. */
export function fixtureStep(a: FixtureAnswer): StepWrite {
  const ids = idsFor({ tool: FIXTURE_TOOL, responseId: a.responseId });
  const feedback: Feedback = {
    id: ids.feedbackId,
    source: { tool: FIXTURE_TOOL, responseId: a.responseId },
    customer: a.anonymous
      ? { anonymous: true, ...(a.segment ? { segment: a.segment } : {}) }
      : {
          anonymous: false,
          email: `${a.responseId}@example.com`,
          ...(a.segment ? { segment: a.segment } : {}),
        },
    receivedAt: a.at,
    ...(a.nps !== undefined ? { nps: a.nps } : {}),
    ...(a.csat !== undefined ? { csat: a.csat } : {}),
    ...(a.comment !== undefined ? { comment: a.comment } : {}),
    ...(a.touchpoint !== undefined ? { touchpoint: a.touchpoint } : {}),
    ...(a.language !== undefined ? { language: a.language } : {}),
    ...(a.inReplyToResponse !== undefined ? { inReplyTo: loopIdOf(a.inReplyToResponse) } : {}),
  };
  let kase: Case | undefined;
  if (a.case) {
    const c = a.case;
    const createdAt = c.createdAt ?? a.at;
    kase = {
      id: ids.caseId,
      loopId: ids.loopId,
      feedbackId: ids.feedbackId,
      customerEmail: `${a.responseId}@example.com`,
      segment: c.segment ?? a.segment ?? 'default',
      owner: c.owner ?? 'owner',
      priority: c.priority ?? 'high',
      status: c.status ?? 'new',
      feedbackComment: a.comment ?? '',
      ...(a.nps !== undefined ? { nps: a.nps } : {}),
      ...(a.csat !== undefined ? { csat: a.csat } : {}),
      ...(c.rootCause !== undefined ? { rootCause: c.rootCause } : {}),
      comments: [],
      audit: [],
      sla: {
        breaches: c.breaches ?? [],
        escalationLevel: 0,
        ...(c.firstRespondedAt ? { firstRespondedAt: c.firstRespondedAt } : {}),
      },
      ruleIds: [],
      createdAt,
      updatedAt: c.resolvedAt ?? c.breaches?.at(-1)?.at ?? c.firstRespondedAt ?? createdAt,
      ...(c.resolvedAt ? { resolvedAt: c.resolvedAt } : {}),
      version: 1,
    };
  }
  const snapshot = {
    state: kase
      ? kase.status === 'resolved'
        ? 'learned'
        : `acting.${kase.status === 'open' ? 'open' : 'new'}`
      : 'learned',
    context: {
      loopId: ids.loopId,
      caseId: ids.caseId,
      feedback,
      classification: {
        ...(a.nps !== undefined ? { npsCategory: npsCategory(a.nps) } : {}),
        flags: a.flags ?? [],
        topics: a.topics ?? [],
      },
      ...(kase ? { case: kase } : {}),
      timers: {},
      version: 1,
      pending: [],
    },
  } as unknown as LoopSnapshot;
  return {
    loop: { loopId: ids.loopId, snapshot, version: 1, updatedAt: kase?.updatedAt ?? a.at },
    expectedVersion: undefined,
    feedback,
    ...(kase ? { case: kase } : {}),
    timers: [],
    deliveries: [],
  };
}
