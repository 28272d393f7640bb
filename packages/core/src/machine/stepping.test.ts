// The runtime steps the loop machine through a hand-made inert actor scope (loop.ts), because
// xstate's public `transition()` / `initialTransition()` build a throwaway actor on every call.
// These tests tie that shortcut to the public API: for every event in every reachable state, both
// give the same next state, the same context and the same emitted effects.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { decision, feedback, T0, testEnv } from './fixtures.ts';
import { type LoopSnapshot, startAndStep, startLoop, stepLoop } from './loop.ts';
import { createLoopMachine } from './machine.ts';
import { STATE_EVENTS } from './refusal.ts';
import type { LoopEvent, LoopInput, LoopState, TimerName } from './types.ts';

const env = testEnv();
const machine = createLoopMachine(env);
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

function stateOf(value: unknown): LoopState {
  if (typeof value === 'string') return value as LoopState;
  const [parent, child] = Object.entries(value as Record<string, string>)[0]!;
  return `${parent}.${child}` as LoopState;
}

/** One step through xstate's public, pure API, as the runtime's result would look. */
function publicStep(from: LoopSnapshot, event: LoopEvent) {
  const value = from.state.includes('.') ? Object.fromEntries([from.state.split('.')]) : from.state;
  const restored = machine.resolveState({ value, context: from.context });
  const [next, actions] = transition(machine, restored, event);
  return { state: stateOf(next.value), context: next.context, actions };
}

const withResurvey = { resurvey: { afterDays: 2 } };
const escalating = {
  sla: { firstResponseMinutes: 60, resolutionMinutes: 120 },
  escalation: [{ escalate: true }, { rearmMinutes: 60 }],
};
const decisions = [
  decision(),
  decision(withResurvey),
  decision(escalating),
  decision({ case: undefined }),
  decision({ case: undefined, thankCustomer: { template: 'thankYou' } }),
  decision({
    alerts: [{ ruleId: 'red', channel: 'email', template: 't', recipients: ['ana'], params: {} }],
  }),
];
const feedbacks = [feedback(), feedback({ customer: { anonymous: true } }), feedback({ nps: 10 })];
const timers: TimerName[] = ['firstResponse', 'resolution', 'resurvey', 'resurveyExpiry'];
const update = (changes: Record<string, string>): LoopEvent => ({
  type: 'UPDATE',
  actor: 'ana',
  at: at(5),
  changes,
});
const events: LoopEvent[] = [
  ...decisions.map((d): LoopEvent => ({ type: 'DECIDED', decision: d, at: T0 })),
  update({ status: 'open' }),
  update({ status: 'escalated' }),
  update({ status: 'resolved', rootCause: 'late carrier' }),
  update({ segment: 'italy' }),
  update({ priority: 'low' }),
  { type: 'REASSIGN', actor: 'ana', at: at(6), owner: 'bob' },
  { type: 'REASSIGN', actor: 'ana', at: at(6), owner: 'nobody' },
  { type: 'COMMENT', actor: 'ana', at: at(7), commentId: 'c1', body: 'called the customer' },
  { type: 'RESOLVE', actor: 'ana', at: at(8), rootCause: 'late carrier' },
  { type: 'INFORM_CUSTOMER', actor: 'ana', at: at(9), message: 'Sorry', gesture: { description: '10%' } },
  { type: 'CUSTOMER_INFORMED', at: at(10) },
  { type: 'CONTACT_SUPPRESSED', at: at(10), effect: 'informCustomer', reason: 'do-not-contact' },
  { type: 'CONTACT_SUPPRESSED', at: at(10), effect: 'sendResurvey', reason: 'no consent' },
  ...timers.map((timer): LoopEvent => ({ type: 'TIMER_FIRED', timer, at: at(3 * 24 * 60) })),
  { type: 'RESURVEY_ANSWERED', at: at(4 * 24 * 60), feedbackId: 'fb_2', nps: 2 },
  { type: 'RESURVEY_ANSWERED', at: at(4 * 24 * 60), feedbackId: 'fb_3', nps: 9 },
  ...decisions.map(
    (d): LoopEvent => ({
      type: 'FEEDBACK_UPDATED',
      at: at(11),
      feedback: feedback({ comment: 'y la caja rota' }),
      decision: d,
    }),
  ),
];
const first = (type: LoopEvent['type']) => events.find((e) => e.type === type)!;
// Random walks seldom get to the late states; these walks start from each of them.
const openedWithResurvey: LoopEvent = { type: 'DECIDED', decision: decisions[1]!, at: T0 };
const prefixes: LoopEvent[][] = [
  [],
  [first('DECIDED')],
  [openedWithResurvey, first('RESOLVE')],
  [openedWithResurvey, first('RESOLVE'), first('INFORM_CUSTOMER')],
  [openedWithResurvey, first('RESOLVE'), first('INFORM_CUSTOMER'), first('CUSTOMER_INFORMED')],
];
const input = (fb: (typeof feedbacks)[number]): LoopInput => ({ loopId: 'L1', caseId: 'CS-1', feedback: fb });

describe('the hand-made actor scope steps the machine exactly as xstate’s public API', () => {
  test('a new loop: startLoop and startAndStep agree with initialTransition() + transition()', () => {
    for (const fb of feedbacks) {
      const [initial, initialActions] = initialTransition(machine, input(fb));
      expect(initialActions).toEqual([]);
      expect(startLoop(machine, input(fb))).toEqual({
        state: stateOf(initial.value),
        context: initial.context,
      });
      for (const event of events) {
        const [next, actions] = transition(machine, initial, event);
        const ours = startAndStep(machine, input(fb), event);
        expect(actions).toEqual([]);
        expect(ours.accepted).toBe(next.context.version !== 0);
        expect(ours.snapshot).toEqual({ state: stateOf(next.value), context: next.context });
        expect(ours.effects).toEqual(ours.accepted ? next.context.pending : []);
      }
    }
  });

  test('property: every event in every reachable state gives the same state, context and effects', () => {
    const seen = new Set<LoopState>();
    fc.assert(
      fc.property(
        fc.constantFrom(...feedbacks),
        fc.constantFrom(...prefixes),
        fc.array(fc.constantFrom(...events), { maxLength: 10 }),
        (fb, prefix, path) => {
          let s = startLoop(machine, input(fb));
          for (const e of [...prefix, ...path]) s = stepLoop(machine, s, e).snapshot;
          seen.add(s.state);
          for (const probe of events) {
            const ours = stepLoop(machine, s, probe);
            const theirs = publicStep(s, probe);
            expect(theirs.actions).toEqual([]);
            expect(ours.accepted).toBe(theirs.context.version !== s.context.version);
            if (ours.accepted) {
              expect(ours.snapshot).toEqual({ state: theirs.state, context: theirs.context });
              expect(ours.effects).toEqual(theirs.context.pending);
            } else {
              expect(ours.snapshot).toBe(s);
              expect(ours.effects).toEqual([]);
              expect(theirs.state).toBe(s.state);
            }
          }
        },
      ),
      { numRuns: 400 },
    );
    // Every state of the machine was probed with every event.
    expect([...seen].sort()).toEqual(Object.keys(STATE_EVENTS).sort());
  });
});
