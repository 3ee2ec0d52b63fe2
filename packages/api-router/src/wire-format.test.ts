/** The fast path writes exactly what superjson writes, for plain JSON and for everything else. */
import { type SeededRandom, testRandom } from '@swarm/engine/testing/seeded-random';
import superjson from 'superjson';
import { describe, expect, test } from 'vitest';
import { serialize, wireTransformer } from './wire-format.ts';

const KEYS = ['a', 'id', 'x.y', 'config', '', 'ünï', '0'];

/** Plain JSON, or (when `exotic`) JSON salted with values superjson annotates. */
function randomValue(random: SeededRandom, exotic: boolean, shared: object[], depth = 4): unknown {
  const kind = random.int(0, depth > 0 ? 7 : 4);
  if (exotic && random.next() < 0.08) {
    const reused = shared.length > 0 ? random.pick(shared) : {};
    return random.pick<() => unknown>([
      () => undefined,
      () => new Date(random.int(0, 2 ** 40)),
      () => Number.NaN,
      () => -0,
      () => Number.POSITIVE_INFINITY,
      () => BigInt(random.int(0, 1000)),
      () => new Map([['k', random.int(0, 9)]]),
      () => new Set([random.int(0, 9)]),
      () => reused,
      () => Object.assign(Object.create(null), { k: 1 }),
      // biome-ignore lint/suspicious/noSparseArray: a hole is one of the cases under test
      () => [1, , 3],
    ])();
  }
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random.next() < 0.5;
    case 2:
      return random.int(-1e6, 1e6) / random.pick([1, 7, 1000]);
    case 3:
      return random.pick(KEYS);
    case 4:
      return `${random.int(0, 1e9)}`;
    case 5:
    case 6: {
      const array = Array.from({ length: random.int(0, 4) }, () =>
        randomValue(random, exotic, shared, depth - 1),
      );
      shared.push(array);
      return array;
    }
    default: {
      const object: Record<string, unknown> = {};
      for (let i = random.int(0, 4); i > 0; i--)
        object[random.pick(KEYS)] = randomValue(random, exotic, shared, depth - 1);
      shared.push(object);
      return object;
    }
  }
}

describe('wire format', () => {
  test.each([
    ['plain JSON', false],
    ['JSON with Dates, undefined, NaN, -0, BigInts, Maps, Sets, holes and shared objects', true],
  ])('%s serializes exactly as superjson does, and reads back the same', (_, exotic) => {
    const random = testRandom();
    let fastPaths = 0;
    for (let i = 0; i < 400; i++) {
      const value = randomValue(random, exotic, []);
      const expected = superjson.serialize(value);
      const actual = serialize(value);
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
      expect(actual).toEqual(expected);
      expect(wireTransformer.deserialize(JSON.parse(JSON.stringify(actual)))).toEqual(
        superjson.deserialize(JSON.parse(JSON.stringify(expected))),
      );
      if (!('meta' in expected)) fastPaths++;
    }
    // Both kinds of input occur: the check is not vacuous.
    if (!exotic) expect(fastPaths).toBe(400);
    else expect(fastPaths).toBeLessThan(400);
  });

  test('a key superjson refuses is refused as before', () => {
    const value = JSON.parse('{"a":{"__proto__":{"polluted":true}}}');
    expect(() => superjson.serialize(value)).toThrow(/prototype pollution/);
    expect(() => serialize(value)).toThrow(/prototype pollution/);
  });

  test("the same object twice keeps superjson's referential annotation", () => {
    const node = { id: 'n1' };
    const value = { nodes: [node], agents: [node] };
    expect(serialize(value)).toEqual(superjson.serialize(value));
    expect(serialize(value).meta?.referentialEqualities).toBeDefined();
  });
});
