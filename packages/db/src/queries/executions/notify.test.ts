import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRunEventFeed, type RunEventSignal } from '../../run-events.ts';
import { registerRunWatcher } from '../run-watchers.ts';
import { finishExecution, recordStepFinished, recordStepStarted } from './index.ts';
import { finishedStep, useRunTestKit } from './test-kit.ts';

const { database, ownerWithWorkflow, startRun, claimed } = useRunTestKit();

describe('run events', () => {
  it('notifies listeners of exactly the committed changes of the run they watch', async () => {
    const feed = createRunEventFeed(database.sql);
    await feed.start();
    try {
      const owner = await ownerWithWorkflow();
      const { id } = await startRun(owner);
      const other = await startRun(owner);
      const seen: RunEventSignal[] = [];
      const unsubscribe = feed.subscribe(id, (notice) => seen.push(notice));
      // Both runs are watched (events go out only for watched runs: run-watchers.test.ts).
      for (const executionId of [id, other.id])
        await registerRunWatcher(database.db, {
          executionId,
          ownerId: owner.ownerId,
          watcherId: randomUUID(),
        });
      const run = await claimed(id);
      await claimed(other.id);
      await recordStepStarted(database.db, run, {
        nodeId: 'input',
        nodeType: 'input',
        input: {},
        startedAt: new Date(),
      });
      await recordStepFinished(database.db, run, finishedStep('input'));
      await finishExecution(database.db, run, { status: 'succeeded', output: null, error: null });
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(4);
      expect(seen.map((n) => [n.kind, 'seq' in n ? n.seq : null])).toEqual([
        ['status', 1],
        ['step', 2],
        ['step', 3],
        ['status', 4],
      ]);
      unsubscribe();
    } finally {
      await feed.stop();
    }
  });
});
