/**
 * Workflow export and import (the format lives in `@swarm/engine`'s transfer module). The plain
 * HTTP downloads and uploads (`/api/workflows/...`) are the API app's `http/transfer-routes.ts` and call the
 * same functions.
 */
import { CONFLICT_POLICIES, exportWorkflow, IMPORT_MODES, importWorkflowDocuments } from '@swarm/db';
import {
  type ExportDocument,
  type ExportDocumentInput,
  type NodeRegistry,
  parseExportDocument,
  type ValidationIssue,
  validateWorkflow,
} from '@swarm/engine';
import type { SecretKeyring } from '@swarm/providers/store';
import { encryptWebhookSecret, generateWebhookSecret } from '@swarm/webhooks';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.ts';

const id = z.uuid('not a valid id');

export const exportInput = z.object({
  workflowId: id,
  include: z
    .object({
      executions: z.boolean().optional(),
      schedules: z.boolean().optional(),
      webhooks: z.boolean().optional(),
      /** The draft's pinned node outputs (test data); left out unless asked for. */
      pins: z.boolean().optional(),
    })
    .optional(),
  anonymize: z.boolean().optional(),
});

export const importOptions = z.object({
  mode: z.enum(IMPORT_MODES).default('new'),
  onConflict: z.enum(CONFLICT_POLICIES).optional(),
  targetWorkflowId: id.optional(),
});

/**
 * What a run would complain about in the imported workflows (unknown node types, config errors).
 * Drafts may be saved with them, so they are warnings, located in the document as sent.
 */
export function importWarnings(
  documents: readonly ExportDocument[],
  registry: NodeRegistry,
  prefixes: readonly string[] = [],
): ValidationIssue[] {
  return documents.flatMap((doc, i) => {
    const { errors } = validateWorkflow(
      {
        nodes: doc.workflow.nodes.map((n) => ({ ...n, position: n.position ?? { x: 0, y: 0 } })),
        edges: doc.workflow.edges,
        inputSchema: doc.inputSchema,
        outputSchema: doc.outputSchema,
      },
      registry,
      prefixes[i] ? `${prefixes[i]}.workflow` : 'workflow',
    );
    return errors;
  });
}

/**
 * Imported webhooks get a fresh secret, encrypted with the server's keyring and shown to nobody
 * (the owner regenerates it to see one). Without a keyring, webhooks are not imported (a warning).
 */
export function importedWebhookSecrets(keyring: SecretKeyring | null | undefined) {
  if (!keyring) return undefined;
  return ({ ownerId, id, auth }: { ownerId: string; id: string; auth: 'signature' | 'url-secret' }) =>
    encryptWebhookSecret(keyring, ownerId, id, generateWebhookSecret(auth));
}

/** Typed for clients; checked completely by `parseExportDocument` (paths, versions, graph). */
const document = z.custom<ExportDocumentInput>(() => true);

export const transferRouter = {
  export: authedProcedure
    .input(exportInput)
    .query(({ ctx, input }) => exportWorkflow(ctx.db, ctx.user.id, input.workflowId, input)),

  import: authedProcedure
    .input(importOptions.extend({ document }))
    .mutation(async ({ ctx, input: { document, ...options } }) => {
      const doc = parseExportDocument(document);
      const result = await importWorkflowDocuments(ctx.db, ctx.user.id, [doc], {
        ...options,
        newWebhookSecret: importedWebhookSecrets(ctx.secretKeys),
      });
      return { ...result, warnings: [...importWarnings([doc], ctx.nodeRegistry), ...result.warnings] };
    }),
} satisfies TRPCRouterRecord;
