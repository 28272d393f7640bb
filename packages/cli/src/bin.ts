#!/usr/bin/env node
import { main } from './main.ts';

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`closedloop: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
