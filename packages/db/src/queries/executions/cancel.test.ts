import { describe, expect, it } from 'vitest';
import { cancelExecution, claimExecution, finishExecution, recordStepStarted } from './index.ts';
import { useRunTestKit } from './test-kit.ts';

const { database, ownerWithWorkflow, startRun, claimed } = useRunTestKit();

describe('cancelling', () => {
  it('cancels a queued run at once and a running one through its runner; refuses a finished one', async () => {
    const owner = await ownerWithWorkflow();
    const queued = await startRun(owner);
    expect(await cancelExecution(database.db, owner.ownerId, queued.id)).toMatchObject({
      status: 'cancelled',
    });
    expect(await claimExecution(database.db, queued.id)).toEqual({ outcome: 'finished' });

    const running = await startRun(owner);
    const run = await claimed(running.id);
    expect(await cancelExecution(database.db, owner.ownerId, running.id)).toMatchObject({
      status: 'running',
      cancelRequested: true,
    });
    const write = await recordStepStarted(database.db, run, {
      nodeId: 'input',
      nodeType: 'input',
      input: {},
      startedAt: new Date(),
    });
    expect(write).toEqual({ ok: true, cancelRequested: true });
    await finishExecution(database.db, run, { status: 'cancelled', output: null, error: null });

    await expect(cancelExecution(database.db, owner.ownerId, running.id)).rejects.toThrow(
      /already was cancelled/,
    );
    const other = await ownerWithWorkflow();
    await expect(cancelExecution(database.db, other.ownerId, queued.id)).rejects.toThrow(/run not found/);
  });
});
