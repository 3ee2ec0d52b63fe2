/**
 * A folder of workflows as files: `<slug>.swarm.json`, one per workflow, in the export format
 * (importable anywhere), plus `swarm.lock.json` recording which server workflow each file is and
 * what the server had at the last pull or push. Files are written with sorted keys, two-space
 * indentation and a final newline, and without what changes on every export (`exportedAt`,
 * `updatedAt`) or is derived from the nodes (`agents`, `notes`): so a pull of an unchanged server
 * is byte-identical and a git diff shows only real changes.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CliError, EXIT } from './exit-codes.ts';

export const FILE_SUFFIX = '.swarm.json';
export const LOCK_FILE = 'swarm.lock.json';

/** JSON text with every object's keys sorted: equal values always print the same. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

/**
 * What a workflow file holds (checked loosely here: the server checks the rest, with paths). Other
 * keys of the export format pass through untouched.
 */
export const workflowFileSchema = z.looseObject({
  version: z.string(),
  metadata: z.looseObject({
    name: z.string().trim().min(1, 'required'),
    description: z.string().default(''),
    category: z.string().default(''),
  }),
  workflow: z.object({
    nodes: z.array(z.looseObject({ id: z.string(), name: z.string(), type: z.string() })),
    edges: z.array(z.looseObject({ id: z.string() })),
  }),
  inputSchema: z.record(z.string(), z.unknown()).optional(),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});
export type WorkflowFile = z.infer<typeof workflowFileSchema>;

/** An export document as a file: without the volatile and derived parts. */
export function toWorkflowFile(document: Record<string, unknown>): Record<string, unknown> {
  const { agents: _agents, notes: _notes, executions: _executions, ...rest } = document;
  const {
    exportedAt: _exportedAt,
    updatedAt: _updatedAt,
    ...metadata
  } = rest.metadata as Record<string, unknown>;
  return { ...rest, metadata };
}

/** The parts `push` sends: name, description, category and the definition. */
export function pushablePart(file: WorkflowFile) {
  return {
    name: file.metadata.name,
    description: file.metadata.description,
    category: file.metadata.category,
    definition: {
      nodes: file.workflow.nodes,
      edges: file.workflow.edges,
      ...(file.inputSchema && { inputSchema: file.inputSchema }),
      ...(file.outputSchema && { outputSchema: file.outputSchema }),
      ...(file.settings && { settings: file.settings }),
    },
  };
}

/** Identifies a workflow's pushable content: equal hashes, nothing to push. */
export function contentHash(file: WorkflowFile): string {
  return `sha256:${createHash('sha256')
    .update(stableJson(pushablePart(file)))
    .digest('hex')}`;
}

export function parseWorkflowFile(value: unknown, where: string): WorkflowFile {
  const parsed = workflowFileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new CliError(`${where}: ${issue.path.join('.') || 'document'}: ${issue.message}`, EXIT.usage);
}

/** `Research brief (sample)` → `research-brief-sample`. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return slug || 'workflow';
}

const lockSchema = z.object({
  version: z.literal(1),
  workflows: z.record(
    z.string(),
    z.object({
      id: z.string(),
      /** The server's `updatedAt` of the draft at the last pull or push. */
      updatedAt: z.string().nullable(),
      /** `contentHash` of what the server had then. */
      contentHash: z.string(),
    }),
  ),
});
export type Lock = z.infer<typeof lockSchema>;
export type LockEntry = Lock['workflows'][string];

export async function readLock(dir: string): Promise<Lock> {
  const path = join(dir, LOCK_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, workflows: {} };
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(`${path}: not JSON`, EXIT.usage);
  }
  const parsed = lockSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`${path}: ${issue.path.join('.') || 'document'}: ${issue.message}`, EXIT.usage);
  }
  return parsed.data;
}

/** Writes `text` to `path` unless it already holds exactly that; true when it wrote. */
export async function writeIfChanged(path: string, text: string): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) return false;
  // A temporary file and a rename: an interrupted pull never leaves half a workflow file.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
  return true;
}

export async function writeLock(dir: string, lock: Lock): Promise<boolean> {
  return writeIfChanged(join(dir, LOCK_FILE), stableJson(lock));
}

export async function removeFile(dir: string, name: string): Promise<void> {
  await rm(join(dir, name), { force: true });
}

export interface LocalWorkflow {
  /** File name within the folder, e.g. `research-brief.swarm.json`. */
  file: string;
  document: WorkflowFile;
}

/** Every `*.swarm.json` in the folder, in name order, parsed; a bad one fails naming it. */
export async function readWorkflowFolder(dir: string): Promise<LocalWorkflow[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith(FILE_SUFFIX)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`${dir}: no such folder`, EXIT.usage);
    }
    throw error;
  }
  const workflows: LocalWorkflow[] = [];
  for (const file of names) {
    const text = await readFile(join(dir, file), 'utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new CliError(`${file}: not JSON (${(error as Error).message})`, EXIT.usage);
    }
    workflows.push({ file, document: parseWorkflowFile(value, file) });
  }
  return workflows;
}
