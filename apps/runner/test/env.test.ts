import { describe, expect, it } from 'vitest';
import { parseRunnerEnv } from '../src/env.ts';

const base = { DATABASE_URL: 'postgres://localhost/swarm' };

describe('runner environment', () => {
  it('remembers accepted webhook deliveries for WEBHOOK_IDEMPOTENCY_DAYS (7 by default, whole days from 1 to 365)', () => {
    expect(parseRunnerEnv(base).WEBHOOK_IDEMPOTENCY_DAYS).toBe(7);
    expect(parseRunnerEnv({ ...base, WEBHOOK_IDEMPOTENCY_DAYS: '14' }).WEBHOOK_IDEMPOTENCY_DAYS).toBe(14);
    for (const bad of ['0', '1.5', '366', 'a week'])
      expect(() => parseRunnerEnv({ ...base, WEBHOOK_IDEMPOTENCY_DAYS: bad }), bad).toThrow(
        /WEBHOOK_IDEMPOTENCY_DAYS:/,
      );
  });
});
