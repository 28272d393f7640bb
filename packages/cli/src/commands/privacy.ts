import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { CONFIG_HELP, loadConfig } from '@closedloop/config';
import {
  addDoNotContact,
  type CustomerRef,
  type ErasureResult,
  isDoNotContact,
  parseCustomerRef,
  type RetentionReport,
  removeDoNotContact,
  runRetention,
} from '@closedloop/core';
import type { Command } from 'commander';
import { retentionPolicyOf } from '../serve/retention-job.ts';
import { createRuntime } from '../serve/runtime.ts';
import type { DataIo } from './data.ts';

const processIo: DataIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progress: false,
};

export interface PersonCliOptions {
  config?: string;
  email?: string;
  customerId?: string;
}

function personOf(opts: PersonCliOptions): CustomerRef {
  if (opts.email === undefined && opts.customerId === undefined) {
    throw new Error('Name the person with --email <address> or --customer-id <id>');
  }
  return parseCustomerRef(
    opts.email !== undefined && opts.customerId === undefined
      ? { email: opts.email }
      : opts.customerId !== undefined && opts.email === undefined
        ? { customerId: opts.customerId }
        : { email: opts.email, customerId: opts.customerId },
  );
}

/** `closedloop privacy erase`: erases one customer from the config's store (GDPR art. 17). */
export async function erasePerson(
  opts: PersonCliOptions & { actor?: string },
  io: DataIo = processIo,
): Promise<ErasureResult> {
  const person = personOf(opts);
  const runtime = createRuntime(loadConfig(opts.config), { logger: () => {} });
  try {
    const result = await runtime.loop.privacy.erase(person, {
      actor: opts.actor ?? `cli:${userInfo().username}`,
    });
    if (!result.erased) io.out('Nothing is held about this person: nothing erased.\n');
    else {
      const c = result.counts;
      io.out(
        `Erased: ${c.feedback} feedback, ${c.cases} case(s), ${c.loops} loop(s) (${c.closedLoops} closed), ${c.deliveries} outbox row(s) (${c.cancelledDeliveries} not sent). Receipt ${result.receipt!.id}.\n`,
      );
    }
    return result;
  } finally {
    await runtime.close();
  }
}

/** `closedloop privacy export`: everything held about one customer, as JSON (GDPR art. 15). */
export async function exportPerson(
  opts: PersonCliOptions & { out?: string },
  io: DataIo = processIo,
): Promise<void> {
  const person = personOf(opts);
  const runtime = createRuntime(loadConfig(opts.config), { logger: () => {} });
  try {
    const text = `${JSON.stringify(await runtime.loop.privacy.export(person), null, 2)}\n`;
    if (opts.out) {
      writeFileSync(opts.out, text, { mode: 0o600 });
      io.err(`Written to ${opts.out}\n`);
    } else io.out(text);
  } finally {
    await runtime.close();
  }
}

/** `closedloop privacy dnc add|remove|check --email`: the do-not-contact list. */
export async function doNotContact(
  action: 'add' | 'remove' | 'check',
  opts: { config?: string; email?: string; actor?: string },
  io: DataIo = processIo,
): Promise<boolean> {
  const person = personOf(opts);
  if (!('email' in person)) throw new Error('The do-not-contact list holds emails: give --email <address>');
  const runtime = createRuntime(loadConfig(opts.config), { logger: () => {} });
  try {
    const docs = runtime.loop.store.documents;
    if (action === 'add') {
      await addDoNotContact(docs, person.email, {
        source: 'cli',
        actor: opts.actor ?? `cli:${userInfo().username}`,
      });
    } else if (action === 'remove') await removeDoNotContact(docs, person.email);
    const listed = await isDoNotContact(docs, person.email);
    io.out(listed ? 'On the do-not-contact list.\n' : 'Not on the do-not-contact list.\n');
    return listed;
  } finally {
    await runtime.close();
  }
}

/** `closedloop privacy retention`: anonymises what the config's `retention` says has expired. */
export async function retention(
  opts: { config?: string; dryRun?: boolean; batchSize?: number },
  io: DataIo = processIo,
): Promise<RetentionReport> {
  const config = loadConfig(opts.config);
  const policy = retentionPolicyOf(config);
  if (!policy) {
    throw new Error(
      'retention: the config has no retention policy; add e.g. "retention": { "comments": "P18M" }',
    );
  }
  const runtime = createRuntime(config, { logger: () => {} });
  try {
    const report = await runRetention(runtime.loop.store, policy, {
      dryRun: opts.dryRun === true,
      batchSize: opts.batchSize ?? config.retention?.batchSize ?? 200,
    });
    const a = report.anonymised;
    io.out(
      `${report.dryRun ? 'Would anonymise' : 'Anonymised'} (${report.scanned} loops looked at): ${a.comments} comment(s), ${a.identity} identit(ies), ${a.closedCases} closed case(s), ${a.logs} loop(s) of outbox rows.\n`,
    );
    return report;
  } finally {
    await runtime.close();
  }
}

export function registerPrivacyCommands(program: Command, io: DataIo = processIo): void {
  const privacy = program
    .command('privacy')
    .description('GDPR: erase a customer, export what is held about them');
  const person = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', CONFIG_HELP)
      .option('--email <address>', "the customer's email")
      .option('--customer-id <id>', "the customer's id in the survey tool or CRM");
  person(privacy.command('erase'))
    .description(
      "erase the customer's personal data everywhere in the store (scores stay); records a receipt",
    )
    .option('--actor <who>', 'who asks, for the receipt (default: cli:<your user name>)')
    .action(async (opts: PersonCliOptions & { actor?: string }) => {
      await erasePerson(opts, io);
    });
  person(privacy.command('export'))
    .description('everything held about the customer, as JSON')
    .option('-o, --out <file>', 'write to a file (mode 600) instead of standard output')
    .action(async (opts: PersonCliOptions & { out?: string }) => {
      await exportPerson(opts, io);
    });
  const dnc = privacy
    .command('dnc')
    .description('the do-not-contact list (customer mail is never sent to it)');
  for (const action of ['add', 'remove', 'check'] as const) {
    dnc
      .command(action)
      .description(
        {
          add: 'never email this customer again',
          remove: 'take the customer off the list',
          check: 'is the customer listed?',
        }[action],
      )
      .option('-c, --config <file>', CONFIG_HELP)
      .requiredOption('--email <address>', "the customer's email")
      .option('--actor <who>', 'who records it (default: cli:<your user name>)')
      .action(async (opts: { config?: string; email: string; actor?: string }) => {
        await doNotContact(action, opts, io);
      });
  }
}
