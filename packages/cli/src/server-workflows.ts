/**
 * The server's side of a workflow folder: every workflow of the user, each as the file `pull`
 * would write for it, and finding a workflow by id or name for `run` and `export`.
 */
import type { SwarmClient, SwarmOutputs } from '@swarm/client';
import { CliError, EXIT } from './exit-codes.ts';
import { contentHash, parseWorkflowFile, toWorkflowFile, type WorkflowFile } from './workflow-files.ts';

export type WorkflowSummary = SwarmOutputs['workflows']['list']['items'][number];

export async function listAllWorkflows(client: SwarmClient): Promise<WorkflowSummary[]> {
  const all: WorkflowSummary[] = [];
  let cursor: string | null = null;
  do {
    const page: SwarmOutputs['workflows']['list'] = await client.workflows.list.query({ cursor, limit: 200 });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

export interface ServerWorkflowFile {
  id: string;
  /** The file's content as `pull` writes it. */
  file: Record<string, unknown>;
  parsed: WorkflowFile;
  updatedAt: string | null;
  hash: string;
}

/** The workflow as a file (schedules and webhooks included, never their secrets). */
export async function exportAsFile(client: SwarmClient, id: string): Promise<ServerWorkflowFile> {
  const document = (await client.transfer.export.query({
    workflowId: id,
    include: { schedules: true, webhooks: true },
  })) as unknown as Record<string, unknown>;
  const file = toWorkflowFile(document);
  const parsed = parseWorkflowFile(file, `workflow ${id}`);
  const updatedAt = (document.metadata as { updatedAt?: string | null }).updatedAt ?? null;
  return { id, file, parsed, updatedAt, hash: contentHash(parsed) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A workflow by id, or by its exact name (which must be unique). */
export async function resolveWorkflow(
  client: SwarmClient,
  idOrName: string,
): Promise<{ id: string; name: string }> {
  if (UUID.test(idOrName)) {
    const workflow = await client.workflows.get.query({ id: idOrName });
    return { id: workflow.id, name: workflow.name };
  }
  const { items } = await client.workflows.list.query({ search: idOrName, limit: 200 });
  const matches = items.filter((w) => w.name === idOrName);
  if (matches.length === 0) throw new CliError(`no workflow named ${JSON.stringify(idOrName)}`, EXIT.usage);
  if (matches.length > 1) {
    throw new CliError(
      `${matches.length} workflows are named ${JSON.stringify(idOrName)}: use an id (${matches.map((w) => w.id).join(', ')})`,
      EXIT.usage,
    );
  }
  return { id: matches[0]!.id, name: matches[0]!.name };
}
