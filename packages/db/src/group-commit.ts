/**
 * Group commit: items submitted while a batch is being committed wait and then go together as the
 * next batch, so concurrent callers share one transaction — one commit and set-based statements —
 * instead of each paying its own round trips and commit. No timer: the first item of a quiet period
 * goes at once, so a lone call waits for nothing, and batches grow only as fast as calls arrive
 * while the database is busy with the previous one.
 */

export interface GroupCommitter<Item, Result> {
  /** Commits `item` with whatever else is waiting; settles with its own answer. */
  submit(item: Item): Promise<Result>;
}

export interface GroupCommitterOptions<Item, Result> {
  /**
   * Commits a batch in one transaction and answers each item, in order (rejected: that item
   * failed on its own). Throwing fails the whole batch, which is then retried item by item.
   */
  commit: (items: Item[]) => Promise<PromiseSettledResult<Result>[]>;
  /** The most items in one batch (bounds a transaction's size and how long its locks are held). */
  maxBatch?: number;
  /** A batch failed as a whole and is being retried item by item. */
  onBatchFailed?: (error: unknown, size: number) => void;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (reason: unknown) => void;
}

export function createGroupCommitter<Item, Result>(
  options: GroupCommitterOptions<Item, Result>,
): GroupCommitter<Item, Result> {
  const maxBatch = options.maxBatch ?? 100;
  const waiting: Waiting<Item, Result>[] = [];
  let committing = false;

  // Settles every item of the batch; never throws.
  async function commitBatch(batch: Waiting<Item, Result>[]): Promise<void> {
    let answers: PromiseSettledResult<Result>[];
    try {
      answers = await options.commit(batch.map((entry) => entry.item));
      if (answers.length !== batch.length)
        throw new Error(`${answers.length} answers for ${batch.length} items`);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One bad item must not fail the items it happened to be batched with (a statement only its
      // row breaks, a deadlock, a lost connection …): each is tried again alone, in a transaction
      // of its own, and only the failures that are really its own reach its caller.
      options.onBatchFailed?.(error, batch.length);
      await Promise.all(batch.map((entry) => commitBatch([entry])));
      return;
    }
    answers.forEach((answer, i) => {
      if (answer.status === 'fulfilled') batch[i]!.resolve(answer.value);
      else batch[i]!.reject(answer.reason);
    });
  }

  async function drain(): Promise<void> {
    committing = true;
    try {
      while (waiting.length > 0) await commitBatch(waiting.splice(0, maxBatch));
    } finally {
      committing = false;
    }
  }

  return {
    submit(item) {
      return new Promise<Result>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (!committing) void drain();
      });
    },
  };
}
