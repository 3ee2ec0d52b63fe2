/**
 * What `push` would do with each file of a folder, and why — shared by `push` (which does it) and
 * `diff` (which shows it). The optimistic check: a file may only replace a server workflow that
 * still holds what the lock recorded at the last pull or push (its content hash; its `updatedAt`
 * is recorded too, but a draft saved without a change is no reason to refuse). A file the lock
 * does not know is matched to a server workflow by its unique name; with no recorded base, that
 * workflow may only be replaced with `--force`.
 */
import type { SwarmClient } from '@swarm/client';
import { isSwarmError } from '@swarm/client';
import { exportAsFile, listAllWorkflows, type ServerWorkflowFile } from './server-workflows.ts';
import {
  contentHash,
  type LocalWorkflow,
  type Lock,
  readLock,
  readWorkflowFolder,
} from './workflow-files.ts';

export type PlanStatus = 'new' | 'unchanged' | 'changed' | 'conflict';

export interface PlannedFile extends LocalWorkflow {
  hash: string;
  status: PlanStatus;
  /** The server's workflow this file is (absent for `new`). */
  server?: ServerWorkflowFile;
  /** Why a `conflict` is one. */
  reason?: string;
}

export interface SyncPlan {
  lock: Lock;
  files: PlannedFile[];
}

async function exportIfExists(client: SwarmClient, id: string): Promise<ServerWorkflowFile | undefined> {
  try {
    return await exportAsFile(client, id);
  } catch (error) {
    if (isSwarmError(error) && error.data?.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

export async function planSync(client: SwarmClient, dir: string): Promise<SyncPlan> {
  const [lock, local] = await Promise.all([readLock(dir), readWorkflowFolder(dir)]);
  const claimed = new Set(Object.values(lock.workflows).map((entry) => entry.id));
  const unlocked = local.filter((w) => !lock.workflows[w.file]);
  const byName = new Map<string, string[]>();
  if (unlocked.length > 0) {
    for (const w of await listAllWorkflows(client)) {
      if (claimed.has(w.id)) continue;
      byName.set(w.name, [...(byName.get(w.name) ?? []), w.id]);
    }
  }

  const files = await Promise.all(
    local.map(async (w): Promise<PlannedFile> => {
      const hash = contentHash(w.document);
      const entry = lock.workflows[w.file];
      if (entry) {
        const server = await exportIfExists(client, entry.id);
        if (!server) {
          return { ...w, hash, status: 'conflict', reason: 'deleted on the server since the last pull' };
        }
        if (server.hash === hash) return { ...w, hash, status: 'unchanged', server };
        if (server.hash !== entry.contentHash) {
          return {
            ...w,
            hash,
            status: 'conflict',
            server,
            reason: 'changed on the server since the last pull',
          };
        }
        return { ...w, hash, status: 'changed', server };
      }
      const candidates = byName.get(w.document.metadata.name) ?? [];
      if (candidates.length !== 1) return { ...w, hash, status: 'new' };
      const server = await exportAsFile(client, candidates[0]!);
      if (server.hash === hash) return { ...w, hash, status: 'unchanged', server };
      return {
        ...w,
        hash,
        status: 'conflict',
        server,
        reason: 'a workflow of this name exists on the server and was never pulled here',
      };
    }),
  );
  return { lock, files };
}
