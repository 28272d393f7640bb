// Starts the real servers the test suite needs (PostgreSQL on loopback) once per run.
// Tests read the server's address with `inject('pgUrl')`.
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the run's throwaway PostgreSQL server (database `postgres`, trust auth). */
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pg = await startPostgres();
  project.provide('pgUrl', pg.url);
  return async () => {
    await pg.stop();
  };
}
