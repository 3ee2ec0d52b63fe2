import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from './nodes/agent.ts';
import { isProviderId, PROVIDER_IDS } from './provider-ids.ts';

describe('provider ids', () => {
  it('narrows exactly the listed ids, case and spelling included', () => {
    for (const id of PROVIDER_IDS) expect(isProviderId(id)).toBe(true);
    for (const other of ['', 'OpenAI', 'openia', 'azure', 'mock ']) expect(isProviderId(other)).toBe(false);
  });

  it('are the ones an agent node accepts', () => {
    const config = (provider: string) =>
      agentConfigSchema.safeParse({ role: 'r', provider, model: 'm', prompt: 'p' }).success;
    for (const id of PROVIDER_IDS) expect(config(id)).toBe(true);
    expect(config('azure')).toBe(false);
  });
});
