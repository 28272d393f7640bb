// Nothing readable where it should not be: a failing SMTP delivery on a real Temporal dev server
// leaves no customer address in the workflow history, in plain text or encoded.
import { execFileSync } from 'node:child_process';
import { emailConnector } from '@closedloop/connectors';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type TestSmtp, testSmtp } from '../../connectors/src/__tests__/smtp.ts';
import { createTemporalClosedLoop, workflowIdOf } from './client.ts';
import { privateDataConverter } from './codec.ts';
import { eventually, startDevServer, temporalCli, testCodec, testDecider, testOrg } from './test-kit.ts';
import { bundleLoopWorkflows, createClosedLoopWorker } from './worker.ts';

const TASK_QUEUE = 'closedloop-privacy';
const CUSTOMER = 'irene.rechazo-3391@example.es';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let smtp: TestSmtp;
let loop: ReturnType<typeof createTemporalClosedLoop>;

beforeAll(async () => {
  env = await startDevServer();
  smtp = await testSmtp({ tls: false });
  worker = await createClosedLoopWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    dataConverter: privateDataConverter(testCodec()),
    workflowBundle: await bundleLoopWorkflows(),
    decider: testDecider(),
    contact: { requireConsent: true },
    connectors: [
      emailConnector({
        from: 'care@shop.example',
        transport: { host: '127.0.0.1', port: smtp.port, secure: false },
      }),
    ],
    ...testOrg,
  });
  running = worker.run();
  loop = createTemporalClosedLoop({
    connection: env.connection,
    taskQueue: TASK_QUEUE,
    dataConverter: privateDataConverter(testCodec()),
  });
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await smtp?.stop();
  await env?.teardown();
});

const cli = (...args: string[]) =>
  execFileSync(temporalCli(), [...args, '--address', env.address, '-o', 'json'], { encoding: 'utf8' });

describe('Temporal histories', { timeout: 60_000 }, () => {
  test('a mail server rejecting the customer leaves no address in the history or the failure', async () => {
    smtp.failNext({ stage: 'rcpt', code: 550, message: `5.1.1 <${CUSTOMER}>: Recipient address rejected` });
    const { loopId } = await loop.capture({
      source: { tool: 'typeform', responseId: 'privacy-smtp-1' },
      customer: { email: CUSTOMER, name: 'Irene Rechazo', segment: 'spain' },
      nps: 10,
      consent: true,
      comment: 'Todo perfecto 3391',
      language: 'es',
    });
    const workflowId = workflowIdOf({ loopId });
    // The thank-you was tried and refused for good (5xx): a failed activity in the history.
    const history = await eventually(() => {
      const h = cli('workflow', 'show', '--workflow-id', workflowId);
      return /ACTIVITY_TASK_FAILED|ActivityTaskFailed/.test(h) ? h : undefined;
    });
    const described = cli('workflow', 'describe', '--workflow-id', workflowId);
    for (const text of [history, described]) {
      expect(text).not.toContain(CUSTOMER);
      expect(text).not.toContain('irene.rechazo');
      expect(text).not.toContain('Recipient address rejected');
      expect(text).not.toContain('Todo perfecto');
    }
    // The message and stack travel encrypted (encodeCommonAttributes), for those who hold the key.
    const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const failure = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes
      ?.failure;
    expect(failure?.message).toBe('Encoded failure');
    expect(failure?.stackTrace ?? '').toBe('');
    expect(failure?.encodedAttributes?.metadata?.encoding).toBeDefined();
    expect(Buffer.from(failure!.encodedAttributes!.metadata!.encoding!).toString()).toBe('binary/encrypted');
  });

  test('contact.requireConsent on the worker: no message after the fix without consent, the case log says why', async () => {
    const { case: c, loopId } = await loop.capture({
      source: { tool: 'typeform', responseId: 'privacy-consent-1' },
      customer: { email: 'sin.consentimiento-5521@example.es', segment: 'spain' },
      nps: 2,
      comment: 'Llegó tarde',
      language: 'es',
    });
    await loop.cases.resolve(c!.id, { rootCause: 'courier' }, { actor: 'ana' });
    await loop.cases.inform(c!.id, { message: 'Lo sentimos' }, { actor: 'ana' });
    const handle = env.client.workflow.getHandle(workflowIdOf({ loopId }));
    await eventually(async () => (await handle.describe()).status.name === 'COMPLETED');
    const after = await loop.cases.get(c!.id);
    expect(after.customerInformedAt).toBeUndefined();
    expect(after.audit.at(-1)).toMatchObject({
      action: 'suppressed',
      note: 'message to the customer not sent: the program requires consent (contact.requireConsent) and the answer carries none',
    });
    expect(smtp.received.some((r) => r.rcpt.includes('sin.consentimiento-5521@example.es'))).toBe(false);
    expect(smtp.received.some((r) => r.rcpt.includes('ana@example.com'))).toBe(true);
  });
});
