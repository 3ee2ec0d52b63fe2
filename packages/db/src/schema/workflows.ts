/** Workflows (a user's draft definition plus metadata) and the colour-coded tags on them. */
import type { WorkflowDefinition } from '@swarm/engine';
import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { createdAt, primaryId, updatedAt } from './columns.ts';

export const workflows = pgTable(
  'workflows',
  {
    id: primaryId(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    category: text('category').notNull().default(''),
    /** The draft: what the editor shows and saves. Versions snapshot it. */
    definition: jsonb('definition').$type<WorkflowDefinition>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('workflows_owner_updated_idx').on(t.ownerId, t.updatedAt.desc(), t.id.desc())],
);

export const tags = pgTable(
  'tags',
  {
    id: primaryId(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** `#rrggbb`, lower-case. */
    color: text('color').notNull(),
    createdAt: createdAt(),
  },
  // Tag names are unique per user regardless of case: "Prod" and "prod" are one tag.
  (t) => [uniqueIndex('tags_owner_name_key').on(t.ownerId, sql`lower(${t.name})`)],
);

export const workflowTags = pgTable(
  'workflow_tags',
  {
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    tagId: uuid('tag_id')
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.tagId] }), index('workflow_tags_tag_id_idx').on(t.tagId)],
);

/**
 * Pinned node outputs of a workflow's draft (one row per node): editor test runs use them instead of
 * executing the node. Never part of a version or (unless asked) an export; real runs never read them.
 */
export const workflowPins = pgTable(
  'workflow_pins',
  {
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    nodeId: text('node_id').notNull(),
    output: jsonb('output').$type<unknown>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.nodeId] })],
);
