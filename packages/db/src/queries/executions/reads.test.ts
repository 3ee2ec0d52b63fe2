import { describe, expect, it } from 'vitest';
import { createWorkflow } from '../workflows.ts';
import { cancelExecution, getExecution, listExecutions } from './index.ts';
import { useRunTestKit } from './test-kit.ts';

const { database, ownerWithWorkflow, startRun } = useRunTestKit();

describe('listing and reading', () => {
  it('pages through the owner’s runs newest first, with filters, and shows nobody else’s', async () => {
    const owner = await ownerWithWorkflow();
    const second = await createWorkflow(database.db, owner.ownerId, {
      name: 'second',
      definition: owner.definition,
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await startRun(owner, { trigger: i % 2 ? 'api' : 'manual' })).id);
    const onSecond = await startRun({ ...owner, workflowId: second.id });
    await cancelExecution(database.db, owner.ownerId, ids[0]!);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listExecutions(database.db, owner.ownerId, { limit: 2, cursor });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen)).toEqual(new Set([...ids, onSecond.id]));

    const ofSecond = await listExecutions(database.db, owner.ownerId, { workflowId: second.id });
    expect(ofSecond.items.map((r) => [r.id, r.workflowName])).toEqual([[onSecond.id, 'second']]);
    const viaApi = await listExecutions(database.db, owner.ownerId, { trigger: 'api' });
    expect(viaApi.items.map((r) => r.id).sort()).toEqual([ids[1], ids[3]].sort());
    const cancelled = await listExecutions(database.db, owner.ownerId, { status: 'cancelled' });
    expect(cancelled.items.map((r) => r.id)).toEqual([ids[0]]);

    const stranger = await ownerWithWorkflow();
    expect((await listExecutions(database.db, stranger.ownerId)).items).toEqual([]);
    await expect(getExecution(database.db, stranger.ownerId, ids[1]!)).rejects.toThrow(/run not found/);
    await expect(listExecutions(database.db, owner.ownerId, { cursor: 'nonsense' })).rejects.toThrow(
      /cursor/,
    );
  });
});
