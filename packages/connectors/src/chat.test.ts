import { DeliveryError, type Effect, EffectSchema } from '@closedloop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordedRequest, type TestHttp, testHttp } from './__tests__/http.ts';
import { slackConnector } from './slack.ts';
import { teamsConnector } from './teams.ts';
import { connectorTestKit, sampleEffect } from './testing/index.ts';

const ctx = (attempt = 1) => ({ attempt, signal: new AbortController().signal });
const TOKEN = 'xoxb-test-token';

function slackAlert(patch: Record<string, unknown> = {}): Effect {
  return EffectSchema.parse({
    ...sampleEffect('alert'),
    channel: 'slack',
    recipients: ['#care-team'],
    ...patch,
  });
}

// A stand-in for slack.com/api: checks the bearer token and answers as the Web API does.
function slackApi(req: RecordedRequest) {
  if (req.headers.authorization !== `Bearer ${TOKEN}`)
    return { status: 200, body: { ok: false, error: 'invalid_auth' } };
  if (req.path === '/api/auth.test')
    return { status: 200, body: { ok: true, team: 'Shop', user: 'closedloop' } };
  if (req.path !== '/api/chat.postMessage') return { status: 404, body: 'unknown method' };
  const args = parseArgs(req);
  if (!args.channel) return { status: 200, body: { ok: false, error: 'channel_not_found' } };
  if (!args.text && !args.blocks) return { status: 200, body: { ok: false, error: 'no_text' } };
  return { status: 200, body: { ok: true, channel: 'C0123ABCD', ts: `${Date.now() / 1000}` } };
}

function parseArgs(req: RecordedRequest): Record<string, unknown> {
  if (String(req.headers['content-type']).includes('application/json'))
    return req.json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(req.body)) {
    try {
      out[k] = k === 'blocks' || k === 'metadata' ? JSON.parse(v) : v;
    } catch {
      out[k] = v;
    }
  }
  return out;
}

let api: TestHttp;
let hook: TestHttp;
beforeAll(async () => {
  api = await testHttp(slackApi);
  hook = await testHttp((req) =>
    req.headers['content-type'] === 'application/json' && req.json
      ? { status: 200, body: 'ok' }
      : { status: 400, body: 'invalid_payload' },
  );
});
afterAll(async () => {
  await api.close();
  await hook.close();
});

describe('slack connector, chat.postMessage through @slack/web-api', () => {
  const connector = () =>
    slackConnector({
      mode: { kind: 'api', token: { env: 'T_SLACK' }, channel: '#cx', baseUrl: `${api.url}/api/` },
      caseUrl: 'https://cx.example.com/cases/{{caseId}}',
      env: { T_SLACK: TOKEN },
    });

  it('posts an alert with Block Kit to the channel the alert names', async () => {
    await connector().deliver(slackAlert(), ctx());
    const req = api.requests.at(-1)!;
    expect(req.path).toBe('/api/chat.postMessage');
    const args = parseArgs(req);
    expect(args.channel).toBe('#care-team');
    expect(args.text).toBe('Alert red-flag-delivery: Spain, NPS 3');
    const blocks = args.blocks as { type: string; text?: { text: string } }[];
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(blocks[2]?.text?.text).toBe(
      '>The courier left my parcel in the rain &amp; nobody answered &lt;my&gt; calls.',
    );
    expect(args.metadata).toMatchObject({ event_type: 'closedloop_effect' });
  });

  it('posts a case notification to the default channel with a button to the case', async () => {
    await connector().deliver(sampleEffect('notify'), ctx());
    const args = parseArgs(api.requests.at(-1)!);
    expect(args.channel).toBe('#cx');
    expect(args.text).toBe('[Case CS-1042] New detractor case: priority high, segment Spain');
    expect(JSON.stringify(args.blocks)).toContain('"url":"https://cx.example.com/cases/CS-1042"');
  });

  it('ignores alerts for other channels', async () => {
    const before = api.requests.length;
    await connector().deliver(sampleEffect('alert'), ctx());
    expect(api.requests.length).toBe(before);
  });

  it('classifies Slack errors: 429 with Retry-After, 5xx, and platform errors', async () => {
    const c = connector();
    api.replyNext({
      status: 429,
      headers: { 'retry-after': '3' },
      body: { ok: false, error: 'ratelimited' },
    });
    const rl = (await c.deliver(slackAlert({ key: 'rl' }), ctx()).catch((e: unknown) => e)) as DeliveryError;
    expect(rl).toBeInstanceOf(DeliveryError);
    expect([rl.retryable, rl.retryAfterMs]).toEqual([true, 3000]);
    api.replyNext({ status: 503, body: 'unavailable' });
    const down = (await c
      .deliver(slackAlert({ key: 'down' }), ctx())
      .catch((e: unknown) => e)) as DeliveryError;
    expect(down.retryable).toBe(true);
    api.replyNext({ status: 200, body: { ok: false, error: 'channel_not_found' } });
    const gone = (await c
      .deliver(slackAlert({ key: 'gone' }), ctx())
      .catch((e: unknown) => e)) as DeliveryError;
    expect([gone.retryable, gone.message]).toEqual([false, 'slack: channel_not_found']);
  });

  it('after a partial failure, retries only the channels not yet posted', async () => {
    const c = connector();
    const e = slackAlert({ key: 'two-channels', recipients: ['#care-team', 'C0SPAIN01', 'luis.martin'] });
    const before = api.requests.length;
    api.replyNext({ status: 200, body: { ok: true, channel: 'C0CARE001', ts: '1.1' } });
    api.replyNext({ status: 500, body: 'oops' });
    const err = (await c.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError;
    expect(err.retryable).toBe(true);
    await c.deliver(e, ctx(2));
    const channels = api.requests.slice(before).map((r) => parseArgs(r).channel);
    expect(channels).toEqual(['#care-team', 'C0SPAIN01', 'C0SPAIN01']);
  });

  it('checks its token in health', async () => {
    expect(await connector().health?.()).toEqual({ ok: true, detail: 'token works for closedloop in Shop' });
    const bad = slackConnector({
      mode: { kind: 'api', token: 'nope', channel: '#cx', baseUrl: `${api.url}/api/` },
    });
    expect((await bad.health?.())?.ok).toBe(false);
  });
});

describe('slack connector, incoming webhook', () => {
  it('posts text and blocks to the webhook URL', async () => {
    const c = slackConnector({ mode: { kind: 'webhook', url: `${hook.url}/services/T0/B0/x` } });
    await c.deliver(slackAlert(), ctx());
    const req = hook.requests.at(-1)!;
    expect(req.path).toBe('/services/T0/B0/x');
    expect(req.json).toMatchObject({ text: 'Alert red-flag-delivery: Spain, NPS 3', unfurl_links: false });
  });

  describe('contract test kit', () => {
    // Slack's webhooks carry no idempotency key, so the kit checks errors; de-duplication within a
    // process is checked by the Teams test below (same ledger).
    for (const check of connectorTestKit({
      create: () => slackConnector({ mode: { kind: 'webhook', url: `${hook.url}/kit` } }),
      effects: [slackAlert(), sampleEffect('notify')],
      failNext: (f) =>
        hook.replyNext(
          f === 'transient'
            ? { status: 500 }
            : f === 'permanent'
              ? { status: 404, body: 'no_service' }
              : { status: 429, headers: { 'retry-after': '30' } },
        ),
      retryAfterMs: 30_000,
    })) {
      it(check.name, check.run);
    }
  });
});

describe('teams connector', () => {
  it('posts an Adaptive Card in a message attachment to the workflow URL', async () => {
    const c = teamsConnector({
      url: `${hook.url}/workflows/abc`,
      caseUrl: 'https://cx.example.com/cases/{{caseId}}',
    });
    await c.deliver(sampleEffect('notify'), ctx());
    const body = hook.requests.at(-1)!.json as {
      type: string;
      attachments: { contentType: string; contentUrl: null; content: Record<string, unknown> }[];
    };
    expect(body.type).toBe('message');
    expect(body.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = body.attachments[0]!.content as {
      type: string;
      version: string;
      body: unknown[];
      actions: unknown[];
    };
    expect(card.type).toBe('AdaptiveCard');
    expect(card.version).toBe('1.4');
    expect(card.body[0]).toEqual({
      type: 'TextBlock',
      text: '[Case CS-1042] New detractor case: priority high, segment Spain',
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
    });
    expect(JSON.stringify(card.body)).toContain(
      '{"type":"TextRun","text":"The courier left my parcel in the rain & nobody answered <my> calls."}',
    );
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open case', url: 'https://cx.example.com/cases/CS-1042' },
    ]);
  });

  it('sends teams alerts only, and retries a throttled workflow after Retry-After', async () => {
    const c = teamsConnector({ url: `${hook.url}/workflows/abc` });
    const before = hook.requests.length;
    await c.deliver(sampleEffect('alert'), ctx());
    expect(hook.requests.length).toBe(before);
    hook.replyNext({ status: 429, headers: { 'retry-after': '10' } });
    const teamsAlert = EffectSchema.parse({ ...sampleEffect('alert'), channel: 'teams' });
    const err = (await c.deliver(teamsAlert, ctx()).catch((e: unknown) => e)) as DeliveryError;
    expect([err.retryable, err.retryAfterMs]).toEqual([true, 10_000]);
    await c.deliver(teamsAlert, ctx(2));
    await c.deliver(teamsAlert, ctx(3));
    expect(hook.requests.length).toBe(before + 2);
  });
});
