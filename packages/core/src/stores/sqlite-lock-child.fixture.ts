// Child process for the SQLite lock test: opens the store, says so, and holds it until killed.
import { sqliteStore } from './sqlite.ts';

const store = sqliteStore({ path: process.argv[2]! });
await store.init();
process.stdout.write('ready\n');
setInterval(() => {}, 1_000);
