import { and, assign, setup } from 'xstate';
import type { CaseStatus } from '../domain/case.ts';
import { checkEvent } from './refusal.ts';
import {
  applyBreach,
  applyComment,
  applyDecision,
  applyFeedbackUpdate,
  applyInform,
  applyInformed,
  applyReassign,
  applyResolve,
  applyResurveyAnswered,
  applyResurveyDue,
  applyResurveyExpired,
  applyResurveyReopen,
  applySuppressed,
  applyUpdate,
  dropTimer,
  nextEscalationStep,
  stillUnhappy,
} from './steps.ts';
import type { LoopContext, LoopEnv, LoopEvent, LoopEventOf, LoopInput, TimerName } from './types.ts';

/** The context of a new loop (state `captured`), before any event. */
export function initialContext(input: LoopInput): LoopContext {
  return {
    loopId: input.loopId,
    caseId: input.caseId,
    feedback: input.feedback,
    timers: {},
    version: 0,
    pending: [],
  };
}

type Args = { context: LoopContext; event: LoopEvent };
const as = <T extends LoopEvent['type']>(e: LoopEvent, _t: T) => e as LoopEventOf<T>;

/**
 * The closed feedback loop as one pure xstate v5 machine: capture → classify → assign → act →
 * inform the customer → learn. It never does I/O and never waits on its own timers: it writes
 * due times into `context.timers` and emits effects into `context.pending`; a runtime executes both.
 *
 * @example
 * const machine = createLoopMachine({ segments, directory });
 * let snap = startLoop(machine, { loopId, caseId, feedback });
 * ({ snapshot: snap } = stepLoop(machine, snap, { type: 'DECIDED', decision, at }));
 */
export function createLoopMachine(env: LoopEnv) {
  const ok = ({ context, event }: Args) => checkEvent(env, context, event) === undefined;
  const updateTo =
    (status: CaseStatus) =>
    ({ context, event }: Args) =>
      event.type === 'UPDATE' &&
      event.changes.status === status &&
      context.case?.status !== status &&
      ok({ context, event });
  const breach =
    (timer: TimerName) =>
    ({ event }: Args) =>
      event.type === 'TIMER_FIRED' && event.timer === timer;
  const breachEscalates =
    (timer: TimerName) =>
    ({ context, event }: Args) =>
      breach(timer)({ context, event }) && nextEscalationStep(context)?.escalate === true;

  const caseEvents = {
    UPDATE: [
      { guard: 'updateToOpen', target: '#loop.acting.open', actions: 'update' },
      { guard: 'updateToEscalated', target: '#loop.escalated', actions: 'update' },
      { guard: 'updateToResolved', target: '#loop.resolved', actions: 'update' },
      { guard: 'ok', actions: 'update' },
    ],
    REASSIGN: { guard: 'ok', actions: 'reassign' },
    COMMENT: { guard: 'ok', actions: 'comment' },
    FEEDBACK_UPDATED: { actions: 'feedbackUpdated' },
  } as const;

  return setup({
    types: {} as { context: LoopContext; events: LoopEvent; input: LoopInput },
    guards: {
      ok,
      opensCase: ({ context, event }) => {
        if (event.type !== 'DECIDED' && event.type !== 'FEEDBACK_UPDATED') return false;
        const c = event.type === 'FEEDBACK_UPDATED' ? event.feedback.customer : context.feedback.customer;
        return (
          event.decision.case !== undefined && !c.anonymous && (c.email !== undefined || c.id !== undefined)
        );
      },
      hasNoCase: ({ context }) => context.case === undefined,
      updateToOpen: updateTo('open'),
      updateToEscalated: updateTo('escalated'),
      updateToResolved: updateTo('resolved'),
      firstResponseBreach: breach('firstResponse'),
      firstResponseBreachEscalates: breachEscalates('firstResponse'),
      resolutionBreach: breach('resolution'),
      resolutionBreachEscalates: breachEscalates('resolution'),
      resurveyDue: breach('resurvey'),
      resurveyExpired: breach('resurveyExpiry'),
      // One re-survey per loop: a case reopened by an unhappy answer is not surveyed again.
      resurveys: ({ context }) => context.decision?.resurvey !== undefined && !context.resurveys?.length,
      stillUnhappy: ({ event }) => event.type === 'RESURVEY_ANSWERED' && stillUnhappy(event),
    },
    actions: {
      decide: assign(({ context, event }) => applyDecision(env, context, as(event, 'DECIDED'))),
      redecide: assign(({ context, event }) => applyDecision(env, context, as(event, 'FEEDBACK_UPDATED'))),
      feedbackUpdated: assign(({ context, event }) =>
        applyFeedbackUpdate(env, context, as(event, 'FEEDBACK_UPDATED')),
      ),
      update: assign(({ context, event }) => applyUpdate(env, context, as(event, 'UPDATE'))),
      resolve: assign(({ context, event }) => applyResolve(env, context, as(event, 'RESOLVE'))),
      reassign: assign(({ context, event }) => applyReassign(env, context, as(event, 'REASSIGN'))),
      comment: assign(({ context, event }) => applyComment(env, context, as(event, 'COMMENT'))),
      breach: assign(({ context, event }) => applyBreach(env, context, as(event, 'TIMER_FIRED'))),
      inform: assign(({ context, event }) => applyInform(env, context, as(event, 'INFORM_CUSTOMER'))),
      informed: assign(({ context, event }) => applyInformed(context, as(event, 'CUSTOMER_INFORMED'))),
      suppressed: assign(({ context, event }) =>
        applySuppressed(context, as(event, 'CONTACT_SUPPRESSED'), false),
      ),
      suppressedEnds: assign(({ context, event }) =>
        applySuppressed(context, as(event, 'CONTACT_SUPPRESSED'), true),
      ),
      resurveyDue: assign(({ context, event }) => applyResurveyDue(context, as(event, 'TIMER_FIRED'))),
      resurveyAnswered: assign(({ context, event }) =>
        applyResurveyAnswered(context, as(event, 'RESURVEY_ANSWERED')),
      ),
      resurveyExpired: assign(({ context }) => applyResurveyExpired(context)),
      resurveyReopen: assign(({ context, event }) =>
        applyResurveyReopen(env, context, as(event, 'RESURVEY_ANSWERED')),
      ),
      dropTimer: assign(({ context, event }) => dropTimer(context, as(event, 'TIMER_FIRED'))),
    },
  }).createMachine({
    id: 'loop',
    context: ({ input }) => initialContext(input),
    initial: 'captured',
    // A timer that means nothing in the current state is dropped.
    on: { TIMER_FIRED: { actions: 'dropTimer' }, CONTACT_SUPPRESSED: { actions: 'suppressed' } },
    states: {
      captured: {
        on: {
          DECIDED: [
            { guard: 'opensCase', target: 'acting', actions: 'decide' },
            { target: 'learned', actions: 'decide' },
          ],
        },
      },
      acting: {
        initial: 'new',
        on: {
          ...caseEvents,
          RESOLVE: { guard: 'ok', target: 'resolved', actions: 'resolve' },
          TIMER_FIRED: [
            { guard: 'resolutionBreachEscalates', target: 'escalated', actions: 'breach' },
            { guard: 'resolutionBreach', actions: 'breach' },
          ],
        },
        states: {
          new: {
            on: {
              TIMER_FIRED: [
                { guard: 'firstResponseBreachEscalates', target: '#loop.escalated', actions: 'breach' },
                { guard: 'firstResponseBreach', actions: 'breach' },
              ],
            },
          },
          open: {},
        },
      },
      escalated: {
        on: {
          ...caseEvents,
          RESOLVE: { guard: 'ok', target: 'resolved', actions: 'resolve' },
          TIMER_FIRED: { guard: 'resolutionBreach', actions: 'breach' },
        },
      },
      resolved: {
        on: {
          ...caseEvents,
          INFORM_CUSTOMER: { guard: 'ok', target: 'informing', actions: 'inform' },
        },
      },
      informing: {
        on: {
          COMMENT: { guard: 'ok', actions: 'comment' },
          FEEDBACK_UPDATED: { actions: 'feedbackUpdated' },
          CUSTOMER_INFORMED: [
            { guard: 'resurveys', target: 'awaitingResurvey', actions: 'informed' },
            { target: 'learned', actions: 'informed' },
          ],
          // The customer may not be told: the loop ends here, without a re-survey.
          CONTACT_SUPPRESSED: { target: 'learned', actions: 'suppressedEnds' },
        },
      },
      awaitingResurvey: {
        on: {
          COMMENT: { guard: 'ok', actions: 'comment' },
          FEEDBACK_UPDATED: { actions: 'feedbackUpdated' },
          RESURVEY_ANSWERED: [
            { guard: 'stillUnhappy', target: 'acting.open', actions: 'resurveyReopen' },
            { target: 'learned', actions: 'resurveyAnswered' },
          ],
          CONTACT_SUPPRESSED: { target: 'learned', actions: 'suppressedEnds' },
          TIMER_FIRED: [
            { guard: 'resurveyDue', actions: 'resurveyDue' },
            { guard: 'resurveyExpired', target: 'learned', actions: 'resurveyExpired' },
          ],
        },
      },
      // Not a final state: a loop that ended without a case may still get one when the survey
      // tool sends the rest of the answer (FEEDBACK_UPDATED). With a case, nothing changes here.
      learned: {
        on: {
          FEEDBACK_UPDATED: [
            { guard: and(['hasNoCase', 'opensCase']), target: 'acting', actions: 'redecide' },
            { guard: 'hasNoCase', actions: 'redecide' },
          ],
        },
      },
    },
  });
}

export type LoopMachine = ReturnType<typeof createLoopMachine>;
