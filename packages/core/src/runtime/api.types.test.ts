import {
  type Case,
  type ClosedLoop,
  createClosedLoop,
  type Effect,
  type EffectOf,
  memoryStore,
} from '@closedloop/core';
import { expectTypeOf, test } from 'vitest';

test('events are typed by name', () => {
  const loop: ClosedLoop = createClosedLoop({
    store: memoryStore(),
    directory: [],
    segments: [],
    autoStart: false,
  });
  loop.on('case.created', (e) => expectTypeOf(e.case).toEqualTypeOf<Case>());
  loop.on('sla.breached', (e) => expectTypeOf(e.kind).toEqualTypeOf<'firstResponse' | 'resolution'>());
  // @ts-expect-error: not an event closedloop emits
  loop.on('case.deleted', () => {});
  void loop.close();
});

test('effects narrow on their type', () => {
  expectTypeOf<EffectOf<'notify'>['reason']>().toEqualTypeOf<'caseCreated' | 'caseUpdated' | 'slaBreached'>();
  expectTypeOf<Extract<Effect, { type: 'informCustomer' }>['to']['email']>().toEqualTypeOf<string>();
});

test('case updates accept only known statuses and priorities', () => {
  const loop: ClosedLoop = createClosedLoop({
    store: memoryStore(),
    directory: [],
    segments: [],
    autoStart: false,
  });
  // @ts-expect-error: 'closed' is not a case status
  void loop.cases.update('CS-1', { status: 'closed' }, { actor: 'ana' }).catch(() => {});
  // @ts-expect-error: an actor is required for the log
  void loop.cases.update('CS-1', { priority: 'high' }, {}).catch(() => {});
  void loop.close();
});
