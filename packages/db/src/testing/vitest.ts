/**
 * Vitest glue for the database harness: `globalSetup` prepares the server and template once per
 * run; `useTestDatabase()` gives the calling test file its own database and drops it afterwards.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { createJobSender } from '../jobs.ts';
import { createTestDatabase, findTestServer, prepareTestTemplate, type TestDatabase } from './index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    swarmAdminUrl: string;
    swarmTemplate: string;
  }
}

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

export async function globalSetup(project: TestProject) {
  const server = await findTestServer(path.resolve(repoRoot));
  const template = await prepareTestTemplate(server.adminUrl);
  project.provide('swarmAdminUrl', server.adminUrl);
  project.provide('swarmTemplate', template);
  return () => server.stop();
}

/**
 * Call at the top of a test file. The returned object is filled in `beforeAll`, so read its
 * fields inside tests and hooks, not at import time.
 */
export function useTestDatabase(): TestDatabase {
  const handle = {} as TestDatabase;
  beforeAll(async () => {
    Object.assign(handle, await createTestDatabase(inject('swarmAdminUrl'), inject('swarmTemplate')));
  });
  afterAll(async () => {
    await handle.drop?.();
  });
  return handle;
}

/**
 * A send-only pg-boss client on the test file's database (`useTestDatabase()`), started before the
 * file's tests and stopped after them. Read `sender`/`boss` inside tests and hooks.
 */
export function useJobSender(database: TestDatabase) {
  let jobs: ReturnType<typeof createJobSender> | undefined;
  beforeAll(async () => {
    jobs = createJobSender(database);
    await jobs.start();
  });
  afterAll(async () => {
    await jobs?.stop();
  });
  return {
    get sender() {
      return jobs!.sender;
    },
    get boss() {
      return jobs!.boss;
    },
  };
}
