import { ClosedLoopError, createClosedLoop, memoryStore, SegmentTree } from '@closedloop/core';
import { describe, expect, test } from 'vitest';
import { people, segments } from '../machine/fixtures.ts';
import { recordingConnector } from './test-kit.ts';

function loopWith(connectors: unknown[] = [recordingConnector()]) {
  return createClosedLoop({
    store: memoryStore(),
    directory: people,
    segments,
    connectors: connectors as never,
    autoStart: false,
  });
}

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<ClosedLoopError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof ClosedLoopError) return e;
    throw e;
  }
  throw new Error('expected a ClosedLoopError');
}

const answer = {
  source: { tool: 'typeform', responseId: 'r1' },
  customer: { email: 'lucia@example.es', segment: 'spain' },
  nps: 2,
};

describe('misspelt keys are errors that name the key meant', () => {
  test('a segment with parentId instead of parent', async () => {
    const e = await refusal(
      () => new SegmentTree([{ id: 'es', name: 'Spain', parentId: 'eu', managers: ['ana'] } as never]),
    );
    expect(e.issues).toEqual([{ path: '[0]', message: 'unknown field "parentId": did you mean "parent"?' }]);
  });

  test('capture with segmentId beside the customer', async () => {
    const loop = loopWith();
    const e = await refusal(loop.capture({ ...answer, segmentId: 'spain' } as never));
    expect(e.code).toBe('INVALID_FEEDBACK');
    expect(e.issues).toEqual([
      { path: '(root)', message: 'unknown field "segmentId": did you mean "customer.segment"?' },
    ]);
    await loop.close();
  });

  test('capture with the customer segment misspelt', async () => {
    const loop = loopWith();
    const e = await refusal(
      loop.capture({ ...answer, customer: { email: 'lucia@example.es', segmentId: 'spain' } } as never),
    );
    expect(e.issues).toEqual([
      { path: 'customer', message: 'unknown field "segmentId": did you mean "segment"?' },
    ]);
    expect(e.message).toContain('customer: unknown field "segmentId": did you mean "segment"?');
    await loop.close();
  });

  test('cases.list with segmentId', async () => {
    const loop = loopWith();
    const e = await refusal(loop.cases.list({ segmentId: 'spain' } as never));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.issues).toEqual([
      { path: '(root)', message: 'unknown field "segmentId": did you mean "segment"?' },
    ]);
    await loop.close();
  });

  test('cases.update with a misspelt change', async () => {
    const loop = loopWith();
    const { case: c } = await loop.capture(answer);
    const e = await refusal(loop.cases.update(c!.id, { priorty: 'high' } as never, { actor: 'ana' }));
    expect(e.issues).toEqual([
      { path: '(root)', message: 'unknown field "priorty": did you mean "priority"?' },
    ]);
    await loop.close();
  });
});

describe('connectors are checked when the loop is created', () => {
  test('a connector without capabilities is refused at createClosedLoop, naming the fix', async () => {
    const e = await refusal(() => loopWith([{ name: 'crm', async deliver() {} }]));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.issues[0]?.path).toBe('connectors[0].capabilities');
    expect(e.issues[0]?.message).toContain('connector ("crm") has no capabilities');
    expect(e.issues[0]?.message).toContain("capabilities: ['notify']");
  });

  test('a misspelt capabilities key and an unknown effect type are named', async () => {
    const e = await refusal(() =>
      loopWith([
        { name: 'crm', capabilites: ['notify'], async deliver() {} },
        { name: 'chat', capabilities: ['notfy'], async deliver() {} },
      ]),
    );
    expect(e.issues.map((i) => i.message)).toEqual([
      expect.stringContaining('did you mean "capabilities" instead of "capabilites"?'),
      expect.stringContaining('"notfy" is not an effect type: did you mean "notify"?'),
    ]);
  });

  test('two connectors with one name, or one without deliver, are refused', async () => {
    const e = await refusal(() =>
      loopWith([recordingConnector('email'), recordingConnector('email'), { name: 'x', capabilities: [] }]),
    );
    expect(e.issues.map((i) => i.path)).toEqual(['connectors[1].name', 'connectors[2].deliver']);
  });
});
