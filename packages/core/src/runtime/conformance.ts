// The behaviour every runtime must share (embedded, Temporal): one suite, run against each.
// A runtime test file calls `runtimeConformance(name, setup)`; `setup` returns a fresh runtime
// over the test organisation below (machine/fixtures.ts: people and segments).
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { FeedbackInput } from '../domain/feedback.ts';
import { ClosedLoopError } from '../errors.ts';
import { detractor } from './test-kit.ts';
import type { ClosedLoop } from './types.ts';

export interface RuntimeUnderTest {
  loop: ClosedLoop;
  /** Waits until effects of what happened so far were delivered (or attempted). */
  settle(): Promise<void>;
  /** Effects the runtime's connector received, deduplicated by key. */
  deliveredKeys(): string[];
  dispose(): Promise<void>;
}

export function runtimeConformance(
  name: string,
  setup: () => Promise<RuntimeUnderTest>,
  options: { timeout?: number } = {},
) {
  describe(`runtime conformance: ${name}`, { timeout: options.timeout ?? 30_000 }, () => {
    let rt: RuntimeUnderTest;
    beforeEach(async () => {
      rt = await setup();
    });
    afterEach(async () => {
      await rt.dispose();
    });

    test('a detractor opens a case for the segment’s first manager, new and unanswered', async () => {
      const r = await rt.loop.capture(detractor());
      expect(r.duplicate).toBe(false);
      expect(r.case).toMatchObject({ status: 'new', segment: 'spain', owner: 'ana' });
      const c = await rt.loop.cases.get(r.case!.id);
      expect(c.audit[0]).toMatchObject({ action: 'created', actor: 'system' });
    });

    test('the same response captured again is a duplicate with the same case', async () => {
      const input = detractor();
      const a = await rt.loop.capture(input);
      const b = await rt.loop.capture(input);
      expect(b.duplicate).toBe(true);
      expect(b.loopId).toBe(a.loopId);
      expect(b.case?.id).toBe(a.case?.id);
    });

    test('anonymous feedback is learned from without a case', async () => {
      const r = await rt.loop.capture(detractor({ customer: { anonymous: true } }));
      expect(r.state).toBe('learned');
      expect(r.case).toBeUndefined();
    });

    test('invalid feedback is refused with the bad fields named', async () => {
      const bad = { ...detractor(), nps: 42 } as FeedbackInput;
      const error = await rt.loop.capture(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClosedLoopError);
      expect((error as ClosedLoopError).code).toBe('INVALID_FEEDBACK');
      expect((error as ClosedLoopError).issues.map((i) => i.path)).toContain('nps');
    });

    test('a case is worked, resolved with a root cause and its customer informed', async () => {
      const { case: c } = await rt.loop.capture(detractor());
      await rt.loop.cases.update(c!.id, { status: 'open', priority: 'high' }, { actor: 'ana' });
      await rt.loop.cases.comment(c!.id, 'Llamé a la cliente', { actor: 'ana' });
      await rt.loop.cases.reassign(c!.id, 'bob', { actor: 'ana' });
      const resolved = await rt.loop.cases.resolve(c!.id, { rootCause: 'packaging' }, { actor: 'bob' });
      expect(resolved).toMatchObject({
        status: 'resolved',
        rootCause: 'packaging',
        owner: 'bob',
        priority: 'high',
      });
      expect(resolved.comments.map((x) => x.body)).toEqual(['Llamé a la cliente']);
      await rt.loop.cases.inform(c!.id, { message: 'Cambiamos el embalaje' }, { actor: 'bob' });
      await rt.settle();
      const informed = await rt.loop.cases.get(c!.id);
      expect(informed.customerInformedAt).toBeDefined();
      expect(rt.deliveredKeys().some((k) => k.endsWith(':inform'))).toBe(true);
    });

    test('a refused move names the case and the moves allowed, and changes nothing', async () => {
      const { case: c } = await rt.loop.capture(detractor());
      const error = (await rt.loop.cases
        .update(c!.id, { segment: 'global' }, { actor: 'ana' })
        .catch((e: unknown) => e)) as ClosedLoopError;
      expect(error).toBeInstanceOf(ClosedLoopError);
      expect(error.code).toBe('MOVE_REFUSED');
      expect(error.message).toContain(c!.id);
      expect(error.details.allowed).toEqual(['italy']);
      expect((await rt.loop.cases.get(c!.id)).version).toBe(c!.version);
    });

    test('an illegal status change is refused with the statuses allowed', async () => {
      const { case: c } = await rt.loop.capture(detractor());
      await rt.loop.cases.update(c!.id, { status: 'open' }, { actor: 'ana' });
      const error = (await rt.loop.cases
        .update(c!.id, { status: 'new' }, { actor: 'ana' })
        .catch((e: unknown) => e)) as ClosedLoopError;
      expect(error.code).toBe('MOVE_REFUSED');
      expect(error.details.allowed).toEqual(['escalated', 'resolved']);
    });

    test('a comment or root cause that is not text (plain JavaScript callers) is refused, not a crash', async () => {
      const { case: c } = await rt.loop.capture(detractor());
      const comment = (await rt.loop.cases
        .comment(c!.id, { body: 'x' } as unknown as string, { actor: 'ana' })
        .catch((e: unknown) => e)) as ClosedLoopError;
      expect(comment.code).toBe('MOVE_REFUSED');
      expect(comment.message).toMatch(/comment body must be text/);
      const resolve = (await rt.loop.cases
        .resolve(c!.id, { rootCause: 42 as unknown as string }, { actor: 'ana' })
        .catch((e: unknown) => e)) as ClosedLoopError;
      expect(resolve.code).toBe('MOVE_REFUSED');
      expect(resolve.message).toMatch(/root cause/);
      expect((await rt.loop.cases.get(c!.id)).version).toBe(c!.version);
    });

    test('an unknown case id is CASE_NOT_FOUND', async () => {
      const error = (await rt.loop.cases
        .get('CS-DOES-NOT-EXIST')
        .catch((e: unknown) => e)) as ClosedLoopError;
      expect(error.code).toBe('CASE_NOT_FOUND');
    });

    test('cases are listed, filtered, searched and exported', async () => {
      const a = await rt.loop.capture(detractor({ customer: { email: 'zoe@example.it', segment: 'italy' } }));
      const b = await rt.loop.capture(detractor());
      await rt.loop.cases.update(b.case!.id, { status: 'open' }, { actor: 'ana' });
      const italy = await rt.loop.cases.list({ segment: 'italy' });
      expect(italy.cases.map((c) => c.id)).toContain(a.case!.id);
      expect(italy.cases.every((c) => c.segment === 'italy')).toBe(true);
      const open = await rt.loop.cases.list({ status: 'open' });
      expect(open.cases.map((c) => c.id)).toContain(b.case!.id);
      expect((await rt.loop.cases.list({ search: 'zoe@example' })).cases.map((c) => c.id)).toContain(
        a.case!.id,
      );
      expect((await rt.loop.cases.list({ search: b.case!.id })).cases.map((c) => c.id)).toEqual([b.case!.id]);
      const all = await rt.loop.cases.list();
      expect(all.countsByStatus.open).toBeGreaterThanOrEqual(1);
      const csv = await rt.loop.cases.export('csv', { segment: 'italy' });
      expect(csv).toContain(a.case!.id);
      const json = JSON.parse(await rt.loop.cases.export('json', { status: 'open' })) as { id: string }[];
      expect(json.map((c) => c.id)).toContain(b.case!.id);
    });

    // Drift between runtimes, pinned (issue 15): one behaviour each, the same everywhere.
    test('a JSON export is an array of cases ending with a newline (a file on its own)', async () => {
      const { case: c } = await rt.loop.capture(detractor());
      const json = await rt.loop.cases.export('json', { search: c!.id });
      expect(json.endsWith(']\n')).toBe(true);
      expect((JSON.parse(json) as { id: string }[]).map((x) => x.id)).toEqual([c!.id]);
    });

    test('an unknown export format is INVALID_INPUT naming the formats', async () => {
      const error = (await rt.loop.cases.export('xml' as 'csv').catch((e: unknown) => e)) as ClosedLoopError;
      expect(error).toBeInstanceOf(ClosedLoopError);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toMatch(/"csv" or "json"/);
    });

    test('an invalid answer is named by its path, list items in brackets', async () => {
      const answers = [
        { question: 'q1', answer: 'a' },
        { question: 'q2', answer: 'b' },
        { question: 'q3', answer: { nested: true } },
      ];
      const bad = { ...detractor(), answers } as unknown as FeedbackInput;
      const error = (await rt.loop.capture(bad).catch((e: unknown) => e)) as ClosedLoopError;
      expect(error.code).toBe('INVALID_FEEDBACK');
      expect(error.issues.map((i) => i.path)).toContain('answers[2].answer');
    });

    test('a case update with an unknown field is refused, naming it, and changes nothing', async () => {
      const { case: c } = await rt.loop.capture(detractor());
      const error = (await rt.loop.cases
        .update(c!.id, { status: 'open', colour: 'red' } as never, { actor: 'ana' })
        .catch((e: unknown) => e)) as ClosedLoopError;
      expect(error).toBeInstanceOf(ClosedLoopError);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.issues.map((i) => i.message).join(' ')).toMatch(/colour/);
      expect((await rt.loop.cases.get(c!.id)).version).toBe(c!.version);
    });

    test('case events reach subscribers', async () => {
      const created: string[] = [];
      const off = rt.loop.on('case.created', (e) => created.push(e.case.id));
      const { case: c } = await rt.loop.capture(detractor());
      await rt.settle();
      off();
      expect(created).toContain(c!.id);
    });

    test('the creation notice goes to the owner with the other managers in CC', async () => {
      const { case: c } = await rt.loop.capture(detractor());
      await rt.settle();
      expect(rt.deliveredKeys()).toContain(`${c!.loopId}:v1:notify`);
    });
  });
}
