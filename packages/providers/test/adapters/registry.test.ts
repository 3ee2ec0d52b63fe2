import { PROVIDER_IDS } from '@swarm/engine';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdapters } from '../../src/registry.ts';
import { ProviderConfigError } from '../../src/types.ts';

const server = setupServer();
let requests = 0;
beforeAll(() => {
  server.listen({ onUnhandledFrame: 'error' });
  server.events.on('request:start', () => {
    requests++;
  });
});
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const hello = { messages: [{ role: 'user' as const, content: 'hello' }] };

describe('createAdapters', () => {
  it('builds one adapter per provider without needing any key up front', () => {
    const adapters = createAdapters({});
    expect(Object.keys(adapters).sort()).toEqual([...PROVIDER_IDS].sort());
    for (const id of PROVIDER_IDS) expect(adapters[id].id).toBe(id);
  });

  it('fails a provider without a key only when it is used, naming the setting, before any request', async () => {
    requests = 0;
    server.use(http.post(/.*/, () => HttpResponse.json({})));
    const adapters = createAdapters({ openai: { apiKey: 'sk-test' } });
    const settings = { openai: undefined, anthropic: 'ANTHROPIC_API_KEY', gemini: 'GEMINI_API_KEY' } as const;
    for (const provider of ['anthropic', 'gemini'] as const) {
      const call = adapters[provider].chat({ provider, model: 'any', ...hello });
      await expect(call).rejects.toBeInstanceOf(ProviderConfigError);
      await expect(call).rejects.toMatchObject({ provider, setting: settings[provider] });
    }
    expect(requests).toBe(0);
  });

  it('runs the mock provider with no configuration and no network', async () => {
    requests = 0;
    const result = await createAdapters().mock.chat({ provider: 'mock', model: 'echo', ...hello });
    expect(result.text).toBe('hello');
    expect(requests).toBe(0);
  });
});
