/**
 * Export and import of workflows (the documents are built and checked by `@swarm/engine`'s
 * transfer module; this file reads and writes the rows). Everything is scoped to the owner, and an
 * import writes all of its workflows in one transaction or none of them.
 */

import { randomUUID } from 'node:crypto';
import {
  buildExportDocument,
  DomainError,
  type ExportDocument,
  type ExportOptions,
  type ExportSchedule,
  type ExportWebhook,
  MAX_EXPORTED_EXECUTIONS,
  MAX_EXPORTED_TRIGGERS,
  mergeDefinitions,
  NotFoundError,
  parseWorkflowDefinition,
  prepareImport,
  type ValidationIssue,
  type WorkflowDefinition,
} from '@swarm/engine';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import {
  executions,
  isWebhookSenderPreset,
  tags,
  users,
  workflowSchedules,
  workflows,
  workflowTags,
  workflowWebhooks,
} from '../schema/index.ts';
import { listPins, restorePins } from './pins.ts';
import { runInputOf } from './start-run.ts';
import type { EncryptedWebhookSecret } from './webhooks/index.ts';
import { getWorkflow, updateWorkflow } from './workflows.ts';

export const IMPORT_MODES = ['new', 'merge', 'replace'] as const;
export const CONFLICT_POLICIES = ['skip', 'rename', 'overwrite'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/** Colour of tags an import creates (slate); users recolour them later. */
const IMPORTED_TAG_COLOR = '#64748b';

/** The export document of one of the owner's workflows; NOT_FOUND for anyone else's. */
export async function exportWorkflow(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  options: Omit<ExportOptions, 'now'> = {},
): Promise<ExportDocument> {
  const workflow = await getWorkflow(db, ownerId, workflowId);
  const [owner] = await db.select({ email: users.email }).from(users).where(eq(users.id, ownerId));
  const runs = options.include?.executions
    ? await db
        .select({
          status: executions.status,
          trigger: executions.trigger,
          createdAt: executions.createdAt,
          startedAt: executions.startedAt,
          finishedAt: executions.finishedAt,
          durationMs: executions.durationMs,
          costMicros: executions.costMicros,
        })
        .from(executions)
        .where(and(eq(executions.workflowId, workflowId), eq(executions.ownerId, ownerId)))
        .orderBy(desc(executions.createdAt), desc(executions.id))
        .limit(MAX_EXPORTED_EXECUTIONS)
    : [];
  const schedules: ExportSchedule[] = options.include?.schedules
    ? await db
        .select({
          cron: workflowSchedules.cron,
          timezone: workflowSchedules.timezone,
          enabled: workflowSchedules.enabled,
          input: workflowSchedules.input,
          versionTag: workflowSchedules.versionTag,
          overlap: workflowSchedules.overlap,
          missed: workflowSchedules.missed,
          missedWindowSeconds: workflowSchedules.missedWindowSeconds,
          retryLimit: workflowSchedules.retryLimit,
          retryDelaySeconds: workflowSchedules.retryDelaySeconds,
        })
        .from(workflowSchedules)
        .where(and(eq(workflowSchedules.workflowId, workflowId), eq(workflowSchedules.ownerId, ownerId)))
        .orderBy(asc(workflowSchedules.createdAt), asc(workflowSchedules.id))
        .limit(MAX_EXPORTED_TRIGGERS)
    : [];
  // Never the secret (current or previous), the URL, the log or the counters.
  const webhooks: ExportWebhook[] = options.include?.webhooks
    ? await db
        .select({
          auth: workflowWebhooks.auth,
          enabled: workflowWebhooks.enabled,
          rateLimitPerHour: workflowWebhooks.rateLimitPerHour,
          ipAllowlist: workflowWebhooks.ipAllowlist,
          mapping: workflowWebhooks.mapping,
          versionTag: workflowWebhooks.versionTag,
        })
        .from(workflowWebhooks)
        .where(and(eq(workflowWebhooks.workflowId, workflowId), eq(workflowWebhooks.ownerId, ownerId)))
        .orderBy(asc(workflowWebhooks.createdAt), asc(workflowWebhooks.id))
        .limit(MAX_EXPORTED_TRIGGERS)
        // Sender presets (github, stripe, …) verify with the service's own secret, which an import
        // cannot generate: the owner pastes it again on a new webhook, so they are not exported.
        .then((rows) =>
          rows.filter((row): row is typeof row & ExportWebhook => !isWebhookSenderPreset(row.auth)),
        )
    : [];
  // Pins are draft test data: exported only when asked, and only for nodes the draft still has.
  const nodeIds = new Set(workflow.definition.nodes.map((n) => n.id));
  const pins = options.include?.pins
    ? Object.fromEntries(
        (await listPins(db, ownerId, workflowId))
          .filter((pin) => nodeIds.has(pin.nodeId))
          .map((pin) => [pin.nodeId, pin.output]),
      )
    : {};
  return buildExportDocument(
    {
      name: workflow.name,
      description: workflow.description,
      category: workflow.category,
      authorEmail: owner?.email ?? null,
      createdAt: workflow.createdAt,
      updatedAt: workflow.updatedAt,
      tags: workflow.tags.map((t) => t.name),
      definition: workflow.definition,
      executions: runs.map((r) => ({
        ...r,
        createdAt: r.createdAt.toISOString(),
        startedAt: r.startedAt?.toISOString() ?? null,
        finishedAt: r.finishedAt?.toISOString() ?? null,
      })),
      schedules,
      webhooks,
      pins,
    },
    options,
  );
}

/** Several of the owner's workflows; NOT_FOUND (naming none) when any id is not theirs. */
export async function exportWorkflows(
  db: DbOrTx,
  ownerId: string,
  workflowIds: readonly string[],
  options: Omit<ExportOptions, 'now'> = {},
): Promise<ExportDocument[]> {
  const ids = [...new Set(workflowIds)];
  const owned = await db
    .select({ id: workflows.id })
    .from(workflows)
    .where(and(inArray(workflows.id, ids), eq(workflows.ownerId, ownerId)));
  if (owned.length !== ids.length) throw new NotFoundError('workflow');
  const docs: ExportDocument[] = [];
  for (const id of ids) docs.push(await exportWorkflow(db, ownerId, id, options));
  return docs;
}

export interface ImportOptions {
  mode: ImportMode;
  onConflict?: ConflictPolicy | undefined;
  targetWorkflowId?: string | undefined;
  /**
   * A fresh, encrypted secret for an imported webhook (the API's keyring does this). Without it,
   * webhooks in a document are not imported, with a warning.
   */
  newWebhookSecret?:
    | ((webhook: { ownerId: string; id: string; auth: ExportWebhook['auth'] }) => EncryptedWebhookSecret)
    | undefined;
}

/**
 * Recreates a document's schedules and webhooks on an imported workflow — always disabled (nothing
 * fires or accepts calls until the owner looks at it and enables it), webhooks with a new secret
 * nobody has seen (regenerate it to get one). Existing triggers of the workflow are kept.
 */
async function importTriggers(
  tx: DbOrTx,
  ownerId: string,
  workflowId: string,
  doc: ExportDocument,
  options: ImportOptions,
  at: string,
  warnings: ValidationIssue[],
) {
  for (const [i, schedule] of (doc.schedules ?? []).entries()) {
    await tx.insert(workflowSchedules).values({
      workflowId,
      ownerId,
      cron: schedule.cron.trim(),
      timezone: schedule.timezone,
      enabled: false,
      input: runInputOf(schedule.input),
      versionTag: schedule.versionTag,
      overlap: schedule.overlap,
      missed: schedule.missed,
      missedWindowSeconds: schedule.missedWindowSeconds,
      retryLimit: schedule.retryLimit,
      retryDelaySeconds: schedule.retryDelaySeconds,
      nextFireAt: null,
    });
    if (schedule.versionTag !== null)
      warnings.push({
        path: `${at}schedules[${i}].versionTag`,
        message: `runs the version tagged "${schedule.versionTag}": tag a version of the imported workflow before resuming it`,
      });
  }
  if ((doc.schedules?.length ?? 0) > 0)
    warnings.push({ path: `${at}schedules`, message: 'imported paused: resume each schedule when ready' });

  const webhooks = doc.webhooks ?? [];
  if (webhooks.length === 0) return;
  if (!options.newWebhookSecret) {
    warnings.push({
      path: `${at}webhooks`,
      message: 'not imported: this server has no SWARM_SECRET_KEY to encrypt webhook secrets with',
    });
    return;
  }
  for (const webhook of webhooks) {
    const id = randomUUID();
    const secret = options.newWebhookSecret({ ownerId, id, auth: webhook.auth });
    await tx.insert(workflowWebhooks).values({
      id,
      workflowId,
      ownerId,
      auth: webhook.auth,
      secret: secret.secret,
      secretKeyId: secret.keyId,
      enabled: false,
      rateLimitPerHour: webhook.rateLimitPerHour,
      ipAllowlist: webhook.ipAllowlist,
      mapping: webhook.mapping,
      versionTag: webhook.versionTag,
    });
  }
  warnings.push({
    path: `${at}webhooks`,
    message:
      'imported disabled with new secrets: regenerate each secret to see it, give it to the sender, then enable the webhook',
  });
}

/** Tags by name, case-insensitively: the owner's existing one, or a new one. */
async function attachTagsByName(db: DbOrTx, ownerId: string, workflowId: string, names: readonly string[]) {
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
  for (const name of unique) {
    await db.insert(tags).values({ ownerId, name, color: IMPORTED_TAG_COLOR }).onConflictDoNothing();
    const [tag] = await db
      .select({ id: tags.id })
      .from(tags)
      .where(and(eq(tags.ownerId, ownerId), sql`lower(${tags.name}) = ${name.toLowerCase()}`));
    if (tag) await db.insert(workflowTags).values({ workflowId, tagId: tag.id }).onConflictDoNothing();
  }
}

/** Checked like any saved draft (size limits, structure); throws with paths under `workflow`. */
function storable(definition: WorkflowDefinition): WorkflowDefinition {
  return parseWorkflowDefinition(definition, 'workflow');
}

/**
 * Imports checked documents. `new` creates one workflow per document, resolving name clashes with
 * the owner's workflows by `onConflict` (skip: warning; rename: "Name (2)"; overwrite: that
 * workflow's draft is replaced). `replace` and `merge` take exactly one document and change the
 * owner's `targetWorkflowId` (NOT_FOUND otherwise). All or nothing: one transaction.
 */
export async function importWorkflowDocuments(
  db: DbOrTx,
  ownerId: string,
  documents: readonly ExportDocument[],
  options: ImportOptions,
): Promise<{
  workflowIds: string[];
  /** The same workflows with the names they have now (a renamed copy's "Name (2)"), for the result. */
  workflows: Array<{ id: string; name: string }>;
  warnings: ValidationIssue[];
}> {
  if (documents.length === 0) throw new DomainError('BAD_REQUEST', 'nothing to import: no documents');
  return db.transaction(async (tx) => {
    const warnings: ValidationIssue[] = [];
    const imported: Array<{ id: string; name: string }> = [];

    if (options.mode !== 'new') {
      if (!options.targetWorkflowId)
        throw new DomainError('BAD_REQUEST', `targetWorkflowId: required for mode "${options.mode}"`, [
          { path: 'targetWorkflowId', message: `required for mode "${options.mode}"` },
        ]);
      if (documents.length !== 1)
        throw new DomainError('BAD_REQUEST', `mode "${options.mode}" imports exactly one document`);
      const doc = documents[0]!;
      const target = await getWorkflow(tx, ownerId, options.targetWorkflowId);
      let definition: WorkflowDefinition;
      let pins: Record<string, unknown>;
      if (options.mode === 'replace') {
        const prepared = prepareImport(doc);
        definition = storable(prepared.definition);
        pins = prepared.pins;
      } else {
        const taken = [
          ...target.definition.nodes.map((n) => n.id),
          ...target.definition.edges.map((e) => e.id),
        ];
        const prepared = prepareImport(doc, taken);
        definition = storable(mergeDefinitions(target.definition, prepared.definition));
        pins = prepared.pins;
      }
      await updateWorkflow(tx, ownerId, target.id, { definition });
      await restorePins(tx, target.id, pins);
      await attachTagsByName(tx, ownerId, target.id, doc.metadata.tags);
      await importTriggers(tx, ownerId, target.id, doc, options, '', warnings);
      return { workflowIds: [target.id], workflows: [{ id: target.id, name: target.name }], warnings };
    }

    const onConflict = options.onConflict ?? 'rename';
    const existing = await tx
      .select({ id: workflows.id, name: workflows.name })
      .from(workflows)
      .where(eq(workflows.ownerId, ownerId));
    const byName = new Map(existing.map((w) => [w.name.toLowerCase(), w.id]));
    const nameById = new Map(existing.map((w) => [w.id, w.name]));

    for (const [index, doc] of documents.entries()) {
      const prepared = prepareImport(doc);
      const definition = storable(prepared.definition);
      const { name, description, category } = prepared.metadata;
      const clash = byName.get(name.toLowerCase());
      let id: string;
      let finalName = name;
      if (clash !== undefined && onConflict === 'skip') {
        warnings.push({
          path: documents.length > 1 ? `documents[${index}].metadata.name` : 'metadata.name',
          message: `skipped: you already have a workflow named "${name}"`,
        });
        continue;
      } else if (clash !== undefined && onConflict === 'overwrite') {
        await updateWorkflow(tx, ownerId, clash, { description, category, definition });
        id = clash;
        // The overwritten workflow keeps its own name (matched case-insensitively).
        finalName = nameById.get(clash) ?? name;
      } else {
        for (let n = 2; byName.has(finalName.toLowerCase()); n++) finalName = `${name} (${n})`;
        if (finalName.length > 200) throw new DomainError('BAD_REQUEST', 'metadata.name: too long to rename');
        const [row] = await tx
          .insert(workflows)
          .values({ ownerId, name: finalName, description, category, definition })
          .returning({ id: workflows.id });
        id = row!.id;
        byName.set(finalName.toLowerCase(), id);
      }
      await attachTagsByName(tx, ownerId, id, doc.metadata.tags);
      await restorePins(tx, id, prepared.pins);
      await importTriggers(
        tx,
        ownerId,
        id,
        doc,
        options,
        documents.length > 1 ? `documents[${index}].` : '',
        warnings,
      );
      imported.push({ id, name: finalName });
    }
    return { workflowIds: imported.map((w) => w.id), workflows: imported, warnings };
  });
}
