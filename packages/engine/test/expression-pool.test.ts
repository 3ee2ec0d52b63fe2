/**
 * Hostile expressions in the worker-process pool: one that blocks in a single builtin call, one that
 * eats memory, one that outlives its deadline — each fails alone with an error naming its limit,
 * while this process's event loop keeps turning and other evaluations (and runs) carry on.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExpressionPool, createNodeRegistry, runWorkflow } from '../src/server.ts';
import { recordingHooks, workflow } from './support.ts';

/** The expression that froze runners and the API: one `$pad` call building a 200 MB string. */
const PAD_BOMB = '$length($pad("", 200000000, "x"))';
/** `IN_ONE_CALL` building its own data (jsonata's time check may stop it while it builds). */
const BLOCKING = '$count($distinct([1..100000].{"a": $}))';
/** A hundred thousand distinct 1 MB strings: far past any worker's heap. */
const MEMORY_HUNGRY = '$count([1..100000].$uppercase($pad($string($), 1000000, "x")))';
/**
 * One builtin call that runs for minutes in little memory (`$distinct` compares every pair), its
 * data sent built: all of its time is inside that call, where jsonata's own time check never runs.
 */
const IN_ONE_CALL = '$count($distinct(items))';
const DISTINCT_ITEMS = { items: Array.from({ length: 100_000 }, (_, a) => ({ a })) };
const LIMIT = /ran longer than \d+ ms|more than the \d+ MB of memory|over the limit of \d+ characters/;
/** Waits for a condition the pool reaches by itself (a worker booting, a job starting). */
async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Counts event-loop turns from now until it is stopped: zero would mean the loop was blocked. */
function countLoopTurns(): () => number {
  let turns = 0;
  let counting = true;
  const turn = () => {
    turns++;
    if (counting) setImmediate(turn);
  };
  setImmediate(turn);
  return () => {
    counting = false;
    return turns;
  };
}

describe('expression pool', () => {
  const pool = createExpressionPool({ workers: 2, heapMb: 64 });
  afterAll(() => pool.close());

  it('fails the $pad bomb at once, and a blocking and a memory-hungry expression alone while the loop and other evaluations go on', async () => {
    // The 200 MB `$pad` is refused by the bounded `$pad` itself, at once, and its worker lives on.
    const replacedAtStart = pool.stats().replaced;
    await expect(pool.evaluate(PAD_BOMB, {})).rejects.toThrow(
      'expression failed: $pad to 200000000 characters is over the limit of 1000000 characters',
    );
    expect(pool.stats().replaced).toBe(replacedAtStart);
    for (const [hostile, data] of [
      [IN_ONE_CALL, DISTINCT_ITEMS],
      [MEMORY_HUNGRY, {}],
    ] as const) {
      // Two workers up, so the ordinary evaluation below never waits for a process to boot.
      await Promise.all([pool.evaluate('1', {}), pool.evaluate('2', {})]);
      const replacedBefore = pool.stats().replaced;
      // Limits that let each reach what it tests even on a saturated machine (where a demoted
      // worker crawls and the ordinary evaluation below waits for a core): the blocking one its
      // hard deadline after the ordinary one is answered, the eater its heap cap.
      const stopCounting = countLoopTurns();
      const poisoned = pool.evaluate(hostile, data, {
        limits: { timeoutMs: hostile === MEMORY_HUNGRY ? 20_000 : 8_000 },
      });
      // Handled from the start: the eater may fail before the ordinary evaluation is answered.
      const ended = Promise.allSettled([poisoned]);
      const ordinary = pool.evaluate('input.n * 2', { input: { n: 21 } }).then((value) => ({ value }));
      if (hostile === IN_ONE_CALL) {
        // Sent after the blocking one, it finishes first: another worker takes it.
        const first = await Promise.race([
          ordinary,
          poisoned.then(
            () => ({ value: 'the hostile expression finished first' }),
            () => ({ value: 'the hostile expression failed first' }),
          ),
        ]);
        expect(first).toEqual({ value: 42 });
      } else {
        // The eater may reach its heap cap within milliseconds, before a busy machine has answered
        // the ordinary one; whichever ends first, its death takes nothing else with it.
        expect(await ordinary).toEqual({ value: 42 });
      }
      const [result] = await ended;
      // Counted from when the hostile expression was sent until it and the ordinary one ended.
      const turns = stopCounting();
      expect(result!.status).toBe('rejected');
      expect(String((result as PromiseRejectedResult).reason.message)).toMatch(
        hostile === IN_ONE_CALL
          ? 'expression ran longer than 8000 ms and was stopped (its worker was ended)'
          : /more than the \d+ MB of memory/,
      );
      expect(turns).toBeGreaterThan(10);
      // Its worker was ended and the pool keeps serving.
      expect(pool.stats().replaced).toBeGreaterThan(replacedBefore);
      expect(await pool.evaluate('"still here"', {})).toBe('still here');
    }
  });

  it('ends a worker that outlives the hard deadline, even inside one builtin call', async () => {
    const strict = createExpressionPool({ workers: 1, heapMb: 512, terminateGraceMs: 0 });
    try {
      // The data arrives built, so the time goes to the one `$distinct` call, where jsonata's own
      // check never runs.
      await expect(
        strict.evaluate(IN_ONE_CALL, DISTINCT_ITEMS, { limits: { timeoutMs: 20 } }),
      ).rejects.toThrow('expression ran longer than 20 ms and was stopped (its worker was ended)');
      expect(strict.stats().replaced).toBe(1);
      expect(await strict.evaluate('1 + 1', {})).toBe(2);
    } finally {
      await strict.close();
    }
  });

  it('caps the data sent in and the result sent back', async () => {
    const small = createExpressionPool({ workers: 1, maxInputBytes: 1_000, maxOutputBytes: 1_000 });
    try {
      await expect(small.evaluate('$', { text: 'x'.repeat(2_000) })).rejects.toThrow(
        /expression data is 2\d{3} bytes, over the limit of 1000 bytes/,
      );
      await expect(small.evaluate('$pad("", 5000, "x")', {})).rejects.toThrow(
        'expression result is 5002 bytes, over the limit of 1000 bytes',
      );
      expect(await small.evaluate('$length(text)', { text: 'x'.repeat(500) })).toBe(500);
    } finally {
      await small.close();
    }
  });

  it('refuses new work with a clear error when its queue is full', async () => {
    const tiny = createExpressionPool({ workers: 1, maxQueue: 2 });
    try {
      const slow = '( $f := function($x){ $f($x) }; $f(1) )';
      const evaluateSlow = () => tiny.evaluate(slow, {}, { limits: { timeoutMs: 200 } }).catch(String);
      const running = [evaluateSlow()];
      await until(() => tiny.stats().busy === 1);
      running.push(evaluateSlow(), evaluateSlow());
      // One runs, two wait: the fourth finds the queue full.
      await expect(tiny.evaluate('1', {})).rejects.toThrow(
        'too many expressions are waiting to be evaluated (2 queued); try again shortly',
      );
      expect(await Promise.all(running)).toEqual(
        Array(3).fill(expect.stringContaining('ran longer than 200 ms')),
      );
    } finally {
      await tiny.close();
    }
  });

  it("holds one tenant to its share of the workers: another tenant's evaluation does not wait behind it", async () => {
    const fair = createExpressionPool({ workers: 2, maxPerTenant: 1 });
    try {
      // Both workers up first, and each attacker's run long enough that the bystander's answer
      // beats it even when a saturated machine makes one round trip slow.
      await Promise.all([fair.evaluate('1', {}), fair.evaluate('2', {})]);
      const slow = '( $f := function($x){ $f($x) }; $f(1) )';
      const finished: string[] = [];
      const attacker = [1, 2, 3].map((i) =>
        fair
          .evaluate(slow, {}, { tenant: 'attacker', limits: { timeoutMs: 2_000 } })
          .catch(() => finished.push(`attacker ${i}`)),
      );
      // The attacker holds one worker and queues the rest; the other tenant gets the second worker.
      expect(await fair.evaluate('"mine"', {}, { tenant: 'bystander' })).toBe('mine');
      finished.push('bystander');
      await Promise.all(attacker);
      expect(finished).toEqual(['bystander', 'attacker 1', 'attacker 2', 'attacker 3']);
      expect(fair.stats().workers).toBeLessThanOrEqual(2);
    } finally {
      await fair.close();
    }
  });

  it("refuses a tenant's evaluations for a while once they keep getting stopped at their limits", async () => {
    const guarded = createExpressionPool({ workers: 2, pauseAfterLosses: 2, terminateGraceMs: 0 });
    try {
      // Each is stopped by the hard deadline (its worker ended), inside one builtin call: with 50 ms,
      // not 1, jsonata's own check does not get there first on a busy machine (before the call).
      for (let i = 0; i < 2; i++)
        await expect(
          guarded.evaluate(IN_ONE_CALL, DISTINCT_ITEMS, { tenant: 'looper', limits: { timeoutMs: 50 } }),
        ).rejects.toThrow('and was stopped');
      await expect(guarded.evaluate('1', {}, { tenant: 'looper' })).rejects.toThrow(
        /^expression refused: this account's expressions were stopped at their limits 2 times in the last minute \(last: .*(ran longer than 50 ms|MB of memory).*\); new ones are refused for \d+ s$/,
      );
      expect(await guarded.evaluate('1', {}, { tenant: 'someone else' })).toBe(1);
    } finally {
      await guarded.close();
    }
  });

  it("keeps the last idle worker for others once a tenant's expressions have been stopped", async () => {
    const shared = createExpressionPool({ workers: 2, maxPerTenant: 2, terminateGraceMs: 0 });
    try {
      await expect(
        shared.evaluate(IN_ONE_CALL, DISTINCT_ITEMS, { tenant: 'attacker', limits: { timeoutMs: 50 } }),
      ).rejects.toThrow('and was stopped');
      const finished: string[] = [];
      const attacker = [1, 2].map((i) =>
        shared
          .evaluate(IN_ONE_CALL, DISTINCT_ITEMS, { tenant: 'attacker', limits: { timeoutMs: 2_000 } })
          .catch(() => finished.push(`attacker ${i}`)),
      );
      await until(() => shared.stats().busy === 1);
      // Under its cap of two, the attacker still leaves the second worker idle: the bystander takes it
      // instead of waiting for the attacker's evaluations to be stopped.
      expect(await shared.evaluate('"mine"', {}, { tenant: 'bystander' })).toBe('mine');
      finished.push('bystander');
      await Promise.all(attacker);
      expect(finished).toEqual(['bystander', 'attacker 1', 'attacker 2']);
    } finally {
      await shared.close();
    }
  });

  it('gives up with a clear error when its workers cannot start, instead of spawning in a loop', async () => {
    // A 1 MB heap: Node dies while booting.
    const broken = createExpressionPool({ workers: 2, heapMb: 1 });
    try {
      await expect(broken.evaluate('1', {})).rejects.toThrow(
        /^expression workers do not start \(the last one ended with /,
      );
      await expect(broken.evaluate('2', {})).rejects.toThrow('expression workers do not start');
    } finally {
      await broken.close();
    }
  });

  it('demotes a worker by the CPU its evaluation burns, not by the clock: a starved one keeps its priority', async () => {
    const watched = createExpressionPool({ workers: 1, heapMb: 512 });
    try {
      await watched.evaluate('1', {});
      const [pid] = watched.workerPids();
      // Stopped, its evaluation gets no CPU however long it waits (a saturated machine, in the
      // extreme): it is not the spinner that demotion is for. Resumed, it spins and is demoted.
      process.kill(pid!, 'SIGSTOP');
      const stopped = new AbortController();
      const spinning = watched.evaluate(IN_ONE_CALL, DISTINCT_ITEMS, {
        limits: { timeoutMs: 30_000 },
        signal: stopped.signal,
      });
      spinning.catch(() => {});
      await until(() => watched.stats().busy === 1);
      // Several looks at its CPU time pass (every 50 ms of wall time) with nothing to see.
      const lookedAt = performance.now();
      await until(() => performance.now() - lookedAt > 500);
      expect(watched.stats().demoted).toBe(0);
      process.kill(pid!, 'SIGCONT');
      await until(() => watched.stats().demoted === 1);
      stopped.abort();
      await expect(spinning).rejects.toThrow('expression cancelled');
    } finally {
      await watched.close();
    }
  });

  it('stops a running evaluation when its caller aborts', async () => {
    const controller = new AbortController();
    const running = pool.evaluate(
      '( $f := function($x){ $f($x) }; $f(1) )',
      {},
      { signal: controller.signal },
    );
    controller.abort();
    await expect(running).rejects.toThrow('expression cancelled');
  });
});

describe('expression pool channel', () => {
  /** What one of a worker's file descriptors is, seen from outside the worker. */
  const kindOf = (pid: number, fd: number) => {
    const stat = statSync(`/proc/${pid}/fd/${fd}`);
    return stat.isFIFO() ? 'pipe' : stat.isSocket() ? 'socket' : 'other';
  };
  /** Data over a pipe's 64 KB buffer, with characters of 1 to 4 bytes. */
  const bulky = { text: 'aé✓🐝'.repeat(50_000), n: Array.from({ length: 10_000 }, (_, i) => i) };
  const openPipeEnds = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).includes('swarm-expressions-');
      } catch {
        return false; // closed meanwhile (the listing's own descriptor)
      }
    });
  const ownTempDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith('swarm-expressions-'));
  // A temporary directory of this file's own: other test files' pools make theirs meanwhile.
  let sharedTmp: string | undefined;
  beforeAll(() => {
    sharedTmp = process.env.TMPDIR;
    process.env.TMPDIR = mkdtempSync(join(tmpdir(), 'expression-pool-channel-'));
  });
  afterAll(() => {
    const own = process.env.TMPDIR!;
    if (sharedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = sharedTmp;
    rmSync(own, { recursive: true, force: true });
  });

  it.skipIf(process.platform !== 'linux')(
    'carries tasks and answers over two pipes whose names are gone, or over a socket pair',
    async () => {
      const before = { dirs: ownTempDirs(), ends: openPipeEnds() };
      for (const channel of ['pipes', 'socket'] as const) {
        // Without `mkfifo` (as in distroless images) the pool falls back to a socket pair.
        const path = process.env.PATH;
        if (channel === 'socket') process.env.PATH = '/nonexistent';
        const pool = createExpressionPool({ workers: 1 });
        process.env.PATH = path;
        try {
          expect(await pool.evaluate('$', bulky)).toEqual(bulky);
          expect(await pool.evaluate('$length(text)', bulky)).toBe(200_000);
          const [pid] = pool.workerPids();
          if (channel === 'socket') expect(kindOf(pid!, 3)).toBe('socket');
          else {
            expect([kindOf(pid!, 3), kindOf(pid!, 4)]).toEqual(['pipe', 'pipe']);
            // Replacements get pipes too: more of them than were made with the pool.
            let last = pid!;
            for (let kill = 0; kill < 6; kill++) {
              process.kill(last, 'SIGKILL');
              await until(() => pool.workerPids().some((other) => other !== last));
              expect(await pool.evaluate('$length(text)', bulky)).toBe(200_000);
              last = pool.workerPids()[0]!;
              expect([kindOf(last, 3), kindOf(last, 4)]).toEqual(['pipe', 'pipe']);
            }
          }
        } finally {
          await pool.close();
        }
      }
      expect(ownTempDirs()).toEqual(before.dirs);
      // Nor is any end of them left open in this process (other pools' workers hold theirs).
      expect(openPipeEnds()).toEqual(before.ends);
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'workers end when the process that holds the pool dies',
    async () => {
      const poolFile = fileURLToPath(new URL('../src/expression-pool.ts', import.meta.url));
      const holder = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { createExpressionPool } from ${JSON.stringify(poolFile)};
         const pool = createExpressionPool({ workers: 2, maxPerTenant: 2 });
         await Promise.all([pool.evaluate('1', {}), pool.evaluate('2', {})]);
         console.log(JSON.stringify(pool.workerPids()));
         setInterval(() => {}, 1000);`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const [line] = await once(holder.stdout!, 'data');
      const pids = JSON.parse(String(line)) as number[];
      expect(pids.length).toBeGreaterThan(0);
      holder.kill('SIGKILL');
      // A worker left behind would keep its pid (or linger as a zombie nobody reaps).
      const alive = (pid: number) => {
        try {
          return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return false;
        }
      };
      await until(() => !pids.some(alive));
    },
  );
});

describe('transform and condition steps', () => {
  const pool = createExpressionPool({ workers: 2, heapMb: 64 });
  afterAll(() => pool.close());
  const registry = createNodeRegistry();

  for (const [type, hostile] of [
    ['transform', PAD_BOMB],
    ['transform', BLOCKING],
    ['transform', MEMORY_HUNGRY],
    ['condition', PAD_BOMB],
    ['condition', BLOCKING],
    ['condition', MEMORY_HUNGRY],
  ] as const) {
    it(`a ${type} step with a hostile expression fails with the limit it hit; the run beside it succeeds`, async () => {
      const hooks = recordingHooks();
      const poisoned = runWorkflow({
        executionId: 'poisoned',
        definition: workflow(
          [
            { id: 'in', type: 'input' },
            { id: 'bad', type, config: { expression: hostile } },
            { id: 'out', type: 'output' },
          ],
          [['in', 'bad'], type === 'condition' ? ['bad', 'out', 'true'] : ['bad', 'out']],
        ),
        input: {},
        registry,
        services: { expressions: pool },
        hooks: hooks.hooks,
      });
      const ordinary = runWorkflow({
        executionId: 'ordinary',
        definition: workflow(
          [
            { id: 'in', type: 'input' },
            { id: 'double', type: 'transform', config: { expression: 'input.n * 2' } },
            { id: 'out', type: 'output' },
          ],
          [
            ['in', 'double'],
            ['double', 'out'],
          ],
        ),
        input: { n: 21 },
        registry,
        services: { expressions: pool },
      });
      expect(await ordinary).toEqual({ status: 'succeeded', output: { double: 42 }, error: null });
      const outcome = await poisoned;
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatchObject({ code: 'expression_error', nodeId: 'bad' });
      expect(outcome.error?.message).toMatch(LIMIT);
      expect(hooks.step('bad')?.status).toBe('failed');
    });
  }
});
