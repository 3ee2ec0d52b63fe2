import { sampleWorkflowDefinition } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/vitest.ts';
import { attachTag, createTag } from './tags.ts';
import { createUser } from './users.ts';
import { createWorkflow, listWorkflows, updateWorkflow } from './workflows.ts';

const database = useTestDatabase();

async function someUser(email: string) {
  return createUser(database.db, { email, name: '', passwordHash: 'x' });
}

describe('listWorkflows', () => {
  it('pages through every workflow exactly once, newest update first', async () => {
    const user = await someUser('pager@example.com');
    const created = [];
    for (let i = 0; i < 7; i++) {
      created.push(
        await createWorkflow(database.db, user.id, { name: `wf ${i}`, definition: { nodes: [], edges: [] } }),
      );
    }
    // Touch one so it moves to the front.
    await updateWorkflow(database.db, user.id, created[2]!.id, { name: 'renamed' });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listWorkflows(database.db, user.id, { limit: 3, cursor });
      seen.push(...page.items.map((w) => w.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect(seen[0]).toBe('renamed');
  });

  it('filters by search text (wildcards taken literally) and by all selected tags', async () => {
    const user = await someUser('filter@example.com');
    const definition = sampleWorkflowDefinition();
    const a = await createWorkflow(database.db, user.id, { name: 'Alpha 100%', definition });
    const b = await createWorkflow(database.db, user.id, {
      name: 'Beta',
      description: 'alpha inside',
      definition,
    });
    await createWorkflow(database.db, user.id, { name: 'Gamma', definition });
    const red = await createTag(database.db, user.id, { name: 'red', color: '#ff0000' });
    const blue = await createTag(database.db, user.id, { name: 'blue', color: '#0000ff' });
    await attachTag(database.db, user.id, a.id, red.id);
    await attachTag(database.db, user.id, a.id, blue.id);
    await attachTag(database.db, user.id, b.id, red.id);

    const names = async (options: Parameters<typeof listWorkflows>[2]) =>
      (await listWorkflows(database.db, user.id, options)).items.map((w) => w.name).sort();
    expect(await names({ search: 'ALPHA' })).toEqual(['Alpha 100%', 'Beta']);
    expect(await names({ search: '100%' })).toEqual(['Alpha 100%']);
    expect(await names({ search: '%' })).toEqual(['Alpha 100%']);
    expect(await names({ tagIds: [red.id] })).toEqual(['Alpha 100%', 'Beta']);
    expect(await names({ tagIds: [red.id, blue.id] })).toEqual(['Alpha 100%']);
    const [first] = (await listWorkflows(database.db, user.id, { tagIds: [blue.id] })).items;
    expect(first?.tags.map((t) => t.name)).toEqual(['blue', 'red']);
    expect(first?.nodeCount).toBe(definition.nodes.length);
  });
});
