import {
  createClosedLoop,
  type Decider,
  type DecisionInput,
  DeliveryError,
  type Effect,
  memoryStore,
} from '@closedloop/core';
import { describe, expect, test } from 'vitest';
import { people, segments } from '../machine/fixtures.ts';
import { recordingConnector } from './test-kit.ts';

const decider = (version: string, decision: Partial<DecisionInput>): Decider => ({
  version,
  decide: () => ({ ruleSetVersion: version, classification: {}, ...decision }),
});

let seq = 0;
const answer = () => ({
  source: { tool: 'api', responseId: `r${++seq}` },
  customer: { email: 'lucia@example.es', segment: 'spain' },
  nps: 2,
});

describe('loop.useDecider', () => {
  test('swaps the decider for later captures, each decision recording the version it used', async () => {
    const loop = createClosedLoop({
      store: memoryStore(),
      directory: people,
      segments,
      decider: decider('first', { case: { segment: 'spain', priority: 'low' } }),
    });
    const a = await loop.capture(answer());
    loop.useDecider(decider('second', { case: { segment: 'italy', priority: 'high' } }), { version: 'v7' });
    expect(loop.deciderVersion).toBe('v7');
    const b = await loop.capture(answer());
    expect(a.case).toMatchObject({ segment: 'spain', priority: 'low' });
    expect(b.case).toMatchObject({ segment: 'italy', priority: 'high' });
    expect((await loop.getLoop(a.loopId))?.snapshot.context.decision?.ruleSetVersion).toBe('first');
    expect((await loop.getLoop(b.loopId))?.snapshot.context.decision?.ruleSetVersion).toBe('v7');
    await loop.close();
  });

  test('a capture already deciding finishes with the decider it started with', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow: Decider = {
      version: 'slow',
      async decide() {
        await gate;
        return { ruleSetVersion: 'slow', classification: {}, case: { segment: 'spain', priority: 'low' } };
      },
    };
    const loop = createClosedLoop({ store: memoryStore(), directory: people, segments, decider: slow });
    const pending = loop.capture(answer());
    await new Promise((r) => setImmediate(r));
    loop.useDecider(decider('fast', { case: { segment: 'italy', priority: 'high' } }), { version: 'v2' });
    release();
    const r = await pending;
    expect(r.case).toMatchObject({ segment: 'spain' });
    expect((await loop.getLoop(r.loopId))?.snapshot.context.decision?.ruleSetVersion).toBe('slow');
    await loop.close();
  });
});

describe('alerts and undeliverable effects', () => {
  test('an email alert addressed to person ids goes to their addresses from the directory', async () => {
    const connector = recordingConnector();
    const loop = createClosedLoop({
      store: memoryStore(),
      directory: people,
      segments,
      connectors: [connector],
      decider: decider('alerts', {
        alerts: [
          {
            ruleId: 'a',
            channel: 'email',
            template: 'alert',
            recipients: ['carla', 'person:dawid', 'x@example.org'],
          },
          { ruleId: 'b', channel: 'slack', template: 'alert', recipients: ['#cx'] },
        ],
      }),
    });
    await loop.capture(answer());
    await loop.idle();
    const alerts = connector.calls.filter((e): e is Extract<Effect, { type: 'alert' }> => e.type === 'alert');
    expect(alerts.find((a) => a.channel === 'email')?.recipients).toEqual([
      'carla@example.com',
      'dawid@example.com',
      'x@example.org',
    ]);
    expect(alerts.find((a) => a.channel === 'slack')?.recipients).toEqual(['#cx']);
    await loop.close();
  });

  test('a failed delivery reports the reason the connector gave', async () => {
    const failing = {
      name: 'mail',
      capabilities: ['alert'] as const,
      async deliver() {
        throw new DeliveryError('email: no template "x" for a@b.c', {
          retryable: false,
          reason: 'no template "x"',
        });
      },
    };
    const loop = createClosedLoop({
      store: memoryStore(),
      directory: people,
      segments,
      connectors: [failing],
      decider: decider('alerts', {
        alerts: [{ ruleId: 'a', channel: 'email', template: 'x', recipients: ['carla'] }],
      }),
    });
    const failures: { reason?: string; willRetry: boolean }[] = [];
    loop.on('effect.failed', (e) => failures.push(e));
    await loop.capture(answer());
    await loop.idle();
    expect(failures).toEqual([expect.objectContaining({ reason: 'no template "x"', willRetry: false })]);
    await loop.close();
  });
});
