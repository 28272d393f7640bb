#!/usr/bin/env node
import { main } from './main.ts';

// A reader that stops early (`closedloop … | head`) closes the pipe: stop quietly, no stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`closedloop: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
