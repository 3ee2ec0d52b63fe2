import { checkWorkflowDefinition, SAMPLE_WORKFLOW_NAME } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { listWorkflows } from './queries/workflows.ts';
import { seedDemoAccount } from './seed.ts';
import { useTestDatabase } from './testing/vitest.ts';

const database = useTestDatabase();

describe('seedDemoAccount', () => {
  it('seeds an empty database once: the demo user, a valid sample workflow and its tag', async () => {
    const account = { email: 'demo@swarm.local', name: 'Demo', passwordHash: 'hash' };
    const [first, second] = await Promise.all([
      seedDemoAccount(database.db, account),
      seedDemoAccount(database.db, { ...account, email: 'other@swarm.local' }),
    ]);
    // Two starters racing: exactly one seeds.
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const user = (first ?? second)!;

    const { items } = await listWorkflows(database.db, user.id);
    expect(items.map((w) => ({ name: w.name, tags: w.tags.map((t) => t.name) }))).toEqual([
      { name: SAMPLE_WORKFLOW_NAME, tags: ['sample'] },
    ]);
    const [row] = await database.sql`select definition from workflows`;
    expect(checkWorkflowDefinition(row!.definition).valid).toBe(true);
    expect(await seedDemoAccount(database.db, account)).toBeNull();
  });
});
