import { Command, InvalidArgumentError } from 'commander';
import { registerDataCommands } from './commands/data.ts';
import { registerLearnCommands } from './commands/learn.ts';
import { registerPrivacyCommands } from './commands/privacy.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerRulesCommands } from './commands/rules.ts';
import { runDemo } from './demo/run.ts';
import { registerTokensCommand } from './serve/auth/tokens-command.ts';
import { registerServeCommand } from './serve/command.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`"${value}" is not a positive whole number.`);
  return n;
}

/** Builds the `closedloop` command line. */
export function createProgram(): Command {
  const program = new Command('closedloop')
    .description('closedloop: the closed feedback loop of customer experience, in your own stack')
    .showHelpAfterError();
  program
    .command('demo')
    .description(
      'run the whole loop on the embedded runtime: 200 responses, cases, SLA escalation, emails as .eml files',
    )
    .option('--dir <folder>', 'where to put the SQLite file and the emails (default: a new temp folder)')
    .option('--responses <n>', 'number of survey responses', positiveInt, 200)
    .option('--speed <n>', 'demo clock speed: clock milliseconds per real millisecond', positiveInt, 7200)
    .action(async (opts: { dir?: string; responses: number; speed: number }) => {
      await runDemo({ dir: opts.dir, responses: opts.responses, speed: opts.speed });
    });
  registerRulesCommands(program);
  registerDataCommands(program);
  registerReportCommand(program);
  registerLearnCommands(program);
  registerPrivacyCommands(program);
  registerServeCommand(program);
  registerTokensCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv);
}
