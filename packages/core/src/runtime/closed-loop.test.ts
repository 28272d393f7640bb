import {
  ClosedLoopError,
  createClosedLoop,
  type FeedbackInput,
  manualClock,
  memoryStore,
} from '@closedloop/core';
import { describe, expect, test } from 'vitest';
import { people, segments } from '../machine/fixtures.ts';
import { recordingConnector } from './test-kit.ts';

function setup() {
  const clock = manualClock(Date.parse('2026-11-02T09:00:00Z'));
  const connector = recordingConnector();
  const loop = createClosedLoop({
    store: memoryStore(),
    directory: people,
    segments,
    connectors: [connector],
    clock,
    delivery: { baseDelayMs: 1000 },
  });
  return { clock, connector, loop };
}

const detractor = (responseId = 'r1', over: Partial<FeedbackInput> = {}): FeedbackInput => ({
  source: { tool: 'typeform', responseId },
  customer: { email: 'lucia@example.es', name: 'Lucía', segment: 'spain' },
  nps: 2,
  comment: 'El pedido llegó roto',
  language: 'es',
  ...over,
});

describe('embedded runtime', () => {
  test('a detractor gets a case in its segment, owned by the first manager, with the other managers in CC', async () => {
    const { loop, connector } = setup();
    const r = await loop.capture(detractor());
    expect(r.duplicate).toBe(false);
    expect(r.state).toBe('acting.new');
    expect(r.case).toMatchObject({
      segment: 'spain',
      owner: 'ana',
      status: 'new',
      priority: 'high',
      customerEmail: 'lucia@example.es',
    });
    await loop.idle();
    const notify = connector.calls.find((e) => e.type === 'notify');
    expect(notify).toMatchObject({
      reason: 'caseCreated',
      to: [{ email: 'ana@example.com' }],
      cc: [{ email: 'bob@example.com' }],
    });
    await loop.close();
  });

  test('capturing the same response twice creates one loop and sends nothing twice', async () => {
    const { loop, connector } = setup();
    const [a, b] = await Promise.all([loop.capture(detractor()), loop.capture(detractor())]);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect(a.case?.id).toBe(b.case?.id);
    await loop.idle();
    expect(connector.calls.filter((e) => e.type === 'notify')).toHaveLength(1);
    expect((await loop.cases.list()).total).toBe(1);
    await loop.close();
  });

  test('the rest of an answer (comment after score) updates the same case and the stored feedback', async () => {
    const { loop, connector } = setup();
    const first = await loop.capture(detractor('d1', { comment: undefined, nps: 5 }));
    expect(first.case).toMatchObject({ feedbackComment: '', priority: 'medium' });
    const again = await loop.capture(detractor('d1', { comment: undefined, nps: 5 }), {
      onDuplicate: 'update',
    });
    expect(again).toMatchObject({ duplicate: true, updated: false });
    const later = await loop.capture(detractor('d1', { nps: 2, comment: 'Nadie me llamó' }), {
      onDuplicate: 'update',
    });
    expect(later).toMatchObject({ duplicate: true, updated: true });
    expect(later.case).toMatchObject({
      id: first.case!.id,
      feedbackComment: 'Nadie me llamó',
      nps: 2,
      priority: 'high',
    });
    expect((await loop.cases.list()).total).toBe(1);
    expect(await loop.store.getFeedback(first.feedbackId)).toMatchObject({
      nps: 2,
      comment: 'Nadie me llamó',
    });
    await loop.idle();
    expect(
      connector.calls.filter((e) => e.type === 'notify').map((e) => (e.type === 'notify' ? e.reason : '')),
    ).toEqual(['caseCreated', 'caseUpdated']);
    await loop.close();
  });

  test('a promoter who adds a comment later is not thanked twice', async () => {
    const { loop, connector } = setup();
    await loop.capture(detractor('p1', { nps: 10, comment: undefined }));
    await loop.capture(detractor('p1', { nps: 10, comment: '¡Genial!' }), { onDuplicate: 'update' });
    await loop.idle();
    expect(connector.calls.filter((e) => e.type === 'informCustomer')).toHaveLength(1);
    await loop.close();
  });

  test('invalid feedback is refused with every bad field named, and nothing is stored', async () => {
    const { loop } = setup();
    const bad = { source: { tool: 'x', responseId: '' }, customer: { email: 'not-an-email' }, nps: 11 };
    const error = await loop.capture(bad as FeedbackInput).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClosedLoopError);
    expect((error as ClosedLoopError).code).toBe('INVALID_FEEDBACK');
    expect((error as ClosedLoopError).issues.map((i) => i.path).sort()).toEqual([
      'customer.email',
      'nps',
      'source.responseId',
    ]);
    expect((await loop.cases.list()).total).toBe(0);
    await loop.close();
  });

  test('anonymous feedback is learned from without a case or any message', async () => {
    const { loop, connector } = setup();
    const r = await loop.capture({
      source: { tool: 'web', responseId: 'a1' },
      customer: { anonymous: true },
      nps: 0,
    });
    expect(r.state).toBe('learned');
    expect(r.case).toBeUndefined();
    await loop.idle();
    expect(connector.calls).toHaveLength(0);
    await loop.close();
  });

  test('the full loop: act, resolve with a root cause, inform the customer, learn', async () => {
    const { loop, connector } = setup();
    const learned: string[] = [];
    loop.on('loop.learned', (e) => learned.push(e.loopId));
    const { case: c, loopId } = await loop.capture(detractor());
    await loop.cases.update(c!.id, { status: 'open' }, { actor: 'ana' });
    await loop.cases.comment(c!.id, 'Llamé a la cliente', { actor: 'ana' });
    await loop.cases.resolve(c!.id, { rootCause: 'packaging' }, { actor: 'ana' });
    const informed = await loop.cases.inform(
      c!.id,
      { message: 'Hemos cambiado el embalaje', gesture: { description: 'cupón 10%', code: 'SORRY10' } },
      { actor: 'ana' },
    );
    expect(informed.status).toBe('resolved');
    await loop.idle();
    expect(learned).toEqual([loopId]);
    const final = await loop.cases.get(c!.id);
    expect(final.customerInformedAt).toBeDefined();
    expect(final.audit.map((a) => a.action)).toEqual([
      'created',
      'status',
      'comment',
      'resolved',
      'resolved',
      'customerInformed',
    ]);
    const inform = connector.calls.find((e) => e.type === 'informCustomer');
    expect(inform).toMatchObject({
      to: { email: 'lucia@example.es' },
      language: 'es',
      gesture: { code: 'SORRY10' },
    });
    await loop.close();
  });

  test('a refused segment move names the case, its state and the moves allowed, and changes nothing', async () => {
    const { loop } = setup();
    const { case: c } = await loop.capture(detractor());
    const error = (await loop.cases
      .update(c!.id, { segment: 'global' }, { actor: 'ana' })
      .catch((e: unknown) => e)) as ClosedLoopError;
    expect(error.code).toBe('MOVE_REFUSED');
    expect(error.message).toContain(c!.id);
    expect(error.message).toContain('status new');
    expect(error.details.allowed).toEqual(['italy']);
    expect(error.message).toContain('Allowed: italy');
    expect((await loop.cases.get(c!.id)).version).toBe(1);
    await loop.close();
  });

  test('an unknown case id gets CASE_NOT_FOUND naming it', async () => {
    const { loop } = setup();
    await expect(loop.cases.get('CS-NOPE')).rejects.toThrow(/No case "CS-NOPE"/);
    await loop.close();
  });

  test('the first-response SLA breach runs the escalation chain on time', async () => {
    const { loop, clock, connector } = setup();
    const { case: c } = await loop.capture(detractor());
    await clock.advance(23 * 3600_000);
    expect((await loop.cases.get(c!.id)).sla.breaches).toEqual([]);
    await clock.advance(2 * 3600_000);
    await loop.idle();
    const after = await loop.cases.get(c!.id);
    expect(after.sla.breaches.map((b) => b.kind)).toEqual(['firstResponse']);
    expect(after.priority).toBe('critical');
    expect(connector.calls.some((e) => e.type === 'notify' && e.reason === 'slaBreached')).toBe(true);
    // Four hours later the second step escalates to the parent segment.
    await clock.advance(4 * 3600_000);
    await loop.idle();
    const escalated = await loop.cases.get(c!.id);
    expect(escalated).toMatchObject({ status: 'escalated', segment: 'emea', owner: 'bob' });
    await loop.close();
  });

  test('a failing connector is retried with backoff until the effect is delivered once', async () => {
    const { loop, clock, connector } = setup();
    connector.failNext(2);
    await loop.capture(detractor('r9', { nps: 10, comment: 'Genial' }));
    await loop.idle();
    expect(connector.applied.size).toBe(0);
    await clock.advance(10_000);
    await loop.idle();
    expect(connector.calls).toHaveLength(3);
    expect([...connector.applied.values()].map((e) => e.type)).toEqual(['informCustomer']);
    await loop.close();
  });

  test('export gives CSV with a header and neutralised formulas', async () => {
    const { loop } = setup();
    await loop.capture(detractor('r1', { comment: '=HYPERLINK("x")' }));
    const csv = await loop.cases.export('csv');
    const [header, row] = csv.trim().split('\r\n');
    expect(header).toContain('id,status,priority,segment,owner,customerEmail');
    expect(row).toContain(`"'=HYPERLINK(""x"")"`);
    await loop.close();
  });
});
