// The erasure part of the store conformance suite: every store finds one customer's records
// and erases them the same way (see `Store.findCustomer`, `Store.eraseCustomer`).
import { describe, expect, test } from 'vitest';
import { ERASED_EMAIL } from '../privacy/redact.ts';
import {
  at,
  caseFor,
  deliveryFor,
  feedbackFor,
  firstStep,
  loopRecord,
  nextStep,
  timer,
} from './conformance.ts';
import type { Delivery, Store } from './store.ts';

/** Everything a store holds, as one JSON text (what a grep of its tables would see). */
async function dump(store: Store, loopIds: string[]): Promise<string> {
  const parts: unknown[] = [];
  for (const id of loopIds) {
    parts.push(
      await store.getLoop(id),
      await store.getFeedback(`fb-${id}`),
      await store.getCase(`case-${id}`),
    );
    parts.push(await store.listDeliveries({ loopId: id }));
  }
  parts.push(await store.dueTimers(Number.MAX_SAFE_INTEGER, 1000));
  return JSON.stringify(parts);
}

export function erasureConformance(fresh: () => Promise<Store>): void {
  describe('customer erasure', () => {
    /** Two loops of Lucía (one by email, one by her customer id only), one of someone else. */
    async function seeded(store: Store) {
      const lucia = (loopId: string, customer: Record<string, unknown>) =>
        firstStep(loopId, {
          feedback: feedbackFor(loopId, {
            customer: { anonymous: false, name: 'Lucía Ñúñez', segment: 'spain', ...customer },
            comment: `Mi pedido ${loopId} llegó roto, escribidme a Lucia.Nunez@Example.com`,
            answers: [
              { question: 'Why?', answer: 'the box was crushed by the courier' },
              { question: 'Score', answer: 4 },
            ],
          }),
          case: caseFor(loopId, {
            customerEmail: 'lucia.nunez@example.com',
            customerName: 'Lucía Ñúñez',
            feedbackComment: `Mi pedido ${loopId} llegó roto`,
            comments: [
              { id: 'c1', author: 'ana', body: 'Called Lucía Ñúñez at lucia.nunez@example.com', at: at(1) },
            ],
          }),
          timers: [timer(loopId, 'firstResponse', 1_000)],
          deliveries: [deliveryFor(loopId, 'inform')].map((d) => ({
            ...d,
            effect: { ...d.effect, to: { email: 'Lucia.Nunez@example.com', name: 'Lucía Ñúñez' } },
          })) as Delivery[],
        });
      const a = lucia('lucia-1', { email: 'lucia.nunez@example.com', id: 'cust-7731' });
      const b = lucia('lucia-2', { id: 'cust-7731' });
      for (const step of [a, b]) {
        const loop = loopRecord(step.loop.loopId, 1);
        loop.snapshot.context.feedback = step.feedback!;
        await store.commit({ ...step, loop });
      }
      await store.commit(firstStep('other', { timers: [timer('other', 'firstResponse', 1_000)] }));
      return ['lucia-1', 'lucia-2'];
    }

    test('erasing by email finds her by every email and id her feedback names, and leaves no trace', async () => {
      const store = await fresh();
      const loops = await seeded(store);
      const found = await store.findCustomer({ email: 'LUCIA.NUNEZ@example.com' });
      expect(found.feedback.map((f) => f.id).sort()).toEqual(['fb-lucia-1', 'fb-lucia-2']);
      expect(found.loops.map((l) => l.loopId).sort()).toEqual(loops);
      expect(found.cases.map((c) => c.id).sort()).toEqual(['case-lucia-1', 'case-lucia-2']);
      expect(found.deliveries).toHaveLength(2);

      const counts = await store.eraseCustomer(
        { email: 'lucia.nunez@example.com' },
        { now: Date.parse(at(5)) },
      );
      expect(counts).toEqual({
        feedback: 2,
        cases: 2,
        loops: 2,
        closedLoops: 2,
        deliveries: 2,
        cancelledDeliveries: 2,
      });

      const text = (await dump(store, loops)).toLowerCase();
      for (const trace of [
        'lucia.nunez',
        'lucía',
        'ñúñez',
        'cust-7731',
        'llegó roto',
        'crushed by the courier',
      ]) {
        expect(text).not.toContain(trace);
      }
      // Scores, segments, times stay; the staff comment keeps its words.
      const f = (await store.getFeedback('fb-lucia-1'))!;
      expect(f).toMatchObject({
        nps: 3,
        customer: { anonymous: false, segment: 'spain' },
        receivedAt: at(0),
      });
      expect(f.answers).toEqual([{ question: 'Score', answer: 4 }]);
      expect(f.erasedAt).toBe(at(5));
      const c = (await store.getCase('case-lucia-1'))!;
      expect(c).toMatchObject({ customerEmail: ERASED_EMAIL, feedbackComment: '', nps: 3, status: 'new' });
      expect(c.customerName).toBeUndefined();
      expect(c.comments[0]!.body).toBe('Called [erased] at [erased]');
      expect(c.audit.at(-1)).toMatchObject({ action: 'erased', actor: 'system' });
      // Loops are closed: no timers, nothing left to send, a version a stale step cannot overwrite.
      const loop = (await store.getLoop('lucia-1'))!;
      expect(loop.snapshot.state).toBe('learned');
      expect(loop.version).toBe(2);
      expect(await store.dueTimers(Number.MAX_SAFE_INTEGER, 10)).toEqual([
        timer('other', 'firstResponse', 1_000),
      ]);
      expect(await store.dueDeliveries(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      await expect(store.commit(nextStep('lucia-1', 1))).rejects.toMatchObject({ code: 'CONFLICT' });
      // The other customer is untouched.
      expect(await store.getFeedback('fb-other')).toEqual(JSON.parse(JSON.stringify(feedbackFor('other'))));
      expect((await store.listCases({ search: 'other@example.com' })).total).toBe(1);
    });

    test('erasing by customer id reaches the feedback that only named her email', async () => {
      const store = await fresh();
      await seeded(store);
      const counts = await store.eraseCustomer({ customerId: 'cust-7731' }, { now: Date.parse(at(5)) });
      expect(counts.feedback).toBe(2);
      expect((await store.listCases({ search: 'lucia.nunez@example.com' })).total).toBe(0);
    });

    test('erasing twice, or someone unknown, changes nothing', async () => {
      const store = await fresh();
      const loops = await seeded(store);
      await store.eraseCustomer({ email: 'lucia.nunez@example.com' }, { now: Date.parse(at(5)) });
      const before = await dump(store, [...loops, 'other']);
      const again = await store.eraseCustomer(
        { email: 'lucia.nunez@example.com' },
        { now: Date.parse(at(9)) },
      );
      expect(Object.values(again).every((n) => n === 0)).toBe(true);
      expect(await store.eraseCustomer({ email: 'nobody@example.com' }, { now: Date.parse(at(9)) })).toEqual(
        again,
      );
      expect(await dump(store, [...loops, 'other'])).toBe(before);
      expect(await store.findCustomer({ email: 'lucia.nunez@example.com' })).toEqual({
        feedback: [],
        cases: [],
        loops: [],
        deliveries: [],
      });
    });
  });
}
