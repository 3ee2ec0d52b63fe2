/**
 * Test harness for anything that talks to the API: a real server on the test file's own database,
 * and typed clients signed in as fresh users.
 */
import { createSwarmClient, type SwarmClient } from '@swarm/client';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { afterAll, beforeAll } from 'vitest';
import { type StartApiServerOptions, startApiServer } from './server.ts';

export interface ApiHarness {
  url: string;
  database: ReturnType<typeof useTestDatabase>;
  /** An anonymous client. */
  anonymous(): SwarmClient;
  /** Signs up a new user and returns a client authenticated as them. */
  signUp(
    email?: string,
    password?: string,
  ): Promise<{ client: SwarmClient; user: { id: string; email: string }; token: string }>;
}

let userCounter = 0;

export function useApiServer(options: Omit<StartApiServerOptions, 'databaseUrl'> = {}): ApiHarness {
  const database = useTestDatabase();
  let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
  const harness: ApiHarness = {
    url: '',
    database,
    anonymous: () => createSwarmClient({ url: harness.url }),
    async signUp(
      email = `user${++userCounter}-${Date.now()}@example.com`,
      password = 'correct horse battery',
    ) {
      const { user, token } = await harness.anonymous().auth.signup.mutate({ email, password });
      return { client: createSwarmClient({ url: harness.url, token }), user, token };
    },
  };
  beforeAll(async () => {
    server = await startApiServer({ databaseUrl: database.url, ...options });
    harness.url = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });
  return harness;
}
