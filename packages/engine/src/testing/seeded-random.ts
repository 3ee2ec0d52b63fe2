/**
 * Random test data that can be replayed. Each test run draws a fresh seed (so runs keep exploring),
 * prints it when a test using it fails, and `SWARM_TEST_SEED=<seed>` replays exactly those draws.
 */
import { randomInt } from 'node:crypto';
import { onTestFailed } from 'vitest';

export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1), like `Math.random()`. */
  next(): number;
  /** An integer in [min, max], both ends included. */
  int(min: number, max: number): number;
  /** One of `items`, which must not be empty. */
  pick<T>(items: readonly T[]): T;
}

const SEED_VARIABLE = 'SWARM_TEST_SEED';

/** mulberry32: a tiny 32-bit generator, plenty for test data (not for anything secret). */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick(items) {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
  };
}

/**
 * A generator for the current test: seeded from SWARM_TEST_SEED when set, else freshly; the seed
 * is printed if the test fails. Call it inside a test (it registers an `onTestFailed` hook).
 */
export function testRandom(): SeededRandom {
  const fromEnvironment = process.env[SEED_VARIABLE];
  const seed = fromEnvironment ? Number(fromEnvironment) : randomInt(2 ** 32);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error(`${SEED_VARIABLE} must be an integer 0–4294967295, got "${fromEnvironment}"`);
  }
  onTestFailed(({ task }) => {
    console.error(`"${task.name}" drew random data from seed ${seed}: rerun with ${SEED_VARIABLE}=${seed}`);
  });
  return seededRandom(seed);
}
