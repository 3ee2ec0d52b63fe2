/** First-start content: a demo account with the sample multi-agent workflow, for empty databases only. */
import { SAMPLE_WORKFLOW_NAME, sampleWorkflowDefinition } from '@swarm/engine';
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { createTag } from './queries/tags.ts';
import { countUsers, createUser, type PublicUser } from './queries/users.ts';
import { createWorkflow } from './queries/workflows.ts';
import { workflowTags } from './schema/index.ts';

/**
 * Creates the demo user, a "sample" tag and the sample workflow — but only when the database has no
 * users at all, checked under a lock so two processes starting at once seed once. Returns the user
 * it created, or null when the database already had users.
 */
export async function seedDemoAccount(
  db: Db,
  account: { email: string; name: string; passwordHash: string },
): Promise<PublicUser | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('swarm:seed'))`);
    if ((await countUsers(tx)) > 0) return null;
    const user = await createUser(tx, account);
    const tag = await createTag(tx, user.id, { name: 'sample', color: '#7c3aed' });
    const workflow = await createWorkflow(tx, user.id, {
      name: SAMPLE_WORKFLOW_NAME,
      description: 'Two agents research and critique in parallel; a writer turns both into a brief.',
      category: 'research',
      definition: sampleWorkflowDefinition(),
    });
    await tx.insert(workflowTags).values({ workflowId: workflow.id, tagId: tag.id });
    return user;
  });
}
