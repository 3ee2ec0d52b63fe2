/** Workflows: the draft definition and its metadata, always scoped to the owner. */
import { NotFoundError, type WorkflowDefinition } from '@swarm/engine';
import { and, desc, eq, ilike, inArray, or, type SQL, sql } from 'drizzle-orm';
import { type DbOrTx, inTransaction } from '../client.ts';
import { announceInvalidation } from '../invalidation.ts';
import { workflows, workflowTags } from '../schema/index.ts';
import { encodeKeysetCursor, keysetPage, olderThanCursor } from './keyset.ts';
import { assertErrorWorkflowTarget } from './notifications/channels.ts';
import { type Tag, tagsByWorkflow } from './tags.ts';
import { WEBHOOK_INVALIDATION_TOPIC } from './webhooks/index.ts';

export interface Workflow {
  id: string;
  name: string;
  description: string;
  category: string;
  tags: Tag[];
  definition: WorkflowDefinition;
  createdAt: Date;
  updatedAt: Date;
}

export type WorkflowSummary = Omit<Workflow, 'definition'> & { nodeCount: number };

const summaryColumns = {
  id: workflows.id,
  name: workflows.name,
  description: workflows.description,
  category: workflows.category,
  createdAt: workflows.createdAt,
  updatedAt: workflows.updatedAt,
  nodeCount: sql<number>`coalesce(jsonb_array_length(${workflows.definition}->'nodes'), 0)`,
};
const { nodeCount: _, ...rowColumns } = summaryColumns;
const workflowColumns = { ...rowColumns, definition: workflows.definition };

const ownedBy = (ownerId: string, id: string) => and(eq(workflows.id, id), eq(workflows.ownerId, ownerId));

export async function getWorkflow(db: DbOrTx, ownerId: string, id: string): Promise<Workflow> {
  const [row] = await db.select(workflowColumns).from(workflows).where(ownedBy(ownerId, id));
  if (!row) throw new NotFoundError('workflow');
  const tags = await tagsByWorkflow(db, [id]);
  return { ...row, tags: tags.get(id) ?? [] };
}

export async function createWorkflow(
  db: DbOrTx,
  ownerId: string,
  input: { name: string; description?: string; category?: string; definition: WorkflowDefinition },
): Promise<Workflow> {
  await assertErrorWorkflowTarget(db, ownerId, '', input.definition.settings?.onFailure);
  const [row] = await db
    .insert(workflows)
    .values({ ownerId, ...input })
    .returning(workflowColumns);
  return { ...row!, tags: [] };
}

export async function updateWorkflow(
  db: DbOrTx,
  ownerId: string,
  id: string,
  patch: { name?: string; description?: string; category?: string; definition?: WorkflowDefinition },
): Promise<Workflow> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  await assertErrorWorkflowTarget(db, ownerId, id, patch.definition?.settings?.onFailure);
  const rows = await db
    .update(workflows)
    .set({ ...set, updatedAt: sql`now()` })
    .where(ownedBy(ownerId, id))
    .returning({ id: workflows.id });
  if (rows.length === 0) throw new NotFoundError('workflow');
  return getWorkflow(db, ownerId, id);
}

export async function deleteWorkflow(db: DbOrTx, ownerId: string, id: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const rows = await tx.delete(workflows).where(ownedBy(ownerId, id)).returning({ id: workflows.id });
    if (rows.length === 0) throw new NotFoundError('workflow');
    // Its webhooks go with it (cascade): API processes must stop answering them.
    await announceInvalidation(tx, WEBHOOK_INVALIDATION_TOPIC);
  });
}

/** Copies a workflow's draft, metadata and tags into a new workflow of the same owner. */
export async function cloneWorkflow(
  db: DbOrTx,
  ownerId: string,
  id: string,
  name?: string,
): Promise<Workflow> {
  const source = await getWorkflow(db, ownerId, id);
  const copy = await createWorkflow(db, ownerId, {
    name: name ?? `${source.name} (copy)`,
    description: source.description,
    category: source.category,
    definition: source.definition,
  });
  if (source.tags.length > 0) {
    await db.insert(workflowTags).values(source.tags.map((tag) => ({ workflowId: copy.id, tagId: tag.id })));
  }
  return { ...copy, tags: source.tags };
}

export interface ListWorkflowsOptions {
  /** Case-insensitive match on name, description or category. */
  search?: string | undefined;
  /** Only workflows carrying every one of these tags. */
  tagIds?: string[] | undefined;
  cursor?: string | null | undefined;
  limit?: number | undefined;
}

/** Most recently updated first; keyset pagination on (updated_at, id) so pages never overlap. */
export async function listWorkflows(
  db: DbOrTx,
  ownerId: string,
  options: ListWorkflowsOptions = {},
): Promise<{ items: WorkflowSummary[]; nextCursor: string | null }> {
  const limit = options.limit ?? 50;
  const filters: SQL[] = [eq(workflows.ownerId, ownerId)];
  const search = options.search?.trim();
  if (search) {
    const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    filters.push(
      or(
        ilike(workflows.name, pattern),
        ilike(workflows.description, pattern),
        ilike(workflows.category, pattern),
      )!,
    );
  }
  const tagIds = [...new Set(options.tagIds ?? [])];
  if (tagIds.length > 0) {
    filters.push(
      sql`(select count(*) from ${workflowTags} where ${workflowTags.workflowId} = ${workflows.id} and ${inArray(workflowTags.tagId, tagIds)}) = ${tagIds.length}`,
    );
  }
  if (options.cursor)
    filters.push(olderThanCursor({ at: workflows.updatedAt, id: workflows.id }, options.cursor));

  const rows = await db
    .select(summaryColumns)
    .from(workflows)
    .where(and(...filters))
    .orderBy(desc(workflows.updatedAt), desc(workflows.id))
    .limit(limit + 1);
  const { page, nextCursor } = keysetPage(rows, limit, (last) =>
    encodeKeysetCursor({ at: last.updatedAt, id: last.id }),
  );
  const tags = await tagsByWorkflow(
    db,
    page.map((row) => row.id),
  );
  return { items: page.map((row) => ({ ...row, tags: tags.get(row.id) ?? [] })), nextCursor };
}
