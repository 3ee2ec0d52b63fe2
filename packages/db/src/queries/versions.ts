/**
 * Workflow versions, git-like: commit the draft as version N+1 (parent = the previous head), list
 * history with per-version run stats, restore an old version (a new commit, never a rewrite), and
 * name versions with tags. Every function is scoped to the owner: another user's ids are NOT_FOUND.
 *
 * Commits, restores and tag changes lock the workflow row first, so two at once on one workflow
 * take turns (distinct, consecutive numbers; one version per tag) instead of racing.
 */
import { ConflictError, DomainError, NotFoundError, type WorkflowDefinition } from '@swarm/engine';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { executions, users, versionTags, workflows, workflowVersions } from '../schema/index.ts';
import { invalidCursor, keysetPage } from './keyset.ts';

export interface WorkflowVersionSummary {
  id: string;
  workflowId: string;
  number: number;
  parentId: string | null;
  commitMessage: string;
  authorId: string | null;
  /** Null once the author's account is deleted. */
  authorEmail: string | null;
  authorName: string | null;
  /** Tag names on this version, sorted. */
  tags: string[];
  createdAt: Date;
  /** Runs that pinned this version (any status). */
  runCount: number;
  /** Succeeded / finished (succeeded, failed, cancelled) runs of this version; null before any finished. */
  successRate: number | null;
  /** Mean duration of this version's finished runs; null before any finished. */
  avgDurationMs: number | null;
  /**
   * What this version's runs cost (their priced provider attempts), in micro-dollars: the known
   * part when some runs' cost is unknown (`unknownCostRuns`).
   */
  costMicros: number;
  /** Mean cost of the runs whose cost is known; null without any. */
  avgCostMicros: number | null;
  /** Runs with an attempt of unknown cost (no price, or an answer without usage): left out of the average. */
  unknownCostRuns: number;
}

export interface WorkflowVersion extends WorkflowVersionSummary {
  definition: WorkflowDefinition;
}

export const VERSION_TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const summaryColumns = {
  id: workflowVersions.id,
  workflowId: workflowVersions.workflowId,
  number: workflowVersions.number,
  parentId: workflowVersions.parentId,
  commitMessage: workflowVersions.commitMessage,
  authorId: workflowVersions.authorId,
  authorEmail: users.email,
  authorName: users.name,
  createdAt: workflowVersions.createdAt,
};

type VersionStats = Pick<
  WorkflowVersionSummary,
  'runCount' | 'successRate' | 'avgDurationMs' | 'costMicros' | 'avgCostMicros' | 'unknownCostRuns'
>;
const NO_RUNS: VersionStats = {
  runCount: 0,
  successRate: null,
  avgDurationMs: null,
  costMicros: 0,
  avgCostMicros: null,
  unknownCostRuns: 0,
};

/**
 * Stats computed on read from the runs themselves (never counters kept on the version), so they are
 * right however many runs finish at once.
 */
async function statsByVersion(db: DbOrTx, versionIds: string[]): Promise<Map<string, VersionStats>> {
  const map = new Map<string, VersionStats>();
  if (versionIds.length === 0) return map;
  const finished = sql`${executions.status} in ('succeeded', 'failed', 'cancelled')`;
  const rows = await db
    .select({
      versionId: executions.versionId,
      runCount: sql<number>`count(*)::int`,
      finished: sql<number>`(count(*) filter (where ${finished}))::int`,
      succeeded: sql<number>`(count(*) filter (where ${executions.status} = 'succeeded'))::int`,
      avgDurationMs: sql<number | null>`(avg(${executions.durationMs}) filter (where ${finished}))::float8`,
      costMicros: sql<number>`coalesce(sum(${executions.knownCostMicros}), 0)::float8`,
      knownRunsCost: sql<number>`coalesce(sum(${executions.costMicros}), 0)::float8`,
      unknownCostRuns: sql<number>`(count(*) filter (where ${executions.costMicros} is null))::int`,
    })
    .from(executions)
    .where(inArray(executions.versionId, versionIds))
    .groupBy(executions.versionId);
  for (const row of rows)
    map.set(row.versionId!, {
      runCount: row.runCount,
      successRate: row.finished > 0 ? row.succeeded / row.finished : null,
      avgDurationMs: row.avgDurationMs === null ? null : Math.round(row.avgDurationMs),
      costMicros: Number(row.costMicros),
      avgCostMicros:
        row.runCount > row.unknownCostRuns
          ? Math.round(Number(row.knownRunsCost) / (row.runCount - row.unknownCostRuns))
          : null,
      unknownCostRuns: row.unknownCostRuns,
    });
  return map;
}

async function tagsByVersion(db: DbOrTx, versionIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (versionIds.length === 0) return map;
  const rows = await db
    .select({ versionId: versionTags.versionId, tag: versionTags.tag })
    .from(versionTags)
    .where(inArray(versionTags.versionId, versionIds))
    .orderBy(versionTags.tag);
  for (const row of rows) map.set(row.versionId, [...(map.get(row.versionId) ?? []), row.tag]);
  return map;
}

/** The workflow row, locked for this transaction; NOT_FOUND unless the caller owns it. */
async function lockWorkflow(tx: DbOrTx, ownerId: string, workflowId: string) {
  const [row] = await tx
    .select({ id: workflows.id, definition: workflows.definition })
    .from(workflows)
    .where(and(eq(workflows.id, workflowId), eq(workflows.ownerId, ownerId)))
    .for('update');
  if (!row) throw new NotFoundError('workflow');
  return row;
}

export async function getVersion(db: DbOrTx, ownerId: string, versionId: string): Promise<WorkflowVersion> {
  const [row] = await db
    .select({ ...summaryColumns, definition: workflowVersions.definition })
    .from(workflowVersions)
    .innerJoin(workflows, eq(workflows.id, workflowVersions.workflowId))
    .leftJoin(users, eq(users.id, workflowVersions.authorId))
    .where(and(eq(workflowVersions.id, versionId), eq(workflows.ownerId, ownerId)));
  if (!row) throw new NotFoundError('version');
  const tags = await tagsByVersion(db, [row.id]);
  const stats = await statsByVersion(db, [row.id]);
  return { ...row, tags: tags.get(row.id) ?? [], ...(stats.get(row.id) ?? NO_RUNS) };
}

/** A version of this workflow (NOT_FOUND if it belongs to another workflow or another user). */
export async function getWorkflowVersion(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  versionId: string,
): Promise<WorkflowVersion> {
  const version = await getVersion(db, ownerId, versionId);
  if (version.workflowId !== workflowId) throw new NotFoundError('version');
  return version;
}

/** One side of a compare: its definition, and the version it is (null for the draft). */
export interface CompareSide {
  definition: WorkflowDefinition;
  version: { id: string; number: number; commitMessage: string } | null;
}

/**
 * The two sides of a workflow, each a version id or `draft` (the workflow's own definition), for a
 * compare: the definitions and what names a version (its number and message), no tags or run
 * stats, the draft only when it is a side, in two queries that run side by side. NOT_FOUND as
 * `getWorkflow` and `getWorkflowVersion` would be: the workflow unless the caller owns it, a
 * version unless it is one of this workflow's.
 */
export async function getCompareSides(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  sides: readonly [string, string],
): Promise<[CompareSide, CompareSide]> {
  const versionIds = [...new Set(sides.filter((side) => side !== 'draft'))];
  const owned = and(eq(workflows.id, workflowId), eq(workflows.ownerId, ownerId));
  const [[workflow], versions] = await Promise.all([
    sides.includes('draft')
      ? db.select({ definition: workflows.definition }).from(workflows).where(owned)
      : db.select({ definition: sql<null>`null` }).from(workflows).where(owned),
    versionIds.length === 0
      ? []
      : db
          .select({
            id: workflowVersions.id,
            number: workflowVersions.number,
            commitMessage: workflowVersions.commitMessage,
            definition: workflowVersions.definition,
          })
          .from(workflowVersions)
          .where(and(eq(workflowVersions.workflowId, workflowId), inArray(workflowVersions.id, versionIds))),
  ]);
  if (!workflow) throw new NotFoundError('workflow');
  const byId = new Map(versions.map((v) => [v.id, v]));
  const sideOf = (side: string): CompareSide => {
    if (side === 'draft' && workflow.definition) return { definition: workflow.definition, version: null };
    const version = byId.get(side);
    if (!version) throw new NotFoundError('version');
    const { definition, ...naming } = version;
    return { definition, version: naming };
  };
  return [sideOf(sides[0]), sideOf(sides[1])];
}

/** Newest first; the cursor is the last number seen. */
export async function listVersions(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  options: { cursor?: string | null | undefined; limit?: number | undefined } = {},
): Promise<{ items: WorkflowVersionSummary[]; nextCursor: string | null }> {
  const [owned] = await db
    .select({ id: workflows.id })
    .from(workflows)
    .where(and(eq(workflows.id, workflowId), eq(workflows.ownerId, ownerId)));
  if (!owned) throw new NotFoundError('workflow');
  const limit = options.limit ?? 50;
  let before: number | null = null;
  if (options.cursor) {
    before = Number(options.cursor);
    if (!Number.isSafeInteger(before) || before < 1) throw invalidCursor();
  }
  const rows = await db
    .select(summaryColumns)
    .from(workflowVersions)
    .leftJoin(users, eq(users.id, workflowVersions.authorId))
    .where(
      and(
        eq(workflowVersions.workflowId, workflowId),
        before === null ? undefined : lt(workflowVersions.number, before),
      ),
    )
    .orderBy(desc(workflowVersions.number))
    .limit(limit + 1);
  const { page, nextCursor } = keysetPage(rows, limit, (last) => String(last.number));
  const ids = page.map((r) => r.id);
  const tags = await tagsByVersion(db, ids);
  const stats = await statsByVersion(db, ids);
  return {
    items: page.map((row) => ({ ...row, tags: tags.get(row.id) ?? [], ...(stats.get(row.id) ?? NO_RUNS) })),
    nextCursor,
  };
}

async function headOf(tx: DbOrTx, workflowId: string) {
  const [head] = await tx
    .select({
      id: workflowVersions.id,
      number: workflowVersions.number,
      definition: workflowVersions.definition,
    })
    .from(workflowVersions)
    .where(eq(workflowVersions.workflowId, workflowId))
    .orderBy(desc(workflowVersions.number))
    .limit(1);
  return head ?? null;
}

/** Semantic JSON equality, as Postgres compares jsonb (key order never matters). */
async function sameDefinition(tx: DbOrTx, a: WorkflowDefinition, b: WorkflowDefinition): Promise<boolean> {
  const [row] = await tx.execute<{ same: boolean }>(
    sql`select ${JSON.stringify(a)}::jsonb = ${JSON.stringify(b)}::jsonb as same`,
  );
  return row?.same === true;
}

async function insertVersion(
  tx: DbOrTx,
  workflowId: string,
  head: { id: string; number: number } | null,
  authorId: string,
  commitMessage: string,
  definition: WorkflowDefinition,
): Promise<string> {
  const [row] = await tx
    .insert(workflowVersions)
    .values({
      workflowId,
      number: (head?.number ?? 0) + 1,
      parentId: head?.id ?? null,
      commitMessage,
      authorId,
      definition,
    })
    .returning({ id: workflowVersions.id });
  return row!.id;
}

function requireMessage(commitMessage: string): string {
  const message = commitMessage.trim();
  if (!message)
    throw new DomainError('BAD_REQUEST', 'commitMessage: required', [
      { path: 'commitMessage', message: 'required' },
    ]);
  return message;
}

/**
 * Commits the workflow's current draft as the next version. Refuses a commit identical to the head
 * (CONFLICT "nothing to commit"), writing nothing.
 */
export async function commitVersion(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  commitMessage: string,
): Promise<WorkflowVersion> {
  const message = requireMessage(commitMessage);
  const id = await db.transaction(async (tx) => {
    const workflow = await lockWorkflow(tx, ownerId, workflowId);
    const head = await headOf(tx, workflowId);
    if (head && (await sameDefinition(tx, head.definition, workflow.definition)))
      throw new ConflictError(`nothing to commit: the draft equals v${head.number}`);
    return insertVersion(tx, workflowId, head, ownerId, message, workflow.definition);
  });
  return getVersion(db, ownerId, id);
}

/**
 * Sets the draft to an old version's definition and records that as a new version ("Restore vN"),
 * so history only grows. If the head already has that definition, the draft is reset to it and the
 * head is returned: there is nothing new to record.
 */
export async function restoreVersion(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  versionId: string,
): Promise<WorkflowVersion> {
  const id = await db.transaction(async (tx) => {
    await lockWorkflow(tx, ownerId, workflowId);
    const [target] = await tx
      .select({ number: workflowVersions.number, definition: workflowVersions.definition })
      .from(workflowVersions)
      .where(and(eq(workflowVersions.id, versionId), eq(workflowVersions.workflowId, workflowId)));
    if (!target) throw new NotFoundError('version');
    await tx
      .update(workflows)
      .set({ definition: target.definition, updatedAt: sql`now()` })
      .where(eq(workflows.id, workflowId));
    const head = await headOf(tx, workflowId);
    if (head && (await sameDefinition(tx, head.definition, target.definition))) return head.id;
    return insertVersion(tx, workflowId, head, ownerId, `Restore v${target.number}`, target.definition);
  });
  return getVersion(db, ownerId, id);
}

/**
 * Puts `tag` on a version. A tag names one version per workflow: if it is on another version the
 * call is refused (CONFLICT) unless `move` is set, which moves it. Tagging the version that already
 * has it changes nothing.
 */
export async function tagVersion(
  db: DbOrTx,
  ownerId: string,
  versionId: string,
  tag: string,
  options: { move?: boolean | undefined } = {},
): Promise<WorkflowVersion> {
  if (!VERSION_TAG_PATTERN.test(tag))
    throw new DomainError('BAD_REQUEST', 'tag: letters, digits, ".", "_" and "-" (up to 64), like v1.0', [
      { path: 'tag', message: 'letters, digits, ".", "_" and "-" (up to 64), like v1.0' },
    ]);
  await db.transaction(async (tx) => {
    const version = await getVersion(tx, ownerId, versionId);
    await lockWorkflow(tx, ownerId, version.workflowId);
    const [existing] = await tx
      .select({ versionId: versionTags.versionId, number: workflowVersions.number })
      .from(versionTags)
      .innerJoin(workflowVersions, eq(workflowVersions.id, versionTags.versionId))
      .where(and(eq(versionTags.workflowId, version.workflowId), eq(versionTags.tag, tag)));
    if (existing?.versionId === versionId) return;
    if (existing && !options.move)
      throw new ConflictError(
        `tag ${tag} is on v${existing.number}; untag it first (or pass move: true to move it)`,
      );
    if (existing)
      await tx
        .update(versionTags)
        .set({ versionId, createdAt: sql`now()` })
        .where(and(eq(versionTags.workflowId, version.workflowId), eq(versionTags.tag, tag)));
    else await tx.insert(versionTags).values({ workflowId: version.workflowId, tag, versionId });
  });
  return getVersion(db, ownerId, versionId);
}

/** Takes `tag` off a version; NOT_FOUND if that version does not carry it. */
export async function untagVersion(
  db: DbOrTx,
  ownerId: string,
  versionId: string,
  tag: string,
): Promise<WorkflowVersion> {
  const version = await getVersion(db, ownerId, versionId);
  const rows = await db
    .delete(versionTags)
    .where(
      and(
        eq(versionTags.workflowId, version.workflowId),
        eq(versionTags.tag, tag),
        eq(versionTags.versionId, versionId),
      ),
    )
    .returning({ tag: versionTags.tag });
  if (rows.length === 0) throw new NotFoundError(`tag ${tag} on v${version.number}`);
  return getVersion(db, ownerId, versionId);
}

/**
 * The version a run pins: by id or by tag, of this workflow of this owner; NOT_FOUND otherwise. Its
 * definition as stored text (see `runnableDefinitionOfText`).
 */
export async function resolveRunVersion(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  pin: { versionId: string } | { versionTag: string },
): Promise<{ id: string; number: number; definitionText: string }> {
  const [row] = await db
    .select({
      id: workflowVersions.id,
      number: workflowVersions.number,
      definitionText: sql<string>`${workflowVersions.definition}::text`,
    })
    .from(workflowVersions)
    .innerJoin(workflows, eq(workflows.id, workflowVersions.workflowId))
    .where(
      and(
        eq(workflowVersions.workflowId, workflowId),
        eq(workflows.ownerId, ownerId),
        'versionId' in pin
          ? eq(workflowVersions.id, pin.versionId)
          : inArray(
              workflowVersions.id,
              db
                .select({ id: versionTags.versionId })
                .from(versionTags)
                .where(and(eq(versionTags.workflowId, workflowId), eq(versionTags.tag, pin.versionTag))),
            ),
      ),
    );
  if (!row) throw new NotFoundError('versionTag' in pin ? `version tagged ${pin.versionTag}` : 'version');
  return row;
}

/**
 * For workflows with `settings.autoCommitOnRun`: the version a run of the draft should pin — the
 * head if the draft equals it, else a new version committed with `commitMessage` (same lock and
 * rules as `commitVersion`).
 */
export async function commitDraftForRun(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  commitMessage: string,
): Promise<{ id: string; number: number; definition: WorkflowDefinition; committed: boolean }> {
  const message = requireMessage(commitMessage);
  return db.transaction(async (tx) => {
    const workflow = await lockWorkflow(tx, ownerId, workflowId);
    const head = await headOf(tx, workflowId);
    if (head && (await sameDefinition(tx, head.definition, workflow.definition)))
      return { ...head, committed: false };
    const id = await insertVersion(tx, workflowId, head, ownerId, message, workflow.definition);
    return { id, number: (head?.number ?? 0) + 1, definition: workflow.definition, committed: true };
  });
}
