/**
 * The shorter fault drills, at small sizes, as part of `pnpm test`: a webhook burst with replays and
 * forgeries, a runner frozen (SIGSTOP) past its claim then woken, and one tenant's hostile
 * expressions beside another's runs. The full-size drills, and the
 * SIGKILL / SIGTERM / Postgres-restart ones, run with `pnpm drill` (SIGKILL and SIGTERM are also
 * covered by apps/runner/test/processes.test.ts; the 503 mapping by apps/api/test/unavailable.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { poisonExpression } from './poison-expression.ts';
import { runnerSigstop } from './runner-sigstop.ts';
import { webhookBurst } from './webhook-burst.ts';

describe('fault drills (small)', () => {
  it('webhook burst: one run per new message, none for replays or forgeries', async () => {
    const result = await webhookBurst.run({ requests: 200, concurrency: 20 });
    expect(result.failures).toEqual([]);
  }, 90_000);

  // Frozen between writes (settleMs): the fencing itself. `pnpm drill runner-sigstop` freezes it while
  // it writes (settleMs 0), inside transactions and often mid-statement: the takeover waits until a
  // live process ends the stalled session (packages/db/src/client.test.ts covers that part alone).
  it('SIGSTOP past the claim, then SIGCONT: taken over, finished once, stale writes fenced', async () => {
    const result = await runnerSigstop.run({ runs: 4, stepMs: 5000, settleMs: 500 });
    expect(result.failures).toEqual([]);
  }, 120_000);

  // Latency and /healthz bars are reported, not asserted, here (`pnpm drill poison-expression` applies them).
  it("poison expressions: one tenant's blocking and memory-hungry runs and webhook calls fail alone", async () => {
    const result = await poisonExpression.run({
      ordinaryPerSecond: 10,
      seconds: 4,
      poisonRuns: 2,
      poisonCalls: 2,
      timingBars: 0,
    });
    expect(result.failures).toEqual([]);
  }, 180_000);
});
