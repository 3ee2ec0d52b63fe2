/** `@swarm/client` against a real API server: the README's usage, and how errors surface. */
import { createSwarmClient, isSwarmError } from '@swarm/client';
import { sampleWorkflowDefinition } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';

const api = useApiServer();

describe('createSwarmClient against a real API server', () => {
  it('works the way the README shows: an API token, then typed calls', async () => {
    // A person signs up in the browser and creates an API token for their script…
    const { user, token: sessionToken } = await api.anonymous().auth.signup.mutate({
      email: 'script-owner@example.com',
      password: 'a long password',
    });
    const { token } = await createSwarmClient({
      url: api.url,
      token: sessionToken,
    }).auth.createApiToken.mutate({
      name: 'nightly import',
    });

    // …and the script uses only that token.
    const swarm = createSwarmClient({ url: `${api.url}/`, token });
    const created = await swarm.workflows.create.mutate({
      name: 'From a script',
      definition: sampleWorkflowDefinition(),
    });
    const { items } = await swarm.workflows.list.query({ search: 'script' });
    expect(items.map((w) => w.id)).toEqual([created.id]);
    expect(items[0]!.createdAt).toBeInstanceOf(Date); // superjson keeps Dates as Dates
    expect((await swarm.auth.me.query()).id).toBe(user.id);
  });

  it('surfaces API errors with their code and failing paths', async () => {
    const error = await createSwarmClient({ url: api.url })
      .workflows.list.query()
      .catch((e: unknown) => e);
    expect(isSwarmError(error) && error.data?.code).toBe('UNAUTHORIZED');
  });
});
