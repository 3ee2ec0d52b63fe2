/**
 * Committed versions of a workflow, git-like: each a full snapshot of the definition with a number,
 * a parent (the previous head), a message and an author. History is append-only — restoring an old
 * version commits a new one. Version tags (`production`, `v1.0`) name one version per workflow.
 */
import type { WorkflowDefinition } from '@swarm/engine';
import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { createdAt, primaryId } from './columns.ts';
import { workflows } from './workflows.ts';

export const workflowVersions = pgTable(
  'workflow_versions',
  {
    id: primaryId(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    /** 1, 2, 3… per workflow. */
    number: integer('number').notNull(),
    /** The head this version was committed on top of; null for the first. */
    parentId: uuid('parent_id'),
    commitMessage: text('commit_message').notNull(),
    /** Who committed it; kept (as null) if that account is deleted. */
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    definition: jsonb('definition').$type<WorkflowDefinition>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('workflow_versions_number_key').on(t.workflowId, t.number),
    index('workflow_versions_workflow_created_idx').on(t.workflowId, t.createdAt.desc()),
  ],
);

export const versionTags = pgTable(
  'version_tags',
  {
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    /** e.g. `production`, `v1.0`: one version per tag per workflow; moving it is an explicit act. */
    tag: text('tag').notNull(),
    versionId: uuid('version_id')
      .notNull()
      .references(() => workflowVersions.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.tag] }), index('version_tags_version_idx').on(t.versionId)],
);
