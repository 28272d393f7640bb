import { createLoopMachine, startLoop, stepLoop } from '@closedloop/core';
import { expect, test } from 'vitest';
import { decision, feedback, T0, testEnv } from './fixtures.ts';

test('smoke', () => {
  const env = testEnv();
  const m = createLoopMachine(env);
  const s = startLoop(m, { loopId: 'l1', caseId: 'C1', feedback: feedback() });
  expect(s.state).toBe('captured');
  const r = stepLoop(m, s, { type: 'DECIDED', decision: decision(), at: T0 });
  expect(r.snapshot.state).toBe('acting.new');
  expect(r.effects.map((e) => e.type)).toEqual(['notify', 'syncCase']);
  const r2 = stepLoop(m, r.snapshot, { type: 'TIMER_FIRED', timer: 'firstResponse', at: T0 });
  expect(r2.snapshot.context.case?.priority).toBe('high');
  const r3 = stepLoop(m, r2.snapshot, { type: 'UPDATE', actor: 'ana', at: T0, changes: { status: 'open' } });
  expect(r3.snapshot.state).toBe('acting.open');
  const r4 = stepLoop(m, r3.snapshot, {
    type: 'UPDATE',
    actor: 'ana',
    at: T0,
    changes: { segment: 'global' },
  });
  expect(r4.accepted).toBe(false);
  const r5 = stepLoop(m, r3.snapshot, {
    type: 'UPDATE',
    actor: 'ana',
    at: T0,
    changes: { segment: 'emea', status: 'escalated' },
  });
  expect(r5.snapshot.state).toBe('escalated');
  expect(r5.snapshot.context.case?.owner).toBe('bob');
});
