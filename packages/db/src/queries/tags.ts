/** Colour-coded tags: owned by a user, reused across that user's workflows. */
import { ConflictError, NotFoundError } from '@swarm/engine';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { isUniqueViolation } from '../errors.ts';
import { tags, workflows, workflowTags } from '../schema/index.ts';

export interface Tag {
  id: string;
  name: string;
  color: string;
}

export const tagColumns = { id: tags.id, name: tags.name, color: tags.color };

function nameTaken(name: string) {
  return new ConflictError(`a tag named "${name}" already exists`);
}

export async function listTags(db: DbOrTx, ownerId: string) {
  return db
    .select({
      ...tagColumns,
      workflowCount: sql<number>`(select count(*)::int from workflow_tags wt where wt.tag_id = ${tags.id})`,
    })
    .from(tags)
    .where(eq(tags.ownerId, ownerId))
    .orderBy(asc(sql`lower(${tags.name})`));
}

export async function createTag(
  db: DbOrTx,
  ownerId: string,
  input: { name: string; color: string },
): Promise<Tag> {
  try {
    const [row] = await db
      .insert(tags)
      .values({ ownerId, ...input })
      .returning(tagColumns);
    return row!;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

export async function updateTag(
  db: DbOrTx,
  ownerId: string,
  id: string,
  patch: { name?: string | undefined; color?: string | undefined },
): Promise<Tag> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  try {
    const [row] =
      Object.keys(set).length > 0
        ? await db
            .update(tags)
            .set(set)
            .where(and(eq(tags.id, id), eq(tags.ownerId, ownerId)))
            .returning(tagColumns)
        : await db
            .select(tagColumns)
            .from(tags)
            .where(and(eq(tags.id, id), eq(tags.ownerId, ownerId)));
    if (!row) throw new NotFoundError('tag');
    return row;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(patch.name ?? '');
    throw error;
  }
}

export async function deleteTag(db: DbOrTx, ownerId: string, id: string): Promise<void> {
  const rows = await db
    .delete(tags)
    .where(and(eq(tags.id, id), eq(tags.ownerId, ownerId)))
    .returning({ id: tags.id });
  if (rows.length === 0) throw new NotFoundError('tag');
}

/** Both the workflow and the tag must be the caller's; anything else is "not found". */
async function assertOwnsWorkflowAndTag(db: DbOrTx, ownerId: string, workflowId: string, tagId: string) {
  const [wf] = await db
    .select({ id: workflows.id })
    .from(workflows)
    .where(and(eq(workflows.id, workflowId), eq(workflows.ownerId, ownerId)));
  if (!wf) throw new NotFoundError('workflow');
  const [tag] = await db
    .select({ id: tags.id })
    .from(tags)
    .where(and(eq(tags.id, tagId), eq(tags.ownerId, ownerId)));
  if (!tag) throw new NotFoundError('tag');
}

export async function attachTag(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  tagId: string,
): Promise<void> {
  await assertOwnsWorkflowAndTag(db, ownerId, workflowId, tagId);
  await db.insert(workflowTags).values({ workflowId, tagId }).onConflictDoNothing();
}

export async function detachTag(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  tagId: string,
): Promise<void> {
  await assertOwnsWorkflowAndTag(db, ownerId, workflowId, tagId);
  await db
    .delete(workflowTags)
    .where(and(eq(workflowTags.workflowId, workflowId), eq(workflowTags.tagId, tagId)));
}

/** Tags of several workflows at once, grouped by workflow id. */
export async function tagsByWorkflow(db: DbOrTx, workflowIds: string[]): Promise<Map<string, Tag[]>> {
  const byWorkflow = new Map<string, Tag[]>(workflowIds.map((id) => [id, []]));
  if (workflowIds.length === 0) return byWorkflow;
  const rows = await db
    .select({ workflowId: workflowTags.workflowId, ...tagColumns })
    .from(workflowTags)
    .innerJoin(tags, eq(tags.id, workflowTags.tagId))
    .where(inArray(workflowTags.workflowId, workflowIds))
    .orderBy(asc(sql`lower(${tags.name})`));
  for (const { workflowId, ...tag } of rows) byWorkflow.get(workflowId)?.push(tag);
  return byWorkflow;
}
