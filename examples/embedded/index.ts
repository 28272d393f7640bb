import { runExample } from './loop.ts';

const { dir, case: c } = await runExample();
process.stdout.write(
  `Case ${c.id}: ${c.status}, root cause "${c.rootCause}", customer informed at ${c.customerInformedAt}\n`,
);
for (const entry of c.audit) {
  process.stdout.write(
    `  ${entry.at}  ${entry.actor.padEnd(6)} ${entry.action}${entry.field ? ` ${entry.field}: ${entry.before} → ${entry.after}` : ''}\n`,
  );
}
process.stdout.write(`Emails written to ${dir}/mail\n`);
