/**
 * The group committer alone, with a commit function the test releases by hand: which items go
 * together, and what happens when a batch fails.
 */
import { describe, expect, it } from 'vitest';
import { createGroupCommitter, type GroupCommitter } from './group-commit.ts';

/** A commit function that records its batches and waits until the test releases each one. */
function heldCommits(answer: (item: string) => string = (item) => item.toUpperCase()) {
  const batches: string[][] = [];
  const releases: Array<(failure?: Error) => void> = [];
  let arrived: (() => void) | null = null;
  const commit = (items: string[]) => {
    batches.push(items);
    arrived?.();
    return new Promise<PromiseSettledResult<string>[]>((resolve, reject) => {
      releases.push((failure) => {
        if (failure) reject(failure);
        else
          resolve(
            items.map((item) =>
              item.startsWith('bad')
                ? { status: 'rejected', reason: new Error(`${item} refused`) }
                : { status: 'fulfilled', value: answer(item) },
            ),
          );
      });
    });
  };
  /** Resolves once `count` batches have reached the commit function. */
  const batchesArrived = async (count: number) => {
    while (batches.length < count) await new Promise<void>((resolve) => (arrived = resolve));
  };
  return { commit, batches, releases, batchesArrived };
}

/**
 * Items committed as the second batch: `a` goes alone first, `items` arrive while it commits, and
 * once it is released they reach the commit function together (not released yet).
 */
async function secondBatch(
  held: ReturnType<typeof heldCommits>,
  committer: GroupCommitter<string, string>,
  items: string[],
) {
  const first = committer.submit('a');
  await held.batchesArrived(1);
  const batch = items.map((item) => committer.submit(item));
  held.releases[0]!();
  await first;
  await held.batchesArrived(2);
  return batch;
}

/** Each item's answer, or its error's message. */
async function outcomes(batch: Promise<string>[]): Promise<string[]> {
  const settled = await Promise.allSettled(batch);
  return settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message));
}

describe('createGroupCommitter', () => {
  it('sends the first item at once and batches the items that arrive while it commits', async () => {
    const held = heldCommits();
    const committer = createGroupCommitter({ commit: held.commit, maxBatch: 3 });
    const first = committer.submit('a');
    await held.batchesArrived(1);
    expect(held.batches).toEqual([['a']]);
    const later = ['b', 'c', 'd', 'e'].map((item) => committer.submit(item));
    held.releases[0]!();
    expect(await first).toBe('A');
    await held.batchesArrived(2);
    held.releases[1]!();
    await held.batchesArrived(3);
    held.releases[2]!();
    expect(await Promise.all(later)).toEqual(['B', 'C', 'D', 'E']);
    // Capped at maxBatch; the rest waited for the next one.
    expect(held.batches).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('answers each item of a batch on its own, a refused one included', async () => {
    const held = heldCommits();
    const committer = createGroupCommitter({ commit: held.commit });
    const batch = await secondBatch(held, committer, ['b', 'bad-c', 'd']);
    held.releases[1]!();
    expect(await outcomes(batch)).toEqual(['B', 'bad-c refused', 'D']);
    expect(held.batches).toEqual([['a'], ['b', 'bad-c', 'd']]);
  });

  it('retries the items of a failed batch one by one, so one failure does not fail the others', async () => {
    const held = heldCommits();
    const failedBatches: number[] = [];
    const committer = createGroupCommitter({
      commit: held.commit,
      onBatchFailed: (_error, size) => failedBatches.push(size),
    });
    const batch = await secondBatch(held, committer, ['b', 'c', 'd']);
    held.releases[1]!(new Error('the transaction failed'));
    await held.batchesArrived(5);
    expect(held.batches.slice(2)).toEqual([['b'], ['c'], ['d']]);
    held.releases[2]!();
    held.releases[3]!(new Error('c breaks a statement'));
    held.releases[4]!();
    expect(await outcomes(batch)).toEqual(['B', 'c breaks a statement', 'D']);
    expect(failedBatches).toEqual([3]);
  });
});
