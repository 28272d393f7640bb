// The behaviour every store must share (memory, SQLite, PostgreSQL): one suite, run against each.
// A store test file calls `storeConformance(name, makeStore, { reopen })`; `makeStore` returns a
// fresh, empty store (its own file, its own schema), and `reopen`, when given, opens a new store
// over the data of a closed one, to prove that commits survive a restart.
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import type { Case, CaseStatus, Priority } from '../domain/case.ts';
import { CASE_STATUSES, PRIORITIES } from '../domain/case.ts';
import type { Effect } from '../domain/effect.ts';
import type { Feedback } from '../domain/feedback.ts';
import { ClosedLoopError } from '../errors.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { LoopState, TimerName } from '../machine/types.ts';
import { erasureConformance } from './conformance-erasure.ts';
import {
  CASE_SORT_COLUMNS,
  type CaseQuery,
  type Delivery,
  type LoopRecord,
  SLA_STATES,
  type StepWrite,
  type Store,
  type TimerRow,
} from './store.ts';

export interface StoreConformanceOptions {
  /** Given a closed store, opens a new one over the same data (omit for stores that keep nothing). */
  reopen?: (closed: Store) => Promise<Store>;
}

const BASE = Date.parse('2026-03-01T00:00:00.000Z');
/** An ISO time `minutes` after the suite's base time (always the same length, so it sorts as text). */
export const at = (minutes: number): string => new Date(BASE + minutes * 60_000).toISOString();

/** A feedback record for a loop. */
export function feedbackFor(loopId: string, over: Partial<Feedback> = {}): Feedback {
  return {
    id: `fb-${loopId}`,
    source: { tool: 'conformance', responseId: `resp-${loopId}` },
    customer: { anonymous: false, email: `${loopId}@example.com`, name: 'Lucía Ñúñez', segment: 'spain' },
    nps: 3,
    comment: 'El pedido llegó roto 📦 — "quoted" \\ back\\slash',
    answers: [{ question: 'Why?', answer: 'late' }],
    touchpoint: 'delivery',
    language: 'es',
    receivedAt: at(0),
    ...over,
  };
}

/** A valid case for a loop (case id `case-<loopId>`). */
export function caseFor(loopId: string, over: Partial<Case> = {}): Case {
  return {
    id: `case-${loopId}`,
    loopId,
    feedbackId: `fb-${loopId}`,
    customerEmail: `${loopId}@example.com`,
    customerName: 'Lucía',
    segment: 'spain',
    owner: 'ana',
    priority: 'high',
    status: 'new',
    feedbackComment: 'El pedido llegó roto',
    nps: 3,
    language: 'es',
    comments: [{ id: 'c1', author: 'ana', body: 'Calling the customer', at: at(1) }],
    audit: [{ at: at(0), actor: 'system', action: 'created' }],
    sla: { firstResponseDue: at(60), breaches: [], escalationLevel: 0 },
    ruleIds: ['detractor'],
    createdAt: at(0),
    updatedAt: at(0),
    version: 1,
    ...over,
  };
}

/** A loop record at a version (the snapshot is plain JSON; stores must not interpret it). */
export function loopRecord(loopId: string, version: number, state: LoopState = 'acting.new'): LoopRecord {
  const snapshot = {
    state,
    context: {
      loopId,
      caseId: `case-${loopId}`,
      feedback: feedbackFor(loopId),
      timers: { firstResponse: at(60) },
      version,
      pending: [],
      nested: { unicode: 'żółć ✓', nothing: null, list: [1, 2.5, -3, true, 'x'] },
    },
  } as unknown as LoopSnapshot;
  return { loopId, snapshot, version, updatedAt: at(version) };
}

/** An outbox row for a loop; its id starts with the loop id, as the runtime's ids do. */
export function deliveryFor(loopId: string, key: string, over: Partial<Delivery> = {}): Delivery {
  const effect: Effect = {
    key: `${loopId}:${key}`,
    loopId,
    caseId: `case-${loopId}`,
    createdAt: at(0),
    type: 'informCustomer',
    template: 'thanks',
    to: { email: `${loopId}@example.com`, name: 'Lucía' },
    language: 'es',
    vars: { name: 'Lucía' },
  };
  return {
    id: `${effect.key}@email`,
    connector: 'email',
    effect,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: BASE,
    ...over,
  };
}

export function timer(loopId: string, name: TimerName, dueAt: number): TimerRow {
  return { loopId, name, dueAt };
}

/** The first step of a new loop: loop at version 1, feedback, case, no timers, no deliveries. */
export function firstStep(loopId: string, over: Partial<StepWrite> = {}): StepWrite {
  return {
    loop: loopRecord(loopId, 1),
    expectedVersion: undefined,
    feedback: feedbackFor(loopId),
    case: caseFor(loopId),
    timers: [],
    deliveries: [],
    ...over,
  };
}

/** The next step of a loop stored at `from`. */
export function nextStep(loopId: string, from: number, over: Partial<StepWrite> = {}): StepWrite {
  return { loop: loopRecord(loopId, from + 1), expectedVersion: from, timers: [], deliveries: [], ...over };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ClosedLoopError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a ${code} error`).toBeInstanceOf(ClosedLoopError);
  expect((error as ClosedLoopError).code).toBe(code);
  return error as ClosedLoopError;
}

/** JSON equality: what a store hands back equals what it was given, as JSON. */
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The model of listCases, written independently of the stores. */
function modelList(cases: Case[], q: CaseQuery): { ids: string[]; total: number } {
  const list = <T>(v: T | T[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  const rank: Record<Priority, number> = { low: 0, medium: 1, high: 2, critical: 3 };
  const s = q.search?.toLowerCase();
  const now = q.now ? Date.parse(q.now) : Date.now();
  /** Due times (ms) of the clocks still running: none on a resolved case; first response until answered. */
  const running = (c: Case): number[] =>
    c.status === 'resolved'
      ? []
      : [
          ...(c.sla.firstResponseDue && !c.sla.firstRespondedAt ? [Date.parse(c.sla.firstResponseDue)] : []),
          ...(c.sla.resolutionDue ? [Date.parse(c.sla.resolutionDue)] : []),
        ];
  const slaHolds = (c: Case): boolean => {
    if (q.sla === 'dueSoon') return running(c).some((d) => d >= now && d < now + 4 * 3600_000);
    if (q.sla === 'breached') return c.sla.breaches.length > 0 || running(c).some((d) => d < now);
    return true;
  };
  const matching = cases.filter(
    (c) =>
      (list(q.status)?.includes(c.status) ?? true) &&
      (list(q.priority)?.includes(c.priority) ?? true) &&
      (list(q.segment)?.includes(c.segment) ?? true) &&
      (list(q.owner)?.includes(c.owner) ?? true) &&
      (q.from === undefined || Date.parse(c.createdAt) >= Date.parse(q.from)) &&
      (q.to === undefined || Date.parse(c.createdAt) < Date.parse(q.to)) &&
      (!s ||
        c.id.toLowerCase().startsWith(s) ||
        (c.customerEmail ?? '').toLowerCase().includes(s) ||
        (c.customerName ?? '').toLowerCase().includes(s)) &&
      slaHolds(c),
  );
  const key = (c: Case): string | number | undefined => {
    switch (q.sort) {
      case 'priority':
        return rank[c.priority];
      case 'slaDue': {
        const dues = running(c);
        return dues.length ? Math.min(...dues) : undefined;
      }
      case undefined:
        return c.updatedAt;
      default:
        return c[q.sort];
    }
  };
  const sign = q.order === 'asc' ? 1 : -1;
  matching.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if ((ka === undefined) !== (kb === undefined)) return ka === undefined ? 1 : -1; // empty last
    if (ka !== undefined && kb !== undefined && ka !== kb) return (ka < kb ? -1 : 1) * sign;
    return (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * sign;
  });
  const offset = q.offset ?? 0;
  const page = matching.slice(offset, q.limit === undefined ? undefined : offset + q.limit);
  return { ids: page.map((c) => c.id), total: matching.length };
}

/**
 * Declares the store conformance suite for one store.
 *
 * @example
 * storeConformance('sqlite', async () => sqliteStore({ path: join(tmp, `${n++}.sqlite`) }), {
 *   reopen: async (closed) => sqliteStore({ path: pathOf(closed) }),
 * });
 */
export function storeConformance(
  name: string,
  makeStore: () => Promise<Store>,
  options: StoreConformanceOptions = {},
): void {
  describe(`store conformance: ${name}`, () => {
    const open: Store[] = [];
    const fresh = async (): Promise<Store> => {
      const store = await makeStore();
      open.push(store);
      await store.init();
      return store;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    erasureConformance(fresh);

    describe('init and close', () => {
      test('init is idempotent and an empty store has nothing', async () => {
        const store = await fresh();
        await store.init();
        await store.init();
        expect(typeof store.kind).toBe('string');
        expect(await store.getLoop('nope')).toBeUndefined();
        expect(await store.getFeedback('nope')).toBeUndefined();
        expect(await store.getCase('nope')).toBeUndefined();
        expect(await store.listCases()).toEqual({ cases: [], total: 0 });
        expect(await store.countCasesByStatus()).toEqual({ new: 0, open: 0, resolved: 0, escalated: 0 });
        expect(await store.dueTimers(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
        expect(await store.nextTimerDueAt()).toBeUndefined();
        expect(await store.dueDeliveries(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
        expect(await store.nextDeliveryAt()).toBeUndefined();
        expect(await store.listDeliveries()).toEqual([]);
      });

      test('close is idempotent, and a closed store refuses work with CLOSED', async () => {
        const store = await fresh();
        await store.close();
        await store.close();
        await rejectsWith(store.getCase('x'), 'CLOSED');
        await rejectsWith(store.commit(firstStep('l1')), 'CLOSED');
      });
    });

    describe('documents', () => {
      test('put, get, list by kind and prefix, delete; values round-trip as JSON', async () => {
        const store = await fresh();
        const d = store.documents;
        expect(await d.get('token', 'a')).toBeUndefined();
        const first = await d.put('token', 'svc:b', { name: 'Ñandú 📦', scopes: ['read'] }, { now: 5 });
        expect(first).toEqual({
          kind: 'token',
          id: 'svc:b',
          value: { name: 'Ñandú 📦', scopes: ['read'] },
          version: 1,
          updatedAt: 5,
        });
        await d.put('token', 'svc:a', { n: 1 });
        await d.put('token', 'other', { n: 2 });
        await d.put('rules', 'svc:z', { n: 3 });
        expect((await d.list('token')).map((r) => r.id)).toEqual(['other', 'svc:a', 'svc:b']);
        expect((await d.list('token', { prefix: 'svc:' })).map((r) => r.id)).toEqual(['svc:a', 'svc:b']);
        expect((await d.list('token', { prefix: '%' })).map((r) => r.id)).toEqual([]);
        expect((await d.list('token', { limit: 1 })).map((r) => r.id)).toEqual(['other']);
        const second = await d.put('token', 'svc:b', { name: 'x' });
        expect(second.version).toBe(2);
        expect((await d.get('token', 'svc:b'))?.value).toEqual({ name: 'x' });
        expect(await d.delete('token', 'svc:b')).toBe(true);
        expect(await d.delete('token', 'svc:b')).toBe(false);
        expect(await d.get('token', 'svc:b')).toBeUndefined();
      });

      test('compare-and-set: expectedVersion 0 creates once, n updates only version n', async () => {
        const store = await fresh();
        const d = store.documents;
        await d.put('lease', 'report:2026-W10', { by: 'p1' }, { expectedVersion: 0 });
        await rejectsWith(
          d.put('lease', 'report:2026-W10', { by: 'p2' }, { expectedVersion: 0 }),
          'CONFLICT',
        );
        await rejectsWith(
          d.put('lease', 'report:2026-W10', { by: 'p2' }, { expectedVersion: 2 }),
          'CONFLICT',
        );
        const won = await d.put('lease', 'report:2026-W10', { by: 'p2' }, { expectedVersion: 1 });
        expect(won.version).toBe(2);
        expect((await d.get('lease', 'report:2026-W10'))?.value).toEqual({ by: 'p2' });
        const racers = await Promise.allSettled(
          ['a', 'b', 'c'].map((by) => d.put('lease', 'race', { by }, { expectedVersion: 0 })),
        );
        expect(racers.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      });

      test('a bad kind is refused with INVALID_INPUT', async () => {
        const store = await fresh();
        await rejectsWith(store.documents.put('bad kind!', 'x', {}), 'INVALID_INPUT');
        await rejectsWith(store.documents.put('ok', '', {}), 'INVALID_INPUT');
      });
    });

    describe('commit and read back', () => {
      test('a first step round-trips the loop, feedback, case, timers and deliveries as JSON', async () => {
        const store = await fresh();
        const step = firstStep('l1', {
          timers: [timer('l1', 'firstResponse', BASE + 60_000), timer('l1', 'resolution', BASE + 120_000)],
          deliveries: [
            deliveryFor('l1', 'a'),
            deliveryFor('l1', 'b', { connector: 'slack', id: 'l1:b@slack' }),
          ],
        });
        await store.commit(step);
        expect(await store.getLoop('l1')).toEqual(json(step.loop));
        expect(await store.getFeedback('fb-l1')).toEqual(json(step.feedback));
        expect(await store.getCase('case-l1')).toEqual(json(step.case));
        expect(await store.dueTimers(BASE + 1_000_000, 10)).toEqual(step.timers);
        expect(await store.listDeliveries()).toEqual(json(step.deliveries));
        expect(await store.listDeliveries({ loopId: 'l1' })).toEqual(json(step.deliveries));
      });

      test('what a store hands out is a copy: editing it changes nothing stored', async () => {
        const store = await fresh();
        await store.commit(firstStep('l1', { deliveries: [deliveryFor('l1', 'a')] }));
        const c = (await store.getCase('case-l1'))!;
        c.status = 'resolved';
        c.comments.push({ id: 'x', author: 'eve', body: 'edited', at: at(2) });
        const f = (await store.getFeedback('fb-l1'))!;
        f.nps = 10;
        const [d] = await store.listDeliveries();
        d!.status = 'dead';
        expect(await store.getCase('case-l1')).toEqual(caseFor('l1'));
        expect((await store.getFeedback('fb-l1'))!.nps).toBe(3);
        expect((await store.listDeliveries())[0]!.status).toBe('pending');
      });

      test("feedback keeps the intake's warnings (they are part of the stored answer)", async () => {
        const store = await fresh();
        const warnings = [{ field: 'customer.email', message: 'not a valid email address; dropped' }];
        await store.commit(firstStep('l1', { feedback: feedbackFor('l1', { warnings }) }));
        expect((await store.getFeedback('fb-l1'))?.warnings).toEqual(warnings);
      });

      test('a step without feedback or case writes only the loop', async () => {
        const store = await fresh();
        await store.commit(firstStep('l1', { feedback: undefined, case: undefined }));
        expect((await store.getLoop('l1'))?.version).toBe(1);
        expect(await store.getFeedback('fb-l1')).toBeUndefined();
        expect(await store.getCase('case-l1')).toBeUndefined();
        expect((await store.listCases()).total).toBe(0);
      });

      test('the next step replaces the loop and upserts the case', async () => {
        const store = await fresh();
        await store.commit(firstStep('l1'));
        const updated = caseFor('l1', {
          status: 'open',
          priority: 'critical',
          owner: 'bob',
          segment: 'italy',
          customerEmail: 'new@example.com',
          updatedAt: at(5),
          version: 2,
        });
        const step = nextStep('l1', 1, { case: updated });
        step.loop = loopRecord('l1', 2, 'acting.open');
        await store.commit(step);
        expect(await store.getLoop('l1')).toEqual(json(step.loop));
        expect(await store.getCase('case-l1')).toEqual(json(updated));
        const page = await store.listCases({
          status: 'open',
          owner: 'bob',
          segment: 'italy',
          priority: 'critical',
        });
        expect(page.cases.map((c) => c.id)).toEqual(['case-l1']);
        expect((await store.listCases({ search: 'new@' })).total).toBe(1);
        expect((await store.listCases({ status: 'new' })).total).toBe(0);
        expect((await store.listCases()).total).toBe(1);
      });

      test('feedback with the same id is replaced (a later part of the same answer)', async () => {
        const store = await fresh();
        await store.commit(firstStep('l1'));
        const more = feedbackFor('l1', { nps: 9, csat: 4, comment: 'Actually fine', touchpoint: 'support' });
        await store.commit(nextStep('l1', 1, { feedback: more }));
        expect(await store.getFeedback('fb-l1')).toEqual(json(more));
      });

      test('anonymous feedback without email round-trips', async () => {
        const store = await fresh();
        const f = feedbackFor('l1', { customer: { anonymous: true }, nps: undefined, csat: 5 });
        delete f.nps;
        await store.commit(firstStep('l1', { feedback: f, case: undefined }));
        expect(await store.getFeedback('fb-l1')).toEqual(json(f));
      });

      test('any text a customer may send round-trips: NUL, lone surrogates, control characters', async () => {
        const store = await fresh();
        const text = 'nul\u0000 lone\ud800 and \udc00 bell\u0007 rtl\u202e 🧪 "q" \\ \n\t end';
        const f = feedbackFor('l1', { comment: text, answers: [{ question: text, answer: text }] });
        const c = caseFor('l1', { feedbackComment: text, customerName: text });
        const step = firstStep('l1', { feedback: f, case: c, deliveries: [deliveryFor('l1', 'a')] });
        (step.loop.snapshot.context as unknown as Record<string, unknown>).note = text;
        await store.commit(step);
        expect(await store.getFeedback('fb-l1')).toEqual(json(f));
        expect(await store.getCase('case-l1')).toEqual(json(c));
        expect(await store.getLoop('l1')).toEqual(json(step.loop));
        expect((await store.listCases({ search: 'case-l1' })).cases).toEqual([json(c)]);
      });
    });

    describe('listLoops', () => {
      test('lists loops whose feedback was received in [from, to), by loop id, a page at a time', async () => {
        const store = await fresh();
        for (const [id, minute] of [
          ['l3', 10],
          ['l1', 0],
          ['l2', 5],
          ['l4', 20],
        ] as const) {
          const step = firstStep(id);
          const fb = feedbackFor(id, { receivedAt: at(minute) });
          const loop = structuredClone(step.loop);
          (loop.snapshot.context as { feedback: Feedback }).feedback = fb;
          await store.commit({ ...step, loop, feedback: fb });
        }
        const ids = (loops: LoopRecord[]) => loops.map((l) => l.loopId);
        expect(ids(await store.listLoops({ limit: 10 }))).toEqual(['l1', 'l2', 'l3', 'l4']);
        expect(ids(await store.listLoops({ from: at(5), to: at(20), limit: 10 }))).toEqual(['l2', 'l3']);
        expect(ids(await store.listLoops({ limit: 2 }))).toEqual(['l1', 'l2']);
        expect(ids(await store.listLoops({ after: 'l2', limit: 2 }))).toEqual(['l3', 'l4']);
        const [first] = await store.listLoops({ from: at(20), limit: 1 });
        expect(first?.snapshot.context.feedback.id).toBe('fb-l4');
      });
    });

    describe('optimistic concurrency', () => {
      test('a new loop that exists already is a CONFLICT', async () => {
        const store = await fresh();
        await store.commit(firstStep('l1'));
        const error = await rejectsWith(store.commit(firstStep('l1')), 'CONFLICT');
        expect(error.message).toContain('l1');
      });

      test('a stale or future expected version is a CONFLICT; the right one commits', async () => {
        const store = await fresh();
        await store.commit(firstStep('l1'));
        await store.commit(nextStep('l1', 1));
        await rejectsWith(store.commit(nextStep('l1', 1)), 'CONFLICT');
        await rejectsWith(store.commit(nextStep('l1', 7)), 'CONFLICT');
        await rejectsWith(store.commit(nextStep('nope', 1)), 'CONFLICT');
        await store.commit(nextStep('l1', 2));
        expect((await store.getLoop('l1'))?.version).toBe(3);
        expect(await store.getLoop('nope')).toBeUndefined();
      });

      test('a CONFLICT writes nothing of its step: no feedback, case, timers or deliveries', async () => {
        const store = await fresh();
        const first = firstStep('l1', {
          timers: [timer('l1', 'firstResponse', BASE + 10)],
          deliveries: [deliveryFor('l1', 'a')],
        });
        await store.commit(first);
        const loser = nextStep('l1', 5, {
          feedback: feedbackFor('l1', { id: 'fb-other', source: { tool: 't', responseId: 'other' } }),
          case: caseFor('l1', { id: 'case-other', status: 'resolved', updatedAt: at(9) }),
          timers: [timer('l1', 'resolution', BASE + 20)],
          deliveries: [deliveryFor('l1', 'b')],
        });
        await rejectsWith(store.commit(loser), 'CONFLICT');
        expect(await store.getLoop('l1')).toEqual(json(first.loop));
        expect(await store.getFeedback('fb-other')).toBeUndefined();
        expect(await store.getCase('case-other')).toBeUndefined();
        expect(await store.getCase('case-l1')).toEqual(json(first.case));
        expect(await store.dueTimers(Number.MAX_SAFE_INTEGER, 10)).toEqual(first.timers);
        expect((await store.listDeliveries()).map((d) => d.id)).toEqual([first.deliveries[0]!.id]);
        // A conflicting first step of a new loop writes nothing either.
        await rejectsWith(store.commit(firstStep('l2', { expectedVersion: 1 })), 'CONFLICT');
        expect(await store.getLoop('l2')).toBeUndefined();
        expect(await store.getCase('case-l2')).toBeUndefined();
        expect(await store.getFeedback('fb-l2')).toBeUndefined();
      });

      test('concurrent commits from the same version: exactly one wins', async () => {
        const store = await fresh();
        await store.commit(firstStep('l1'));
        const results = await Promise.allSettled(
          [1, 2, 3, 4].map((i) =>
            store.commit(nextStep('l1', 1, { case: caseFor('l1', { owner: `owner${i}`, version: 2 }) })),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(3);
        for (const r of lost) expect((r.reason as ClosedLoopError).code).toBe('CONFLICT');
        const winner = results.findIndex((r) => r.status === 'fulfilled') + 1;
        expect((await store.getCase('case-l1'))?.owner).toBe(`owner${winner}`);
        expect((await store.getLoop('l1'))?.version).toBe(2);
      });

      test('concurrent commits to different loops all succeed', async () => {
        const store = await fresh();
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.commit(firstStep(`l${i}`))));
        expect((await store.listCases()).total).toBe(20);
      });
    });

    describe('timers', () => {
      test("a step replaces the loop's whole set of timers, leaving other loops' alone", async () => {
        const store = await fresh();
        await store.commit(
          firstStep('l1', {
            timers: [timer('l1', 'firstResponse', BASE + 10), timer('l1', 'resolution', BASE + 20)],
          }),
        );
        await store.commit(firstStep('l2', { timers: [timer('l2', 'firstResponse', BASE + 15)] }));
        await store.commit(nextStep('l1', 1, { timers: [timer('l1', 'resurvey', BASE + 30)] }));
        expect(await store.dueTimers(BASE + 100, 10)).toEqual([
          timer('l2', 'firstResponse', BASE + 15),
          timer('l1', 'resurvey', BASE + 30),
        ]);
        await store.commit(nextStep('l1', 2, { timers: [] }));
        expect(await store.dueTimers(BASE + 100, 10)).toEqual([timer('l2', 'firstResponse', BASE + 15)]);
        expect(await store.nextTimerDueAt()).toBe(BASE + 15);
      });

      test('dueTimers: due at or before now, earliest first, at most limit; nextTimerDueAt is the earliest', async () => {
        const store = await fresh();
        await store.commit(firstStep('a', { timers: [timer('a', 'resolution', BASE + 300)] }));
        await store.commit(
          firstStep('b', {
            timers: [timer('b', 'firstResponse', BASE + 100), timer('b', 'resolution', BASE + 500)],
          }),
        );
        await store.commit(firstStep('c', { timers: [timer('c', 'resurvey', BASE + 200)] }));
        expect(await store.nextTimerDueAt()).toBe(BASE + 100);
        expect(await store.dueTimers(BASE + 99, 10)).toEqual([]);
        expect(await store.dueTimers(BASE + 100, 10)).toEqual([timer('b', 'firstResponse', BASE + 100)]);
        expect(await store.dueTimers(BASE + 300, 10)).toEqual([
          timer('b', 'firstResponse', BASE + 100),
          timer('c', 'resurvey', BASE + 200),
          timer('a', 'resolution', BASE + 300),
        ]);
        expect(await store.dueTimers(BASE + 1000, 2)).toEqual([
          timer('b', 'firstResponse', BASE + 100),
          timer('c', 'resurvey', BASE + 200),
        ]);
        expect(await store.dueTimers(BASE + 1000, 10)).toHaveLength(4);
      });

      test('timers keep epoch milliseconds beyond 32 bits exactly', async () => {
        const store = await fresh();
        const far = Date.parse('2199-12-31T23:59:59.999Z');
        await store.commit(firstStep('l1', { timers: [timer('l1', 'resurveyExpiry', far)] }));
        expect(await store.nextTimerDueAt()).toBe(far);
        expect(await store.dueTimers(far, 1)).toEqual([timer('l1', 'resurveyExpiry', far)]);
      });
    });

    describe('outbox', () => {
      test('a delivery whose id exists already is ignored, even with other content', async () => {
        const store = await fresh();
        const d = deliveryFor('l1', 'a');
        await store.commit(firstStep('l1', { deliveries: [d] }));
        await store.updateDelivery({ id: d.id, status: 'delivered', attempts: 1 });
        await store.commit(
          nextStep('l1', 1, {
            deliveries: [{ ...d, connector: 'other', attempts: 0 }, deliveryFor('l1', 'b')],
          }),
        );
        const all = await store.listDeliveries();
        expect(all.map((x) => [x.id, x.status, x.connector])).toEqual([
          [d.id, 'delivered', 'email'],
          [deliveryFor('l1', 'b').id, 'pending', 'email'],
        ]);
      });

      test('a duplicate id inside one step is written once', async () => {
        const store = await fresh();
        const d = deliveryFor('l1', 'a');
        await store.commit(firstStep('l1', { deliveries: [d, { ...d, connector: 'slack' }] }));
        expect(await store.listDeliveries()).toEqual([json(d)]);
      });

      test('dueDeliveries: pending and due, oldest first, at most limit; nextDeliveryAt ignores non-pending', async () => {
        const store = await fresh();
        await store.commit(
          firstStep('l1', {
            deliveries: [
              deliveryFor('l1', 'late', { nextAttemptAt: BASE + 300 }),
              deliveryFor('l1', 'early', { nextAttemptAt: BASE + 100 }),
              deliveryFor('l1', 'mid', { nextAttemptAt: BASE + 200 }),
            ],
          }),
        );
        await store.commit(
          firstStep('l2', { deliveries: [deliveryFor('l2', 'x', { nextAttemptAt: BASE + 50 })] }),
        );
        const ids = (ds: Delivery[]) => ds.map((d) => d.id);
        expect(await store.nextDeliveryAt()).toBe(BASE + 50);
        expect(await store.dueDeliveries(BASE + 49, 10)).toEqual([]);
        expect(ids(await store.dueDeliveries(BASE + 200, 10))).toEqual([
          'l2:x@email',
          'l1:early@email',
          'l1:mid@email',
        ]);
        expect(ids(await store.dueDeliveries(BASE + 1000, 2))).toEqual(['l2:x@email', 'l1:early@email']);
        await store.updateDelivery({ id: 'l2:x@email', status: 'delivered', attempts: 1 });
        await store.updateDelivery({
          id: 'l1:early@email',
          status: 'dead',
          attempts: 5,
          lastError: 'HTTP 410',
        });
        expect(await store.nextDeliveryAt()).toBe(BASE + 200);
        expect(ids(await store.dueDeliveries(BASE + 1000, 10))).toEqual(['l1:mid@email', 'l1:late@email']);
        await store.updateDelivery({ id: 'l1:mid@email', status: 'delivered', attempts: 1 });
        await store.updateDelivery({ id: 'l1:late@email', status: 'delivered', attempts: 2 });
        expect(await store.nextDeliveryAt()).toBeUndefined();
        expect(await store.dueDeliveries(BASE + 1000, 10)).toEqual([]);
      });

      test('deliveries due at the same time come in the order they were queued', async () => {
        const store = await fresh();
        const keys = ['z', 'a', 'm', 'b', 'y'];
        await store.commit(firstStep('l1', { deliveries: keys.map((k) => deliveryFor('l1', k)) }));
        await store.commit(nextStep('l1', 1, { deliveries: [deliveryFor('l1', 'c')] }));
        const expected = [...keys, 'c'].map((k) => `l1:${k}@email`);
        expect((await store.dueDeliveries(BASE, 10)).map((d) => d.id)).toEqual(expected);
        expect((await store.listDeliveries()).map((d) => d.id)).toEqual(expected);
      });

      test('updateDelivery: a retry moves the attempt time and keeps the error; dead keeps its error', async () => {
        const store = await fresh();
        const d = deliveryFor('l1', 'a');
        await store.commit(firstStep('l1', { deliveries: [d] }));
        await store.updateDelivery({
          id: d.id,
          status: 'pending',
          attempts: 1,
          nextAttemptAt: BASE + 5_000,
          lastError: 'HTTP 503: try later',
        });
        expect(await store.listDeliveries()).toEqual([
          json({ ...d, attempts: 1, nextAttemptAt: BASE + 5_000, lastError: 'HTTP 503: try later' }),
        ]);
        expect(await store.dueDeliveries(BASE + 4_999, 10)).toEqual([]);
        expect(await store.nextDeliveryAt()).toBe(BASE + 5_000);
        await store.updateDelivery({ id: d.id, status: 'dead', attempts: 2, lastError: 'HTTP 400' });
        const [dead] = await store.listDeliveries({ status: 'dead' });
        expect(dead).toMatchObject({ id: d.id, status: 'dead', attempts: 2, lastError: 'HTTP 400' });
        expect(dead!.effect).toEqual(json(d.effect));
      });

      test('updateDelivery of an unknown id is a STORE error', async () => {
        const store = await fresh();
        await rejectsWith(store.updateDelivery({ id: 'nope', status: 'delivered', attempts: 1 }), 'STORE');
      });

      test('listDeliveries filters by loop and by status, in queue order', async () => {
        const store = await fresh();
        await store.commit(firstStep('l1', { deliveries: [deliveryFor('l1', 'a'), deliveryFor('l1', 'b')] }));
        await store.commit(firstStep('l10', { deliveries: [deliveryFor('l10', 'a')] }));
        await store.commit(firstStep('l2', { deliveries: [deliveryFor('l2', 'a')] }));
        await store.updateDelivery({ id: 'l1:b@email', status: 'delivered', attempts: 1 });
        const ids = (ds: Delivery[]) => ds.map((d) => d.id);
        expect(ids(await store.listDeliveries({ loopId: 'l1' }))).toEqual(['l1:a@email', 'l1:b@email']);
        expect(ids(await store.listDeliveries({ loopId: 'l10' }))).toEqual(['l10:a@email']);
        expect(ids(await store.listDeliveries({ loopId: 'nope' }))).toEqual([]);
        expect(ids(await store.listDeliveries({ status: 'pending' }))).toEqual([
          'l1:a@email',
          'l10:a@email',
          'l2:a@email',
        ]);
        expect(ids(await store.listDeliveries({ loopId: 'l1', status: 'delivered' }))).toEqual([
          'l1:b@email',
        ]);
        expect(ids(await store.listDeliveries({ status: 'dead' }))).toEqual([]);
      });
    });

    describe('claims and leases (several processes share work, never twice)', () => {
      const lease = (owner: string, now: number, ms = 60_000) => ({ owner, now, until: now + ms });
      const W = 1_000_000; // the lease timeline (wall clock), apart from the runtime's clock
      const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

      test('a claimed delivery is not claimed again until its lease ends; then another owner takes it', async () => {
        const store = await fresh();
        const keys = ['a', 'b', 'c'];
        await store.commit(firstStep('l1', { deliveries: keys.map((k) => deliveryFor('l1', k)) }));
        expect(ids(await store.claimDeliveries(BASE, 2, lease('p1', W)))).toEqual([
          'l1:a@email',
          'l1:b@email',
        ]);
        // Another process, at the same moment: only what p1 did not take.
        expect(ids(await store.claimDeliveries(BASE, 10, lease('p2', W)))).toEqual(['l1:c@email']);
        expect(await store.claimDeliveries(BASE, 10, lease('p3', W + 59_999))).toEqual([]);
        // Not due yet on the runtime's clock: not claimable, whatever the lease.
        await store.commit(
          nextStep('l1', 1, { deliveries: [deliveryFor('l1', 'later', { nextAttemptAt: BASE + 5 })] }),
        );
        expect(await store.claimDeliveries(BASE + 4, 10, lease('p3', W + 59_999))).toEqual([]);
        // p1 died: its lease ends and p3 takes its rows (at least once across a crash); p2's too.
        expect(ids(await store.claimDeliveries(BASE + 5, 10, lease('p3', W + 60_000)))).toEqual([
          'l1:a@email',
          'l1:b@email',
          'l1:c@email',
          'l1:later@email',
        ]);
        // dueDeliveries still lists what is pending (claimed or not), for tools.
        expect(await store.dueDeliveries(BASE + 5, 10)).toHaveLength(4);
      });

      test('recording the outcome releases the claim: a retry is claimable when due, a delivered row never', async () => {
        const store = await fresh();
        await store.commit(firstStep('l1', { deliveries: [deliveryFor('l1', 'a'), deliveryFor('l1', 'b')] }));
        expect(await store.claimDeliveries(BASE, 10, lease('p1', W))).toHaveLength(2);
        await store.updateDelivery({ id: 'l1:a@email', status: 'delivered', attempts: 1 });
        await store.updateDelivery({
          id: 'l1:b@email',
          status: 'pending',
          attempts: 1,
          nextAttemptAt: BASE + 1_000,
          lastError: 'HTTP 503',
        });
        // Well within p1's lease, yet b is free again once due: the outcome released it.
        expect(await store.claimDeliveries(BASE + 999, 10, lease('p2', W + 1))).toEqual([]);
        const [b] = await store.claimDeliveries(BASE + 1_000, 10, lease('p2', W + 1));
        expect(b).toMatchObject({ id: 'l1:b@email', attempts: 1, lastError: 'HTTP 503' });
        expect(await store.claimDeliveries(BASE + 1_000_000, 10, lease('p3', W + 10_000_000))).toHaveLength(
          1,
        );
      });

      test("releaseClaims frees an owner's deliveries and timers at once (graceful shutdown), not others'", async () => {
        const store = await fresh();
        await store.commit(
          firstStep('l1', {
            deliveries: [deliveryFor('l1', 'a')],
            timers: [timer('l1', 'resolution', BASE)],
          }),
        );
        await store.commit(
          firstStep('l2', {
            deliveries: [deliveryFor('l2', 'a')],
            timers: [timer('l2', 'resolution', BASE)],
          }),
        );
        expect(await store.claimDeliveries(BASE, 1, lease('p1', W))).toHaveLength(1);
        expect(await store.claimTimers(BASE, 1, lease('p1', W))).toHaveLength(1);
        expect(await store.claimDeliveries(BASE, 1, lease('p2', W))).toHaveLength(1);
        expect(await store.claimTimers(BASE, 1, lease('p2', W))).toHaveLength(1);
        await store.releaseClaims('p1');
        expect(ids(await store.claimDeliveries(BASE, 10, lease('p3', W + 1)))).toEqual(['l1:a@email']);
        expect(await store.claimTimers(BASE, 10, lease('p3', W + 1))).toEqual([
          timer('l1', 'resolution', BASE),
        ]);
      });

      test('timers: claimed once until the lease ends; the step that fires one replaces it and its claim', async () => {
        const store = await fresh();
        await store.commit(
          firstStep('l1', {
            timers: [timer('l1', 'firstResponse', BASE), timer('l1', 'resolution', BASE + 10)],
          }),
        );
        await store.commit(firstStep('l2', { timers: [timer('l2', 'firstResponse', BASE + 5)] }));
        expect(await store.claimTimers(BASE + 10, 2, lease('p1', W))).toEqual([
          timer('l1', 'firstResponse', BASE),
          timer('l2', 'firstResponse', BASE + 5),
        ]);
        expect(await store.claimTimers(BASE + 10, 10, lease('p2', W))).toEqual([
          timer('l1', 'resolution', BASE + 10),
        ]);
        expect(await store.claimTimers(BASE + 10, 10, lease('p3', W + 1))).toEqual([]);
        // p1 fires l1's firstResponse: the step drops it and keeps resolution (still p2's claim).
        await store.commit(nextStep('l1', 1, { timers: [timer('l1', 'resolution', BASE + 10)] }));
        expect(await store.claimTimers(BASE + 10, 10, lease('p3', W + 1))).toEqual([]);
        // A step that moves a timer makes a new one: free, though p2's lease still runs.
        await store.commit(nextStep('l1', 2, { timers: [timer('l1', 'resolution', BASE + 20)] }));
        expect(await store.claimTimers(BASE + 20, 10, lease('p3', W + 1))).toEqual([
          timer('l1', 'resolution', BASE + 20),
        ]);
        // p1's lease on l2 ends: another takes it.
        expect(await store.claimTimers(BASE + 20, 10, lease('p4', W + 60_000))).toEqual([
          timer('l2', 'firstResponse', BASE + 5),
        ]);
        // dueTimers still lists every due timer, claimed or not.
        expect(await store.dueTimers(BASE + 20, 10)).toHaveLength(2);
      });

      test('many claims at once never hand one row to two owners', async () => {
        const store = await fresh();
        const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
        await store.commit(firstStep('l1', { deliveries: keys.map((k) => deliveryFor('l1', k)) }));
        const claims = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.claimDeliveries(BASE, 7, lease(`p${i}`, W))),
        );
        const all = claims.flatMap(ids);
        expect(new Set(all).size).toBe(all.length);
        expect(all.sort()).toEqual(keys.map((k) => `l1:${k}@email`));
      });
    });

    describe('listCases and countCasesByStatus', () => {
      // Six cases with distinct dates, two segments, three owners, every status.
      const seed: Case[] = [
        caseFor('a', {
          status: 'new',
          priority: 'low',
          segment: 'spain',
          owner: 'ana',
          createdAt: at(1),
          updatedAt: at(16),
          customerEmail: 'Alice@Example.com',
        }),
        caseFor('b', {
          status: 'open',
          priority: 'critical',
          segment: 'spain',
          owner: 'bob',
          createdAt: at(2),
          updatedAt: at(12),
          customerEmail: 'bob@corp.io',
        }),
        caseFor('c', {
          status: 'escalated',
          priority: 'high',
          segment: 'italy',
          owner: 'ana',
          createdAt: at(3),
          updatedAt: at(14),
          customerEmail: 'carla@example.it',
        }),
        caseFor('d', {
          status: 'resolved',
          priority: 'medium',
          segment: 'italy',
          owner: 'carl',
          createdAt: at(4),
          updatedAt: at(11),
          customerEmail: 'dan@corp.io',
        }),
        caseFor('e', {
          status: 'open',
          priority: 'high',
          segment: 'spain',
          owner: 'carl',
          createdAt: at(5),
          updatedAt: at(15),
          customerEmail: 'eve@example.com',
        }),
        caseFor('f', {
          status: 'new',
          priority: 'critical',
          segment: 'italy',
          owner: 'bob',
          createdAt: at(6),
          updatedAt: at(13),
          customerEmail: 'frank_100%@example.com',
        }),
      ];
      const seeded = async () => {
        const store = await fresh();
        for (const c of seed) await store.commit(firstStep(c.loopId, { case: c }));
        return store;
      };
      const ids = (p: { cases: Case[] }) => p.cases.map((c) => c.id);

      test('default order is updatedAt descending; cases round-trip as JSON', async () => {
        const store = await seeded();
        const page = await store.listCases();
        expect(ids(page)).toEqual(['case-a', 'case-e', 'case-c', 'case-f', 'case-b', 'case-d']);
        expect(page.total).toBe(6);
        expect(page.cases[0]).toEqual(json(seed[0]));
      });

      test('sort by createdAt, updatedAt and priority rank, ascending and descending', async () => {
        const store = await seeded();
        expect(ids(await store.listCases({ sort: 'createdAt', order: 'asc' }))).toEqual(
          ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `case-${x}`),
        );
        expect(ids(await store.listCases({ sort: 'createdAt' }))).toEqual(
          ['f', 'e', 'd', 'c', 'b', 'a'].map((x) => `case-${x}`),
        );
        expect(ids(await store.listCases({ sort: 'updatedAt', order: 'asc' }))).toEqual(
          ['d', 'b', 'f', 'c', 'e', 'a'].map((x) => `case-${x}`),
        );
        // By rank (not alphabetically), ties broken by case id in the same direction.
        expect(ids(await store.listCases({ sort: 'priority', order: 'desc' }))).toEqual(
          ['f', 'b', 'e', 'c', 'd', 'a'].map((x) => `case-${x}`),
        );
        expect(ids(await store.listCases({ sort: 'priority', order: 'asc' }))).toEqual(
          ['a', 'd', 'c', 'e', 'b', 'f'].map((x) => `case-${x}`),
        );
      });

      test('ties on the sort key are broken by case id, so pages are stable', async () => {
        const store = await fresh();
        for (const id of ['m', 'c', 'x', 'a']) {
          await store.commit(firstStep(id, { case: caseFor(id, { updatedAt: at(1), createdAt: at(1) }) }));
        }
        expect(ids(await store.listCases({ order: 'asc' }))).toEqual([
          'case-a',
          'case-c',
          'case-m',
          'case-x',
        ]);
        expect(ids(await store.listCases())).toEqual(['case-x', 'case-m', 'case-c', 'case-a']);
        expect(ids(await store.listCases({ limit: 2, offset: 2 }))).toEqual(['case-c', 'case-a']);
      });

      test('filters: one value or a list, combined with AND; an empty list matches nothing', async () => {
        const store = await seeded();
        const q = async (query: CaseQuery) =>
          ids(await store.listCases({ ...query, sort: 'createdAt', order: 'asc' }));
        expect(await q({ status: 'open' })).toEqual(['case-b', 'case-e']);
        expect(await q({ status: ['new', 'resolved'] })).toEqual(['case-a', 'case-d', 'case-f']);
        expect(await q({ priority: 'critical' })).toEqual(['case-b', 'case-f']);
        expect(await q({ priority: ['low', 'medium'] })).toEqual(['case-a', 'case-d']);
        expect(await q({ segment: 'italy' })).toEqual(['case-c', 'case-d', 'case-f']);
        expect(await q({ segment: ['italy', 'spain'] })).toHaveLength(6);
        expect(await q({ owner: 'carl' })).toEqual(['case-d', 'case-e']);
        expect(await q({ owner: ['ana', 'bob'] })).toEqual(['case-a', 'case-b', 'case-c', 'case-f']);
        expect(await q({ segment: 'spain', owner: 'ana' })).toEqual(['case-a']);
        expect(await q({ status: 'open', priority: 'critical', segment: 'spain', owner: 'bob' })).toEqual([
          'case-b',
        ]);
        expect(await q({ status: 'open', segment: 'italy' })).toEqual([]);
        expect(await q({ status: [] })).toEqual([]);
        expect(await q({ owner: 'nobody' })).toEqual([]);
      });

      test('search: an exact case id, or part of the customer email in any case', async () => {
        const store = await seeded();
        const q = async (search: string) =>
          ids(await store.listCases({ search, sort: 'createdAt', order: 'asc' }));
        expect(await q('case-c')).toEqual(['case-c']);
        expect(await q('CASE-')).toHaveLength(6); // a case id matches as a prefix, in any case
        expect(await q('ase-c')).toEqual([]); // … but only from its start
        expect(await q('corp.io')).toEqual(['case-b', 'case-d']);
        expect(await q('ALICE@example')).toEqual(['case-a']);
        expect(await q('EXAMPLE.COM')).toEqual(['case-a', 'case-e', 'case-f']);
        // LIKE wildcards are plain characters in a search.
        expect(await q('_100%')).toEqual(['case-f']);
        expect(await q('%')).toEqual(['case-f']);
        expect(await q('_')).toEqual(['case-f']);
        expect(await q("'; DROP TABLE cases; --")).toEqual([]);
        expect(await q('')).toHaveLength(6);
        expect(
          ids(await store.listCases({ search: 'example', status: 'new', sort: 'createdAt', order: 'asc' })),
        ).toEqual(['case-a', 'case-f']);
        expect((await store.listCases()).total).toBe(6);
      });

      test('search: part of the customer name, in any case', async () => {
        const store = await fresh();
        await store.commit(firstStep('n1', { case: caseFor('n1', { customerName: 'Maria Rossi' }) }));
        await store.commit(firstStep('n2', { case: caseFor('n2', { customerName: 'Jan Kowalski' }) }));
        const { customerName: _, ...nameless } = caseFor('n3');
        await store.commit(firstStep('n3', { case: nameless }));
        expect(ids(await store.listCases({ search: 'ROSS' }))).toEqual(['case-n1']);
        expect(ids(await store.listCases({ search: 'jan k' }))).toEqual(['case-n2']);
        expect(ids(await store.listCases({ search: 'nobody' }))).toEqual([]);
      });

      test('date range: created at or after from, before to', async () => {
        const store = await seeded();
        const q = async (query: CaseQuery) =>
          ids(await store.listCases({ ...query, sort: 'createdAt', order: 'asc' }));
        expect(await q({ from: at(2), to: at(4) })).toEqual(['case-b', 'case-c']);
        expect(await q({ from: at(5) })).toEqual(['case-e', 'case-f']);
        expect(await q({ to: at(2) })).toEqual(['case-a']);
        expect(await q({ from: at(4), to: at(4) })).toEqual([]);
        expect((await store.countCasesByStatus({ from: at(5) })).open).toBe(1);
      });

      test('SLA state: due within 4 hours of now, or breached (recorded or past due); resolved cases run no clock', async () => {
        const store = await fresh();
        const now = at(1000);
        const sla = (over: Partial<Case['sla']>): Case['sla'] => ({
          breaches: [],
          escalationLevel: 0,
          ...over,
        });
        const cases = [
          caseFor('soon', { sla: sla({ firstResponseDue: at(1000 + 60) }) }),
          caseFor('edge', { sla: sla({ resolutionDue: at(1000 + 240) }) }), // exactly 4 h: not "soon"
          caseFor('later', { sla: sla({ resolutionDue: at(1000 + 600) }) }),
          caseFor('late', { sla: sla({ resolutionDue: at(999) }) }),
          caseFor('answered', { sla: sla({ firstResponseDue: at(999), firstRespondedAt: at(10) }) }),
          caseFor('recorded', {
            status: 'resolved',
            sla: sla({ resolutionDue: at(999), breaches: [{ kind: 'resolution', at: at(999) }] }),
          }),
          caseFor('done', { status: 'resolved', sla: sla({ resolutionDue: at(1000 + 30) }) }),
          caseFor('none', { sla: sla({}) }),
        ];
        for (const c of cases) await store.commit(firstStep(c.loopId, { case: c }));
        const q = async (query: CaseQuery) =>
          ids(await store.listCases({ ...query, now, sort: 'id', order: 'asc' }));
        expect(await q({ sla: 'dueSoon' })).toEqual(['case-soon']);
        expect(await q({ sla: 'breached' })).toEqual(['case-late', 'case-recorded']);
        expect(await store.countCasesByStatus({ sla: 'breached', now })).toEqual({
          new: 1,
          open: 0,
          resolved: 1,
          escalated: 0,
        });
        // Sorted by the earliest running clock, cases without one last in both directions.
        expect(ids(await store.listCases({ sort: 'slaDue', order: 'asc' }))).toEqual([
          'case-late',
          'case-soon',
          'case-edge',
          'case-later',
          'case-answered',
          'case-done',
          'case-none',
          'case-recorded',
        ]);
        expect(ids(await store.listCases({ sort: 'slaDue', order: 'desc' })).slice(0, 4)).toEqual([
          'case-later',
          'case-edge',
          'case-soon',
          'case-late',
        ]);
      });

      test('sort by any column: text byte-wise, scores as numbers, empty values last', async () => {
        const store = await fresh();
        const { nps: _n, ...noScore } = caseFor('z', { owner: 'zoe', customerName: 'Zed' });
        const cases = [
          caseFor('p', {
            nps: 10,
            owner: 'bob',
            customerName: 'Bea',
            customerEmail: 'b@x.io',
            segment: 'spain',
          }),
          caseFor('q', {
            nps: 9,
            owner: 'ana',
            customerName: 'Al',
            customerEmail: 'a@x.io',
            segment: 'italy',
          }),
          noScore,
        ];
        for (const c of cases) await store.commit(firstStep(c.loopId, { case: c }));
        const sorted = async (sort: CaseQuery['sort'], order: 'asc' | 'desc') =>
          ids(await store.listCases({ sort, order }));
        expect(await sorted('nps', 'asc')).toEqual(['case-q', 'case-p', 'case-z']);
        expect(await sorted('nps', 'desc')).toEqual(['case-p', 'case-q', 'case-z']);
        expect(await sorted('owner', 'asc')).toEqual(['case-q', 'case-p', 'case-z']);
        expect(await sorted('customerName', 'desc')).toEqual(['case-z', 'case-p', 'case-q']);
        expect(await sorted('segment', 'asc')).toEqual(['case-q', 'case-p', 'case-z']);
        expect(await sorted('id', 'desc')).toEqual(['case-z', 'case-q', 'case-p']);
        expect(await sorted('csat', 'asc')).toEqual(['case-p', 'case-q', 'case-z']); // all empty: by id
      });

      test('limit and offset page through; total ignores them', async () => {
        const store = await seeded();
        const all = ids(await store.listCases({ sort: 'createdAt', order: 'asc' }));
        const pages: string[] = [];
        for (let offset = 0; offset < 8; offset += 4) {
          const page = await store.listCases({ sort: 'createdAt', order: 'asc', limit: 4, offset });
          expect(page.total).toBe(6);
          pages.push(...ids(page));
        }
        expect(pages).toEqual(all);
        expect(await store.listCases({ limit: 0 })).toEqual({ cases: [], total: 6 });
        expect(await store.listCases({ offset: 10 })).toEqual({ cases: [], total: 6 });
        expect(ids(await store.listCases({ offset: 4, sort: 'createdAt', order: 'asc' }))).toEqual([
          'case-e',
          'case-f',
        ]);
        const filtered = await store.listCases({ segment: 'spain', limit: 1 });
        expect(filtered.total).toBe(3);
        expect(ids(filtered)).toEqual(['case-a']);
      });

      test('countCasesByStatus has every status, zero when none, and takes the other filters', async () => {
        const store = await seeded();
        expect(await store.countCasesByStatus()).toEqual({ new: 2, open: 2, resolved: 1, escalated: 1 });
        expect(await store.countCasesByStatus({ segment: 'italy' })).toEqual({
          new: 1,
          open: 0,
          resolved: 1,
          escalated: 1,
        });
        expect(await store.countCasesByStatus({ owner: ['bob'], priority: 'critical' })).toEqual({
          new: 1,
          open: 1,
          resolved: 0,
          escalated: 0,
        });
        expect(await store.countCasesByStatus({ search: 'corp.io' })).toEqual({
          new: 0,
          open: 1,
          resolved: 1,
          escalated: 0,
        });
        expect(await store.countCasesByStatus({ owner: 'nobody' })).toEqual({
          new: 0,
          open: 0,
          resolved: 0,
          escalated: 0,
        });
      });
    });

    if (options.reopen) {
      const reopen = options.reopen;
      test('everything committed survives closing and reopening the store', async () => {
        const store = await fresh();
        const first = firstStep('l1', {
          timers: [timer('l1', 'firstResponse', BASE + 100)],
          deliveries: [deliveryFor('l1', 'a'), deliveryFor('l1', 'b', { nextAttemptAt: BASE + 50 })],
        });
        await store.commit(first);
        const second = nextStep('l1', 1, {
          case: caseFor('l1', { status: 'open', updatedAt: at(3), version: 2 }),
          timers: [timer('l1', 'resolution', BASE + 200)],
        });
        await store.commit(second);
        await store.updateDelivery({ id: 'l1:a@email', status: 'delivered', attempts: 1 });
        await store.commit(firstStep('l2', { case: caseFor('l2', { status: 'escalated' }) }));
        await store.documents.put('rules', 'v1', { by: 'ana' }, { now: 7 });
        await store.close();

        const again = await reopen(store);
        open.push(again);
        await again.init();
        expect(await again.documents.get('rules', 'v1')).toEqual({
          kind: 'rules',
          id: 'v1',
          value: { by: 'ana' },
          version: 1,
          updatedAt: 7,
        });
        expect(await again.getLoop('l1')).toEqual(json(second.loop));
        expect(await again.getFeedback('fb-l1')).toEqual(json(first.feedback));
        expect(await again.getCase('case-l1')).toEqual(json(second.case));
        expect(await again.countCasesByStatus()).toEqual({ new: 0, open: 1, resolved: 0, escalated: 1 });
        expect(await again.dueTimers(BASE + 1000, 10)).toEqual([timer('l1', 'resolution', BASE + 200)]);
        expect((await again.listDeliveries()).map((d) => [d.id, d.status])).toEqual([
          ['l1:a@email', 'delivered'],
          ['l1:b@email', 'pending'],
        ]);
        expect(await again.nextDeliveryAt()).toBe(BASE + 50);
        // Versions carry on across the reopen, and new deliveries queue after the old ones.
        await rejectsWith(again.commit(nextStep('l1', 1)), 'CONFLICT');
        await again.commit(nextStep('l1', 2, { deliveries: [deliveryFor('l1', 'c')] }));
        expect((await again.listDeliveries()).map((d) => d.id)).toEqual([
          'l1:a@email',
          'l1:b@email',
          'l1:c@email',
        ]);
      });
    }

    describe('properties (fast-check)', () => {
      const statusArb = fc.constantFrom<CaseStatus>(...CASE_STATUSES);
      const priorityArb = fc.constantFrom<Priority>(...PRIORITIES);
      const segmentArb = fc.constantFrom('spain', 'italy', 'poland');
      const ownerArb = fc.constantFrom('ana', 'bob', 'carl');
      const caseArb = fc.record({
        status: statusArb,
        priority: priorityArb,
        segment: segmentArb,
        owner: ownerArb,
        email: fc.constantFrom('ana@example.com', 'Bob@Corp.io', 'carla@example.it', 'dan@EXAMPLE.com'),
        created: fc.integer({ min: 0, max: 5 }),
        updated: fc.integer({ min: 0, max: 5 }),
        name: fc.option(fc.constantFrom('Ana Ruiz', 'Bob', 'Carla Example'), { nil: undefined }),
        nps: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
        firstDue: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
        responded: fc.boolean(),
        resolutionDue: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
        breached: fc.boolean(),
      });
      const oneOrMany = <T>(arb: fc.Arbitrary<T>) =>
        fc.option(fc.oneof(arb, fc.uniqueArray(arb, { maxLength: 3 })), { nil: undefined });
      const queryArb: fc.Arbitrary<CaseQuery> = fc.record(
        {
          status: oneOrMany(statusArb),
          priority: oneOrMany(priorityArb),
          segment: oneOrMany(segmentArb),
          owner: oneOrMany(ownerArb),
          search: fc.option(
            fc.constantFrom('example', 'CORP', 'case-l3', 'case-l0', 'CASE-L', 'it', 'x', 'ruiz'),
            {
              nil: undefined,
            },
          ),
          sort: fc.option(fc.constantFrom(...CASE_SORT_COLUMNS), { nil: undefined }),
          sla: fc.option(fc.constantFrom(...SLA_STATES), { nil: undefined }),
          now: fc.option(
            fc.integer({ min: 0, max: 600 }).map((m) => at(m)),
            { nil: undefined },
          ),
          from: fc.option(
            fc.integer({ min: 0, max: 6 }).map((m) => at(m)),
            { nil: undefined },
          ),
          to: fc.option(
            fc.integer({ min: 0, max: 6 }).map((m) => at(m)),
            { nil: undefined },
          ),
          order: fc.option(fc.constantFrom('asc' as const, 'desc' as const), { nil: undefined }),
          limit: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
          offset: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
        },
        { requiredKeys: [] },
      );

      test('listCases and countCasesByStatus agree with a filter over the model', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(caseArb, { minLength: 0, maxLength: 12 }),
            fc.array(queryArb, { minLength: 1, maxLength: 6 }),
            async (specs, queries) => {
              const store = await fresh();
              const model: Case[] = [];
              for (const [i, s] of specs.entries()) {
                const c = caseFor(`l${i}`, {
                  status: s.status,
                  priority: s.priority,
                  segment: s.segment,
                  owner: s.owner,
                  customerEmail: s.email,
                  createdAt: at(s.created),
                  updatedAt: at(s.created + s.updated),
                  sla: {
                    ...(s.firstDue !== undefined ? { firstResponseDue: at(s.firstDue) } : {}),
                    ...(s.responded ? { firstRespondedAt: at(1) } : {}),
                    ...(s.resolutionDue !== undefined ? { resolutionDue: at(s.resolutionDue) } : {}),
                    breaches: s.breached ? [{ kind: 'resolution' as const, at: at(2) }] : [],
                    escalationLevel: 0,
                  },
                });
                if (s.name === undefined) delete c.customerName;
                else c.customerName = s.name;
                if (s.nps === undefined) delete c.nps;
                else c.nps = s.nps;
                model.push(c);
                await store.commit(firstStep(`l${i}`, { case: c }));
              }
              for (const q of queries) {
                const page = await store.listCases(q);
                const expected = modelList(model, q);
                expect({ ids: page.cases.map((c) => c.id), total: page.total }).toEqual(expected);
                const { status: _, ...rest } = q;
                const counts = await store.countCasesByStatus(rest);
                const all = modelList(model, { ...rest, limit: undefined, offset: undefined });
                const byId = new Map(model.map((c) => [c.id, c]));
                const want = { new: 0, open: 0, resolved: 0, escalated: 0 };
                for (const id of all.ids) want[byId.get(id)!.status]++;
                expect(counts).toEqual(want);
              }
              await store.close();
            },
          ),
          { numRuns: 25 },
        );
      });

      test('random commit sequences: CONFLICT exactly when the version is wrong, and state matches the model', async () => {
        const stepArb = fc.record({
          loop: fc.integer({ min: 0, max: 2 }),
          /** 0: the right version; otherwise off by this much (undefined when the loop exists, etc.). */
          skew: fc.constantFrom(0, 0, 0, 1, -1, 'missing' as const),
          status: statusArb,
          timerAt: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
          delivery: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
        });
        await fc.assert(
          fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 15 }), async (steps) => {
            const store = await fresh();
            const versions = new Map<string, number>();
            const cases = new Map<string, CaseStatus>();
            const timers = new Map<string, TimerRow[]>();
            const deliveries: string[] = [];
            for (const s of steps) {
              const loopId = `p${s.loop}`;
              const current = versions.get(loopId);
              const expectedVersion =
                s.skew === 'missing'
                  ? current === undefined
                    ? 1
                    : undefined
                  : current === undefined
                    ? s.skew === 0
                      ? undefined
                      : Math.abs(s.skew)
                    : current + s.skew;
              const next = (expectedVersion ?? 0) + 1;
              const step: StepWrite = {
                loop: loopRecord(loopId, next),
                expectedVersion,
                feedback: feedbackFor(loopId, { nps: next % 11 }),
                case: caseFor(loopId, { status: s.status, version: next }),
                timers: s.timerAt === undefined ? [] : [timer(loopId, 'resolution', BASE + s.timerAt)],
                deliveries: s.delivery === undefined ? [] : [deliveryFor(loopId, s.delivery)],
              };
              const ok = expectedVersion === current;
              if (ok) {
                await store.commit(step);
                versions.set(loopId, next);
                cases.set(loopId, s.status);
                timers.set(loopId, step.timers);
                for (const d of step.deliveries) if (!deliveries.includes(d.id)) deliveries.push(d.id);
              } else {
                await rejectsWith(store.commit(step), 'CONFLICT');
              }
            }
            for (const loop of [0, 1, 2].map((i) => `p${i}`)) {
              expect((await store.getLoop(loop))?.version).toBe(versions.get(loop));
              expect((await store.getCase(`case-${loop}`))?.status).toBe(cases.get(loop));
              expect((await store.getFeedback(`fb-${loop}`))?.nps).toBe(
                versions.has(loop) ? versions.get(loop)! % 11 : undefined,
              );
            }
            const wantTimers = [...timers.values()]
              .flat()
              .sort((a, b) => a.dueAt - b.dueAt || (a.loopId < b.loopId ? -1 : 1));
            expect(await store.dueTimers(BASE + 1000, 100)).toEqual(wantTimers);
            expect((await store.listDeliveries()).map((d) => d.id)).toEqual(deliveries);
            await store.close();
          }),
          { numRuns: 25 },
        );
      });
    });
  });
}
