import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { routeV1, routeV2 } from './rules-test-fixture.ts';
import { createRuntime, type Runtime } from './runtime.ts';
import { testConfig } from './test-fixture.ts';

const stores = { memory: () => ':memory:', sqlite: (dir: string) => join(dir, 'rules.sqlite') };

describe.each(Object.keys(stores) as (keyof typeof stores)[])('Rules API on %s', (kind) => {
  let runtime: Runtime | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await runtime?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    runtime = undefined;
    dir = undefined;
  });

  async function start(overrides: Parameters<typeof testConfig>[0] = {}) {
    dir = mkdtempSync(join(tmpdir(), 'rules-api-'));
    runtime = createRuntime(testConfig({ store: stores[kind](dir), inbound: {}, ...overrides }));
    await runtime.rules.refresh();
    const app = createApp({ loop: runtime.loop, rules: runtime.rules, console: false });
    const call = async (method: string, path: string, body?: unknown, actor?: string) => {
      const res = await app.request(path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(actor ? { 'x-closedloop-actor': actor } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
      return { status: res.status, body: (await res.json()) as any };
    };
    return { call, loop: runtime.loop, rules: runtime.rules };
  }

  let seq = 0;
  const detractor = (segment = 'spain') => ({
    source: { tool: 'api', responseId: `r-${kind}-${++seq}` },
    customer: { email: 'ana@example.com', segment },
    nps: 2,
    comment: 'Late delivery',
  });

  it('publishes a version that the next capture decides with and records', async () => {
    const { call, loop } = await start();
    const before = await call('GET', '/v1/rules');
    expect(before.body).toMatchObject({ source: 'store', readOnly: false, sets: [] });

    const published = await call(
      'POST',
      '/v1/rules/publish',
      { files: { route: routeV1 }, comment: 'Spain to Pablo' },
      'eva',
    );
    expect(published).toEqual({ status: 201, body: { version: 'v1' } });

    const captured = await loop.capture(detractor());
    expect(captured.case).toMatchObject({ owner: 'pablo', priority: 'high', segment: 'spain' });
    const stored = await loop.getLoop(captured.loopId);
    expect(stored?.snapshot.context.decision?.ruleSetVersion).toBe('v1');
    // The shadowed catch-all did not fire.
    expect(stored?.snapshot.context.decision?.firedRules).toEqual(['spain-detractor']);

    const after = await call('GET', '/v1/rules');
    expect(after.body.running).toMatchObject({
      version: 'v1',
      publishedBy: 'eva',
      comment: 'Spain to Pablo',
    });
    const [route] = after.body.sets;
    expect(route.kind).toBe('route');
    expect(route.rules[0]).toMatchObject({
      id: 'spain-detractor',
      words: 'NPS is detractor and segment is within Spain',
      enabled: true,
      fired: { d7: 1, d30: 1 },
      lastChange: { by: 'eva' },
    });
    expect(route.rules[1]).toMatchObject({ id: 'detractor-case', fired: { d7: 0, d30: 0 } });
  });

  it('needs someone to publish, and refuses invalid rules with their field path', async () => {
    const { call } = await start();
    const anonymous = await call('POST', '/v1/rules/publish', { files: { route: routeV1 }, comment: 'x' });
    expect(anonymous.status).toBe(400);
    const bad = structuredClone(routeV1);
    (bad.rules[0]!.conditions.all[0] as { operator: string }).operator = 'npsCategorie';
    const refused = await call('POST', '/v1/rules/publish', { files: { route: bad }, comment: 'x' }, 'eva');
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_RULES');
    expect((await call('GET', '/v1/rules/versions')).body).toEqual([]);
  });

  it('validates with kind, field path, hint, line and column', async () => {
    const { call } = await start();
    const bad = structuredClone(routeV1);
    (bad.rules[0]!.conditions.all[0] as { value: string }).value = 'detracter';
    const r = await call('POST', '/v1/rules/validate', { files: { route: bad } });
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(false);
    expect(r.body.issues[0]).toMatchObject({
      kind: 'route',
      path: 'rules[0].conditions.all[0].value',
      line: expect.any(Number),
      column: expect.any(Number),
    });
    expect(r.body.issues[0].hint).toBeTruthy();
    const good = await call('POST', '/v1/rules/validate', { files: { route: routeV1 } });
    expect(good.body).toEqual({ ok: true, issues: [] });
  });

  it('validate checks templates and alert recipients against what exists', async () => {
    const { call } = await start();
    const route = {
      kind: 'route',
      rules: [
        {
          id: 'thanks',
          conditions: { all: [{ fact: 'nps', operator: 'npsCategory', value: 'promoter' }] },
          event: { type: 'thankCustomer', params: { template: 'thank-you' } },
        },
      ],
    };
    const alert = {
      kind: 'alert',
      rules: [
        {
          id: 'red',
          conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 2 }] },
          event: {
            type: 'alert',
            params: { channel: 'email', template: 'alert', recipients: ['sara', 'nobody'] },
          },
        },
      ],
    };
    const r = await call('POST', '/v1/rules/validate', { files: { route, alert } });
    expect(r.body.issues).toEqual([
      expect.objectContaining({
        kind: 'route',
        path: 'rules[0].event.params.template',
        hint: 'did you mean "thankYou"?',
      }),
      expect.objectContaining({ kind: 'alert', path: 'rules[0].event.params.recipients[1]' }),
    ]);
  });

  it('lists versions, diffs one against the running one, and rolls back', async () => {
    const { call, loop } = await start();
    await call('POST', '/v1/rules/publish', { files: { route: routeV1 }, comment: 'first' }, 'eva');
    await call('POST', '/v1/rules/publish', { files: { route: routeV2 }, comment: 'second' }, 'sara');
    expect((await loop.capture(detractor())).case).toMatchObject({ owner: 'sara', priority: 'critical' });

    const list = await call('GET', '/v1/rules/versions');
    expect(list.body.map((v: { version: string; current: boolean }) => [v.version, v.current])).toEqual([
      ['v2', true],
      ['v1', false],
    ]);
    const v1 = await call('GET', '/v1/rules/versions/v1');
    expect(v1.body.diff).toEqual([{ kind: 'route', id: 'spain-detractor', change: 'changed' }]);
    expect(v1.body.files.route).toEqual(routeV1);
    expect((await call('GET', '/v1/rules/versions/v9')).status).toBe(404);

    const back = await call('POST', '/v1/rules/rollback', { version: 'v1', comment: 'too strict' }, 'eva');
    expect(back.body).toEqual({ version: 'v3', rollbackOf: 'v1' });
    const c = await loop.capture(detractor());
    expect(c.case).toMatchObject({ owner: 'pablo', priority: 'high' });
    expect((await loop.getLoop(c.loopId))?.snapshot.context.decision?.ruleSetVersion).toBe('v3');
    expect((await call('GET', '/v1/rules')).body.running).toMatchObject({
      version: 'v3',
      comment: 'too strict',
    });
  });

  it('explains a typed feedback against a draft: held and failed conditions, shadowed rules', async () => {
    const { call } = await start();
    const r = await call('POST', '/v1/rules/explain', {
      files: { route: routeV1 },
      feedback: { customer: { email: 'x@example.com', segment: 'spain' }, nps: 3 },
    });
    expect(r.status).toBe(200);
    expect(r.body.decision.case).toMatchObject({ owner: 'pablo' });
    const [spain, catchAll] = r.body.rules;
    expect(spain).toMatchObject({ kind: 'route', id: 'spain-detractor', fired: true });
    expect(spain.conditions).toEqual([
      expect.objectContaining({ path: 'conditions.all[0]', fact: 'nps', seen: 3, held: true }),
      expect.objectContaining({ path: 'conditions.all[1]', fact: 'segment', seen: 'spain', held: true }),
    ]);
    expect(catchAll).toMatchObject({ id: 'detractor-case', fired: false, shadowedBy: 'spain-detractor' });

    const italy = await call('POST', '/v1/rules/explain', {
      files: { route: routeV1 },
      feedback: { customer: { email: 'x@example.com', segment: 'italy' }, nps: 3 },
    });
    expect(italy.body.rules[0].fired).toBe(false);
    expect(italy.body.rules[0].conditions[1]).toMatchObject({ seen: 'italy', held: false });
    expect(italy.body.rules[1]).toMatchObject({ fired: true });
    expect(italy.body.rules[1].shadowedBy).toBeUndefined();
  });

  it('explains a stored feedback by id, and names the field of invalid feedback', async () => {
    const { call, loop } = await start();
    const c = await loop.capture(detractor('italy'));
    const r = await call('POST', '/v1/rules/explain', {
      files: { route: routeV1 },
      feedbackId: c.feedbackId,
    });
    expect(r.body.rules[1]).toMatchObject({ id: 'detractor-case', fired: true });
    const bad = await call('POST', '/v1/rules/explain', { files: { route: routeV1 }, feedback: { nps: 12 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_FEEDBACK');
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toContain('feedback.nps');
  });

  it('runs fixtures sent with the draft', async () => {
    const { call } = await start();
    const fixtures = {
      'spain.json': {
        segments: [
          { id: 'europe', name: 'Europe', managers: ['eva'] },
          { id: 'spain', name: 'Spain', parent: 'europe', managers: ['sara'] },
        ],
        cases: [
          {
            name: 'Spanish detractor goes to Pablo',
            feedback: { customer: { email: 'x@example.com', segment: 'spain' }, nps: 1 },
            expect: { decision: { case: { owner: 'pablo', priority: 'high' } } },
          },
          {
            name: 'wrong on purpose',
            feedback: { customer: { email: 'x@example.com', segment: 'spain' }, nps: 1 },
            expect: { decision: { case: { owner: 'sara' } } },
          },
        ],
      },
    };
    const r = await call('POST', '/v1/rules/fixtures', { files: { route: routeV1 }, fixtures });
    expect(r.body).toMatchObject({ passed: 1, failed: 1 });
    expect(r.body.results[1]).toMatchObject({ ok: false, message: expect.stringContaining('owner') });
  });

  it('backtests a draft over stored feedback as a job with progress and per-rule counts', async () => {
    const { call, loop } = await start();
    await call('POST', '/v1/rules/publish', { files: { route: routeV1 }, comment: 'first' }, 'eva');
    await loop.capture(detractor('spain'));
    await loop.capture(detractor('italy'));
    const started = await call('POST', '/v1/rules/backtest', { files: { route: routeV2 } });
    expect(started.status).toBe(202);
    let job = (await call('GET', `/v1/rules/backtest/${started.body.jobId}`)).body;
    for (let i = 0; i < 200 && job.status === 'running'; i++) {
      await new Promise((r) => setImmediate(r));
      job = (await call('GET', `/v1/rules/backtest/${started.body.jobId}`)).body;
    }
    expect(job.status).toBe('done');
    expect(job.progress).toEqual({ done: 2, total: 2 });
    expect(job.result).toMatchObject({ total: 2, changed: 1 });
    expect(job.result.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'owner', before: 'pablo', after: 'sara' }),
        expect.objectContaining({ field: 'priority', before: 'high', after: 'critical' }),
      ]),
    );
    expect((await call('GET', '/v1/rules/backtest/nope')).status).toBe(404);
  });

  it('applies the running version to open cases, each change in the case log', async () => {
    const { call, loop } = await start();
    await call('POST', '/v1/rules/publish', { files: { route: routeV1 }, comment: 'first' }, 'eva');
    const c = await loop.capture(detractor('spain'));
    await call('POST', '/v1/rules/publish', { files: { route: routeV2 }, comment: 'second' }, 'eva');
    const dry = await call('POST', '/v1/rules/apply', { dryRun: true }, 'eva');
    expect(dry.body.changed).toEqual([
      {
        caseId: c.case!.id,
        changes: expect.arrayContaining([
          expect.objectContaining({ field: 'owner', after: 'sara', applied: false }),
        ]),
      },
    ]);
    expect((await loop.cases.get(c.case!.id)).owner).toBe('pablo');
    const applied = await call('POST', '/v1/rules/apply', {}, 'eva');
    expect(applied.status).toBe(200);
    const after = await loop.cases.get(c.case!.id);
    expect(after).toMatchObject({ owner: 'sara', priority: 'critical' });
    expect(after.audit.filter((a) => a.actor === 'eva').length).toBeGreaterThanOrEqual(2);
  });

  it('offers the fact catalogue with pick lists, and the schema', async () => {
    const { call } = await start();
    const r = await call('GET', '/v1/rules/catalogue');
    const segment = r.body.facts.find((f: { name: string }) => f.name === 'segment');
    expect(segment).toMatchObject({
      type: 'string',
      values: expect.arrayContaining([{ value: 'spain', label: 'Spain' }]),
    });
    expect(segment.operators).toContain('inSegmentSubtree');
    expect(r.body.people).toContainEqual({ id: 'sara', name: 'Sara Spain' });
    expect(r.body.templates).toContainEqual(expect.objectContaining({ id: 'thankYou' }));
    expect(r.body.eventTypes.route).toContain('openCase');
    const schema = await call('GET', '/v1/rules/schema');
    expect(schema.body.$schema).toContain('json-schema.org');
  });
});

describe('Rules API on a server with a rules folder', () => {
  it('shows the folder rules read-only and refuses to publish with how to switch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-folder-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'route.json'), JSON.stringify(routeV1));
    const runtime = createRuntime(testConfig({ rules: dir, inbound: {} }));
    try {
      const app = createApp({ loop: runtime.loop, rules: runtime.rules, console: false });
      const get = await app.request('/v1/rules');
      const body = (await get.json()) as { source: string; readOnly: boolean; files: { route: unknown } };
      expect(body).toMatchObject({ source: 'folder', readOnly: true });
      expect(body.files.route).toEqual(routeV1);
      const res = await app.request('/v1/rules/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-closedloop-actor': 'eva' },
        body: JSON.stringify({ files: { route: routeV2 }, comment: 'x' }),
      });
      expect(res.status).toBe(409);
      const err = (await res.json()) as { error: { code: string; message: string } };
      expect(err.error.code).toBe('READ_ONLY');
      expect(err.error.message).toContain('remove "rules" from the config');
    } finally {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
