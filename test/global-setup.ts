import type { TestProject } from 'vitest/node';
import { startTestPostgres } from './helpers/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run's PostgreSQL server (superuser `postgres`). */
    postgresUrl: string;
  }
}

/** One PostgreSQL server for the whole test run: started before the first file, stopped after the last. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestPostgres();
  project.provide('postgresUrl', server.url);
  return async () => {
    await server.stop();
  };
}
