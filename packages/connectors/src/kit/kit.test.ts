import { DeliveryError, type Effect } from '@closedloop/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SecretSchema } from '../secrets.ts';
import { sampleEffect } from '../testing/index.ts';
import { abortable, defineConnector, lazy, loadOptionalPeer, withTimeout } from './index.ts';

const ctx = (signal = new AbortController().signal) => ({ attempt: 1, signal });

// A connector written once on the kit: it records what it was asked to send.
function recorder(onSend: (effect: Effect, token: string, signal: AbortSignal) => Promise<void>) {
  return defineConnector({
    name: 'pager',
    schema: z.object({
      name: z.string().optional(),
      url: z.url(),
      token: SecretSchema,
      channels: z.array(z.string()).optional(),
    }),
    capabilities: ['alert', 'syncCase'],
    classify: (err) => new DeliveryError(`pager: ${String(err)}`, { retryable: false, cause: err }),
    setup({ config, secret }) {
      const token = secret(config.token, 'token');
      const channels = config.channels ?? ['pager'];
      return {
        accepts: (effect) => effect.type !== 'alert' || channels.includes(effect.channel),
        deliver: (effect, { signal }) => onSend(effect, token, signal),
      };
    },
  });
}

const pagerAlert = { ...sampleEffect('alert'), channel: 'pager' };

describe('defineConnector', () => {
  it('a bad config fails naming the connector and the field', () => {
    const pager = recorder(async () => {});
    expect(() => pager({ url: 'pager.example', token: 't' })).toThrowErrorMatchingInlineSnapshot(
      `[ConnectorConfigError: pager: url: Invalid URL]`,
    );
    expect(() =>
      pager({ name: 'pager:oncall', url: 'https://pager.example', token: { env: 'PAGER_TOKEN' }, env: {} }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[ConnectorConfigError: pager:oncall: token: environment variable PAGER_TOKEN is not set: export it before starting closedloop]`,
    );
  });

  it('reads { env } secrets from the given environment', async () => {
    const tokens: string[] = [];
    const pager = recorder(async (_e, token) => {
      tokens.push(token);
    });
    const c = pager({
      url: 'https://pager.example',
      token: { env: 'PAGER_TOKEN' },
      env: { PAGER_TOKEN: 's3' },
    });
    await c.deliver(pagerAlert, ctx());
    expect(tokens).toEqual(['s3']);
  });

  it('delivers each effect key once, joining concurrent deliveries', async () => {
    const sent: string[] = [];
    const c = recorder(async (e) => {
      sent.push(e.key);
    })({ url: 'https://pager.example', token: 't' });
    await Promise.all([c.deliver(pagerAlert, ctx()), c.deliver(pagerAlert, ctx())]);
    await c.deliver(pagerAlert, ctx());
    expect(sent).toEqual([pagerAlert.key]);
  });

  it('skips effect types not declared and effects not accepted, without recording them', async () => {
    const sent: string[] = [];
    const c = recorder(async (e) => {
      sent.push(`${e.type}:${e.type === 'alert' ? e.channel : ''}`);
    })({ url: 'https://pager.example', token: 't' });
    await c.deliver(sampleEffect('notify'), ctx());
    await c.deliver(sampleEffect('alert'), ctx()); // channel 'email': not ours
    await c.deliver(pagerAlert, ctx()); // same key, our channel: delivered
    expect(sent).toEqual(['alert:pager']);
  });

  it('an aborted delivery is retryable and never starts', async () => {
    let started = false;
    const c = recorder(async () => {
      started = true;
    })({ url: 'https://pager.example', token: 't' });
    const err = await c.deliver(pagerAlert, ctx(AbortSignal.abort())).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'DeliveryError', retryable: true, message: 'pager: delivery aborted' });
    expect(started).toBe(false);
  });

  it('an abort during the call wins over what the SDK threw', async () => {
    const ac = new AbortController();
    const c = recorder(async (_e, _t, signal) => {
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('socket hang up'))),
      );
    })({ url: 'https://pager.example', token: 't' });
    const delivery = c.deliver(pagerAlert, ctx(ac.signal));
    ac.abort();
    await expect(delivery).rejects.toMatchObject({ retryable: true, message: 'pager: delivery aborted' });
  });

  it('classifies SDK errors, passes DeliveryErrors through, and retries after a failure', async () => {
    let fail: unknown = new Error('boom');
    const c = recorder(async () => {
      if (fail) throw fail;
    })({ url: 'https://pager.example', token: 't' });
    await expect(c.deliver(pagerAlert, ctx())).rejects.toMatchObject({
      retryable: false,
      message: 'pager: Error: boom',
    });
    fail = new DeliveryError('pager: HTTP 503', { retryable: true, retryAfterMs: 2000 });
    await expect(c.deliver(pagerAlert, ctx())).rejects.toBe(fail);
    fail = undefined;
    await expect(c.deliver(pagerAlert, ctx())).resolves.toBeUndefined();
  });

  it('a failing health check is { ok: false } with the classified message', async () => {
    const c = defineConnector({
      name: 'pager',
      schema: z.object({ name: z.string().optional() }),
      capabilities: ['alert'],
      setup: () => ({
        deliver: async () => {},
        health: () => Promise.reject(new DeliveryError('pager: HTTP 401', { retryable: false })),
      }),
    })({});
    expect(await c.health?.()).toEqual({ ok: false, detail: 'pager: HTTP 401' });
  });
});

describe('loadOptionalPeer', () => {
  it('a missing optional package is a permanent error that says what to install', async () => {
    const err = await loadOptionalPeer('@closedloop/not-an-installed-sdk').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({
      retryable: false,
      message:
        'the optional package @closedloop/not-an-installed-sdk is not installed: install it next to @closedloop/connectors (pnpm add @closedloop/not-an-installed-sdk)',
    });
  });

  it('a connector whose SDK is missing fails its deliveries with the install hint', async () => {
    const c = defineConnector({
      name: 'crm',
      schema: z.object({ name: z.string().optional() }),
      capabilities: ['syncCase'],
      setup: () => ({
        async deliver() {
          await loadOptionalPeer('@closedloop/not-an-installed-crm-sdk');
        },
      }),
    })({});
    await expect(c.deliver(sampleEffect('syncCase'), ctx())).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('pnpm add @closedloop/not-an-installed-crm-sdk'),
    });
  });

  it('loads an installed package', async () => {
    const zod = await loadOptionalPeer<typeof import('zod')>('zod');
    expect(typeof zod.z.object).toBe('function');
  });
});

describe('lazy and abortable', () => {
  it('lazy keeps a value and forgets a failure', async () => {
    let calls = 0;
    const value = lazy(async () => {
      calls += 1;
      if (calls === 1) throw new Error('not yet');
      return calls;
    });
    await expect(value()).rejects.toThrow('not yet');
    expect(await value()).toBe(2);
    expect(await value()).toBe(2);
  });

  it('abortable rejects with the abort reason while the work still runs', async () => {
    const ac = new AbortController();
    const work = new Promise<string>(() => {});
    const waiting = abortable(work, ac.signal);
    ac.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    await expect(abortable(Promise.resolve('done'), new AbortController().signal)).resolves.toBe('done');
  });

  it('withTimeout turns running out of time into a retryable DeliveryError and aborts the work', async () => {
    let seen: AbortSignal | undefined;
    const err = await withTimeout('crm', 20, new AbortController().signal, (signal) => {
      seen = signal;
      return new Promise(() => {});
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'DeliveryError',
      retryable: true,
      message: 'crm: no answer within 20 ms',
    });
    expect(seen?.aborted).toBe(true);
  });
});
