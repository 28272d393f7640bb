import type { LoopEvent } from '@closedloop/core';
import {
  createLoopMachine,
  type LoopSnapshot,
  refusalOf,
  STATE_EVENTS,
  startLoop,
  stepLoop,
  stepLoopOrThrow,
} from '@closedloop/core/machine';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decision, feedback, T0, testEnv } from './fixtures.ts';

const env = testEnv();
const machine = createLoopMachine(env);
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

function opened(over: Parameters<typeof decision>[0] = {}, fb = feedback()): LoopSnapshot {
  const s = startLoop(machine, { loopId: 'L1', caseId: 'CS-1', feedback: fb });
  return stepLoop(machine, s, { type: 'DECIDED', decision: decision(over), at: T0 }).snapshot;
}
function send(s: LoopSnapshot, e: LoopEvent): LoopSnapshot {
  return stepLoopOrThrow(machine, env, s, e).snapshot;
}
const update = (changes: Record<string, string>, minutes = 5): LoopEvent => ({
  type: 'UPDATE',
  actor: 'ana',
  at: at(minutes),
  changes,
});

describe('capture and classify', () => {
  test('a new loop starts captured', () => {
    expect(startLoop(machine, { loopId: 'L1', caseId: 'CS-1', feedback: feedback() }).state).toBe('captured');
  });

  test('a routed detractor opens a case in acting.new with SLA due times and a creation notice', () => {
    const s = startLoop(machine, { loopId: 'L1', caseId: 'CS-1', feedback: feedback() });
    const r = stepLoop(machine, s, { type: 'DECIDED', decision: decision(), at: T0 });
    expect(r.snapshot.state).toBe('acting.new');
    expect(r.snapshot.context.case).toMatchObject({
      id: 'CS-1',
      status: 'new',
      owner: 'ana',
      segment: 'spain',
      feedbackComment: 'El envío llegó tarde',
    });
    expect(r.snapshot.context.timers).toEqual({ firstResponse: at(60), resolution: at(24 * 60) });
    expect(r.effects.map((e) => [e.type, e.key])).toEqual([
      ['notify', 'L1:v1:notify'],
      ['syncCase', 'L1:v1:sync'],
    ]);
  });

  test('anonymous feedback goes straight to learned: no case, no message (R2)', () => {
    const fb = feedback({ customer: { anonymous: true } });
    const s = startLoop(machine, { loopId: 'L1', caseId: 'CS-1', feedback: fb });
    const r = stepLoop(machine, s, {
      type: 'DECIDED',
      decision: decision({ thankCustomer: { template: 'thankYou' } }),
      at: T0,
    });
    expect(r.snapshot.state).toBe('learned');
    expect(r.snapshot.context.case).toBeUndefined();
    expect(r.snapshot.context.outcome).toEqual({ reason: 'anonymous' });
    expect(r.effects).toEqual([]);
  });

  test('feedback no rule routes is learned from; a promoter is thanked (R19)', () => {
    const s = startLoop(machine, { loopId: 'L1', caseId: 'CS-1', feedback: feedback({ nps: 10 }) });
    const r = stepLoop(machine, s, {
      type: 'DECIDED',
      decision: decision({ case: undefined, thankCustomer: { template: 'thankYou' } }),
      at: T0,
    });
    expect(r.snapshot.state).toBe('learned');
    expect(r.snapshot.context.outcome).toEqual({ reason: 'noCase' });
    expect(r.effects).toMatchObject([
      { type: 'informCustomer', template: 'thankYou', to: { email: 'cliente@example.es' } },
    ]);
  });

  test('rule alerts become alert effects keyed by rule and channel', () => {
    const r = stepLoop(machine, startLoop(machine, { loopId: 'L1', caseId: 'CS-1', feedback: feedback() }), {
      type: 'DECIDED',
      decision: decision({
        alerts: [
          { ruleId: 'red-flag', channel: 'slack', template: 'red', recipients: ['#care'], params: {} },
        ],
      }),
      at: T0,
    });
    expect(r.effects[0]).toMatchObject({
      type: 'alert',
      key: 'L1:v1:alert:red-flag:slack',
      summary: { nps: 3 },
    });
  });
});

describe('case statuses (seed 001)', () => {
  test('new → open → escalated → open → resolved, each change logged with before and after', () => {
    let s = opened();
    s = send(s, update({ status: 'open' }));
    expect(s.state).toBe('acting.open');
    s = send(s, update({ status: 'escalated', segment: 'emea' }));
    expect(s.state).toBe('escalated');
    s = send(s, update({ status: 'open' }));
    expect(s.state).toBe('acting.open');
    s = send(s, { type: 'RESOLVE', actor: 'bob', at: at(30), rootCause: 'carrier delay' });
    expect(s.state).toBe('resolved');
    const log = s.context
      .case!.audit.filter((a) => a.field === 'status')
      .map((a) => `${a.before}→${a.after}`);
    expect(log).toEqual(['new→open', 'open→escalated', 'escalated→open', 'open→resolved']);
  });

  test('leaving new records the first response and clears its timer', () => {
    const s = send(opened(), update({ status: 'open' }, 12));
    expect(s.context.case!.sla.firstRespondedAt).toBe(at(12));
    expect(s.context.timers.firstResponse).toBeUndefined();
    expect(s.context.timers.resolution).toBeDefined();
  });

  test('resolving clears the resolution timer; reopening re-arms it', () => {
    let s = send(opened(), { type: 'RESOLVE', actor: 'ana', at: at(10), rootCause: 'x' });
    expect(s.context.timers).toEqual({});
    s = send(s, update({ status: 'open' }, 20));
    expect(s.state).toBe('acting.open');
    expect(s.context.timers.resolution).toBe(at(20 + 24 * 60));
  });

  test.each([
    ['new', 'new'],
    ['open', 'new'],
    ['resolved', 'new'],
    ['resolved', 'escalated'],
  ])('a %s case cannot be set to %s', (from, to) => {
    let s = opened();
    if (from === 'open') s = send(s, update({ status: 'open' }));
    if (from === 'resolved') s = send(s, { type: 'RESOLVE', actor: 'ana', at: at(1), rootCause: 'x' });
    expect(() => send(s, update({ status: to }))).toThrow(/refused the update/);
  });

  test('resolving needs a root cause', () => {
    expect(() => send(opened(), update({ status: 'resolved' }))).toThrow(/root cause/);
    expect(send(opened(), update({ status: 'resolved', rootCause: 'pricing' })).state).toBe('resolved');
  });

  test('an update that changes nothing is refused', () => {
    expect(() => send(opened(), update({ priority: 'medium' }))).toThrow(/changes nothing/);
  });

  test('priority changes are logged and notified to owner and managers', () => {
    const r = stepLoopOrThrow(machine, env, opened(), update({ priority: 'critical' }));
    expect(r.snapshot.context.case!.priority).toBe('critical');
    expect(r.effects[0]).toMatchObject({
      type: 'notify',
      reason: 'caseUpdated',
      to: [{ id: 'ana' }],
      cc: [{ id: 'bob' }],
      changes: [{ field: 'priority', before: 'medium', after: 'critical' }],
    });
  });
});

describe('segment moves (seed 001)', () => {
  test('new/open/resolved cases move to a sibling or a lower segment', () => {
    const base = opened(
      { case: { segment: 'italy', priority: 'low' } },
      feedback({ customer: { anonymous: false, email: 'a@b.it', segment: 'italy' } }),
    );
    expect(send(base, update({ segment: 'spain' })).context.case!.segment).toBe('spain');
    expect(send(base, update({ segment: 'milan' })).context.case!.segment).toBe('milan');
    expect(() => send(base, update({ segment: 'emea' }))).toThrow(/sibling of "italy" or a segment below it/);
    expect(() => send(base, update({ segment: 'americas' }))).toThrow(/Allowed: spain, milan/);
  });

  test('escalated cases move only to the direct parent or above', () => {
    const esc = send(opened(), update({ status: 'escalated' }));
    expect(send(esc, update({ segment: 'emea' })).context.case!.segment).toBe('emea');
    expect(send(esc, update({ segment: 'global' })).context.case!.segment).toBe('global');
    expect(() => send(esc, update({ segment: 'italy' }))).toThrow(/direct parent of "spain" or above/);
  });

  test('moving to a segment the owner does not manage hands the case to its first manager', () => {
    const s = send(opened(), update({ segment: 'italy' }));
    expect(s.context.case!.owner).toBe('carla');
    expect(s.context.case!.audit.map((a) => a.action)).toEqual(['created', 'segment', 'owner']);
  });

  test('an unknown segment is refused with the segments allowed', () => {
    const refusal = refusalOf(env, 'acting.new', opened().context, update({ segment: 'mars' }));
    expect(refusal).toEqual({ reason: 'segment "mars" does not exist', allowed: ['italy'] });
  });

  test('property: a move is accepted exactly when seed 001 allows it', () => {
    const ids = env.segments.all().map((s) => s.id);
    fc.assert(
      fc.property(fc.constantFrom(...ids), fc.constantFrom(...ids), fc.boolean(), (from, to, escalated) => {
        fc.pre(from !== to);
        const fb = feedback({ customer: { anonymous: false, email: 'x@y.z', segment: from } });
        let s = opened(
          {
            case: { segment: from, priority: 'low' },
            classification: { segment: from, flags: [], topics: [] },
          },
          fb,
        );
        if (escalated) s = stepLoop(machine, s, update({ status: 'escalated' })).snapshot;
        const accepted = stepLoop(machine, s, update({ segment: to })).accepted;
        const ancestors = env.segments.ancestors(from);
        const expected = escalated
          ? ancestors.includes(to)
          : env.segments.siblings(from).includes(to) || env.segments.descendants(from).includes(to);
        expect(accepted).toBe(expected);
        expect(refusalOf(env, s.state, s.context, update({ segment: to })) === undefined).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('reassign and comment', () => {
  test('reassigning changes the owner and notifies the new one', () => {
    const r = stepLoopOrThrow(machine, env, opened(), {
      type: 'REASSIGN',
      actor: 'ana',
      at: at(1),
      owner: 'bob',
    });
    expect(r.snapshot.context.case!.owner).toBe('bob');
    expect(r.effects[0]).toMatchObject({ to: [{ id: 'bob' }], cc: [{ id: 'ana' }] });
  });

  test('reassigning to someone unknown or to the current owner is refused', () => {
    expect(() => send(opened(), { type: 'REASSIGN', actor: 'ana', at: at(1), owner: 'zed' })).toThrow(
      /not in the directory/,
    );
    expect(() => send(opened(), { type: 'REASSIGN', actor: 'ana', at: at(1), owner: 'ana' })).toThrow(
      /already owns/,
    );
  });

  test('comments are kept apart from the log, do not change status, and are sent to the owner', () => {
    const r = stepLoopOrThrow(machine, env, opened(), {
      type: 'COMMENT',
      actor: 'bob',
      at: at(2),
      commentId: 'c1',
      body: 'Llamé',
    });
    expect(r.snapshot.state).toBe('acting.new');
    expect(r.snapshot.context.case!.comments).toEqual([
      { id: 'c1', author: 'bob', body: 'Llamé', at: at(2) },
    ]);
    expect(r.effects[0]).toMatchObject({ type: 'notify', comment: 'Llamé' });
    expect(() =>
      send(opened(), { type: 'COMMENT', actor: 'bob', at: at(2), commentId: 'c2', body: '  ' }),
    ).toThrow(/empty/);
  });
});

describe('SLA breaches and the escalation chain', () => {
  const fire = (timer: 'firstResponse' | 'resolution', minutes: number): LoopEvent => ({
    type: 'TIMER_FIRED',
    timer,
    at: at(minutes),
  });

  test('first breach raises priority, notifies, and re-arms; the second escalates to the parent segment', () => {
    let s = send(opened(), fire('firstResponse', 60));
    expect(s.state).toBe('acting.new');
    expect(s.context.case).toMatchObject({ priority: 'high', sla: { escalationLevel: 1 } });
    expect(s.context.timers.firstResponse).toBe(at(60 + 240));
    s = send(s, fire('firstResponse', 300));
    expect(s.state).toBe('escalated');
    expect(s.context.case).toMatchObject({
      status: 'escalated',
      segment: 'emea',
      owner: 'bob',
      priority: 'critical',
    });
    expect(s.context.case!.sla.breaches.map((b) => b.kind)).toEqual(['firstResponse', 'firstResponse']);
  });

  test('breach notifications go to the chain step’s recipients', () => {
    const r = stepLoopOrThrow(
      machine,
      env,
      opened({ escalation: [{ raisePriority: false, escalate: false, notify: ['person:eve'] }] }),
      fire('resolution', 1440),
    );
    expect(r.effects[0]).toMatchObject({ type: 'notify', reason: 'slaBreached', to: [{ id: 'eve' }] });
    expect(r.snapshot.context.case!.priority).toBe('medium');
  });

  test('when the chain is exhausted a breach is still logged and notified', () => {
    let s = opened({ escalation: [] });
    s = send(s, fire('resolution', 1440));
    expect(s.context.case!.sla.breaches).toHaveLength(1);
    expect(s.context.case!.audit.at(-1)).toMatchObject({
      action: 'slaBreached',
      note: 'escalation chain exhausted',
    });
  });

  test('a stale timer (first response after the case was opened) is dropped without effects', () => {
    const s = send(opened(), update({ status: 'open' }));
    const r = stepLoop(machine, s, fire('firstResponse', 60));
    expect(r.accepted).toBe(true);
    expect(r.effects).toEqual([]);
    expect(r.snapshot.context.case).toEqual(s.context.case);
  });

  test('business hours: an SLA counts only opening hours', () => {
    const open: [string, string] = ['09:00', '17:00'];
    const calendar = { timeZone: 'Europe/Madrid', hours: { mon: open, tue: open }, holidays: [] };
    // Monday 2 Nov 2026 16:00 Madrid (15:00Z) + 2 business hours = Tuesday 10:00 Madrid (09:00Z).
    const s = startLoop(machine, { loopId: 'L1', caseId: 'CS-1', feedback: feedback() });
    const d = decision({ sla: { firstResponseMinutes: 120, calendar } });
    const r = stepLoop(machine, s, { type: 'DECIDED', decision: d, at: '2026-11-02T15:00:00.000Z' });
    expect(r.snapshot.context.timers.firstResponse).toBe('2026-11-03T09:00:00.000Z');
  });
});

describe('inform the customer and re-survey (R18, R20)', () => {
  const resolved = () =>
    send(opened({ resurvey: { afterDays: 30 } }), {
      type: 'RESOLVE',
      actor: 'ana',
      at: at(5),
      rootCause: 'carrier',
    });

  test('inform sends the customer a message with the gesture, then waits for delivery', () => {
    const r = stepLoopOrThrow(machine, env, resolved(), {
      type: 'INFORM_CUSTOMER',
      actor: 'ana',
      at: at(6),
      message: 'Lo sentimos',
      gesture: { description: 'cupón', code: 'X1' },
    });
    expect(r.snapshot.state).toBe('informing');
    expect(r.effects).toMatchObject([
      {
        type: 'informCustomer',
        template: 'caseResolved',
        language: 'es',
        gesture: { code: 'X1' },
        vars: { message: 'Lo sentimos', rootCause: 'carrier' },
      },
    ]);
  });

  test('once informed the loop waits for the re-survey, sends it, and learns from the answer', () => {
    let s = send(resolved(), { type: 'INFORM_CUSTOMER', actor: 'ana', at: at(6) });
    s = send(s, { type: 'CUSTOMER_INFORMED', at: at(7) });
    expect(s.state).toBe('awaitingResurvey');
    expect(s.context.timers).toEqual({
      resurvey: new Date(Date.parse(at(7)) + 30 * 86_400_000).toISOString(),
    });
    const r = stepLoopOrThrow(machine, env, s, {
      type: 'TIMER_FIRED',
      timer: 'resurvey',
      at: s.context.timers.resurvey!,
    });
    expect(r.effects).toMatchObject([{ type: 'sendResurvey', originalNps: 3 }]);
    s = send(r.snapshot, { type: 'RESURVEY_ANSWERED', at: at(9000), feedbackId: 'fb_2', nps: 9 });
    expect(s.state).toBe('learned');
    expect(s.context.outcome).toMatchObject({ reason: 'closed', resurvey: { nps: 9 } });
  });

  test('a customer still unhappy at the re-survey reopens the case for its owner, surveyed only once', () => {
    let s = send(resolved(), { type: 'INFORM_CUSTOMER', actor: 'ana', at: at(6) });
    s = send(s, { type: 'CUSTOMER_INFORMED', at: at(7) });
    s = send(s, { type: 'TIMER_FIRED', timer: 'resurvey', at: at(8) });
    const r = stepLoopOrThrow(machine, env, s, {
      type: 'RESURVEY_ANSWERED',
      at: at(100),
      feedbackId: 'fb_2',
      nps: 4,
    });
    expect(r.snapshot.state).toBe('acting.open');
    expect(r.snapshot.context.case).toMatchObject({
      status: 'open',
      owner: 'ana',
      customerInformedAt: undefined,
    });
    expect(r.snapshot.context.timers).toEqual({ resolution: at(100 + 24 * 60) });
    expect(r.snapshot.context.case!.audit.slice(-2).map((a) => a.action)).toEqual(['resurveyed', 'status']);
    expect(r.effects[0]).toMatchObject({
      type: 'notify',
      to: [{ id: 'ana' }],
      changes: [
        { field: 'resurvey', after: 4 },
        { field: 'status', before: 'resolved', after: 'open' },
      ],
    });
    // Fixed again and told again: this time the loop ends without another survey.
    let t = send(r.snapshot, { type: 'RESOLVE', actor: 'ana', at: at(200), rootCause: 'carrier' });
    t = send(send(t, { type: 'INFORM_CUSTOMER', actor: 'ana', at: at(201) }), {
      type: 'CUSTOMER_INFORMED',
      at: at(202),
    });
    expect(t.state).toBe('learned');
    expect(t.context.resurveys).toEqual([{ nps: 4, csat: undefined, feedbackId: 'fb_2', at: at(100) }]);
  });

  test('an unanswered re-survey expires into learned', () => {
    let s = send(send(resolved(), { type: 'INFORM_CUSTOMER', actor: 'ana', at: at(6) }), {
      type: 'CUSTOMER_INFORMED',
      at: at(7),
    });
    s = send(s, { type: 'TIMER_FIRED', timer: 'resurvey', at: at(8) });
    s = send(s, { type: 'TIMER_FIRED', timer: 'resurveyExpiry', at: at(9) });
    expect(s.state).toBe('learned');
    expect(s.context.outcome).toEqual({ reason: 'resurveyExpired' });
  });

  test('without a re-survey policy the loop is learned once the customer is informed', () => {
    let s = send(opened(), { type: 'RESOLVE', actor: 'ana', at: at(5), rootCause: 'x' });
    s = send(send(s, { type: 'INFORM_CUSTOMER', actor: 'ana', at: at(6) }), {
      type: 'CUSTOMER_INFORMED',
      at: at(7),
    });
    expect(s.state).toBe('learned');
    expect(() => send(s, { type: 'COMMENT', actor: 'ana', at: at(8), commentId: 'c', body: 'late' })).toThrow(
      /the case is closed/,
    );
  });
});

describe('a later part of the same answer (FEEDBACK_UPDATED)', () => {
  const later = (
    over: Parameters<typeof feedback>[0],
    d: Parameters<typeof decision>[0] = {},
  ): LoopEvent => ({
    type: 'FEEDBACK_UPDATED',
    at: at(3),
    feedback: feedback(over),
    decision: decision(d),
  });

  test('updates the case’s answer and tells the owner, without a second case', () => {
    const first = opened({}, feedback({ comment: undefined }));
    const r = stepLoopOrThrow(
      machine,
      env,
      first,
      later({ comment: 'Nadie me llamó' }, { case: { segment: 'spain', priority: 'high' } }),
    );
    expect(r.snapshot.state).toBe('acting.new');
    expect(r.snapshot.context.case).toMatchObject({
      id: 'CS-1',
      feedbackComment: 'Nadie me llamó',
      priority: 'high',
      version: 2,
    });
    expect(r.snapshot.context.case!.audit.slice(1).map((a) => `${a.action}:${a.field}`)).toEqual([
      'feedbackUpdated:feedbackComment',
      'priority:priority',
    ]);
    expect(r.effects.map((e) => e.type)).toEqual(['notify', 'syncCase']);
  });

  test('never lowers the priority the case already has', () => {
    const s = send(opened(), update({ priority: 'critical' }));
    const r = stepLoopOrThrow(
      machine,
      env,
      s,
      later({ comment: 'más' }, { case: { segment: 'spain', priority: 'low' } }),
    );
    expect(r.snapshot.context.case!.priority).toBe('critical');
  });

  test('a loop learned without a case opens one when the rest of the answer calls for it', () => {
    const s0 = startLoop(machine, {
      loopId: 'L1',
      caseId: 'CS-1',
      feedback: feedback({ nps: 7, comment: undefined }),
    });
    const learned = stepLoop(machine, s0, {
      type: 'DECIDED',
      decision: decision({ case: undefined }),
      at: T0,
    }).snapshot;
    expect(learned.state).toBe('learned');
    const r = stepLoopOrThrow(
      machine,
      env,
      learned,
      later({ nps: 7, comment: 'Voy a cancelar' }, { case: { segment: 'spain', priority: 'high' } }),
    );
    expect(r.snapshot.state).toBe('acting.new');
    expect(r.snapshot.context.outcome).toBeUndefined();
    expect(r.snapshot.context.case).toMatchObject({
      id: 'CS-1',
      feedbackComment: 'Voy a cancelar',
      priority: 'high',
    });
  });

  test('alerts and thanks already sent are not sent again', () => {
    const alerts = [{ ruleId: 'red', channel: 'email', template: 't', recipients: ['x@y.z'], params: {} }];
    const s0 = startLoop(machine, { loopId: 'L1', caseId: 'CS-1', feedback: feedback({ nps: 10 }) });
    const d1 = { case: undefined, thankCustomer: { template: 'thankYou' }, alerts };
    const first = stepLoop(machine, s0, { type: 'DECIDED', decision: decision(d1), at: T0 });
    expect(first.effects.map((e) => e.type)).toEqual(['alert', 'informCustomer']);
    const topic = { ruleId: 'topic', channel: 'email', template: 't', recipients: ['x@y.z'], params: {} };
    const r = stepLoopOrThrow(
      machine,
      env,
      first.snapshot,
      later({ nps: 10, comment: 'Genial' }, { ...d1, alerts: [...alerts, topic] }),
    );
    expect(r.effects.map((e) => (e.type === 'alert' ? e.ruleId : e.type))).toEqual(['topic']);
  });

  test('a closed loop with a case refuses it', () => {
    let s = send(opened(), { type: 'RESOLVE', actor: 'ana', at: at(5), rootCause: 'x' });
    s = send(send(s, { type: 'INFORM_CUSTOMER', actor: 'ana', at: at(6) }), {
      type: 'CUSTOMER_INFORMED',
      at: at(7),
    });
    expect(() => send(s, later({ comment: 'otra cosa' }))).toThrow(/the case is closed/);
  });
});

describe('refusals agree with the machine', () => {
  const events: LoopEvent[] = [
    update({ status: 'open' }),
    update({ status: 'resolved', rootCause: 'x' }),
    update({ status: 'escalated' }),
    update({ segment: 'emea' }),
    update({ priority: 'low' }),
    { type: 'REASSIGN', actor: 'ana', at: at(1), owner: 'bob' },
    { type: 'COMMENT', actor: 'ana', at: at(1), commentId: 'c', body: 'hi' },
    { type: 'RESOLVE', actor: 'ana', at: at(1), rootCause: 'x' },
    { type: 'INFORM_CUSTOMER', actor: 'ana', at: at(1) },
    { type: 'CUSTOMER_INFORMED', at: at(1) },
    { type: 'RESURVEY_ANSWERED', at: at(1), feedbackId: 'f', nps: 5 },
    { type: 'FEEDBACK_UPDATED', at: at(1), feedback: feedback({ comment: 'más' }), decision: decision() },
    { type: 'TIMER_FIRED', timer: 'resolution', at: at(1) },
  ];

  test('property: for any reachable state, refusalOf is undefined exactly when the machine takes the event', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...events), { maxLength: 8 }),
        fc.constantFrom(...events),
        (path, probe) => {
          let s = opened();
          for (const e of path) s = stepLoop(machine, s, e).snapshot;
          const accepted = stepLoop(machine, s, probe).accepted;
          expect(refusalOf(env, s.state, s.context, probe) === undefined).toBe(accepted);
          expect(STATE_EVENTS[s.state].includes(probe.type) || !accepted).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
