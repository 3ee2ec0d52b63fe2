/**
 * Workflows as files, over the plain HTTP routes (same origin, so the session cookie is sent):
 * `GET /api/workflows/:id/export`, `POST /api/workflows/bulk-export` (a ZIP) and
 * `POST /api/workflows/import` (a JSON document, an array of them, or a ZIP).
 */
import type { ApiError, ApiIssue } from '../api-error.ts';

export const IMPORT_MODES = ['new', 'merge', 'replace'] as const;
export const CONFLICT_POLICIES = ['skip', 'rename', 'overwrite'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

export interface ImportOptions {
  mode: ImportMode;
  onConflict?: ConflictPolicy | undefined;
  targetWorkflowId?: string | undefined;
}

export interface ImportResult {
  workflowIds: string[];
  /** The imported workflows by name (additive; older servers send only `workflowIds`). */
  workflows?: Array<{ id: string; name: string }>;
  warnings: ApiIssue[];
}

export function exportUrl(workflowId: string): string {
  return `/api/workflows/${encodeURIComponent(workflowId)}/export`;
}

export function importUrl({ mode, onConflict, targetWorkflowId }: ImportOptions): string {
  const params = new URLSearchParams({ mode });
  if (onConflict) params.set('onConflict', onConflict);
  if (mode !== 'new' && targetWorkflowId) params.set('targetWorkflowId', targetWorkflowId);
  return `/api/workflows/import?${params}`;
}

/** The content type to send a picked file with: ZIPs as bytes, anything else as JSON text. */
export function importContentType(file: { name: string; type: string }): string {
  return file.name.toLowerCase().endsWith('.zip') || file.type.includes('zip')
    ? 'application/zip'
    : 'application/json';
}

/** The `{ error: { message, code, issues } }` body the routes answer failures with. */
export function readHttpError(status: number, body: unknown): ApiError {
  const error = (body as { error?: { message?: unknown; code?: unknown; issues?: unknown } } | null)?.error;
  const issues = Array.isArray(error?.issues)
    ? error.issues.filter(
        (i): i is ApiIssue =>
          typeof i === 'object' &&
          i !== null &&
          typeof (i as ApiIssue).path === 'string' &&
          typeof (i as ApiIssue).message === 'string',
      )
    : [];
  return {
    message:
      typeof error?.message === 'string'
        ? error.message
        : status === 413
          ? 'The file is too large (10 MiB at most).'
          : `The server answered ${status}.`,
    code: typeof error?.code === 'string' ? error.code : null,
    issues,
  };
}

export class HttpError extends Error {
  constructor(readonly detail: ApiError) {
    super(detail.message);
  }
}

async function failure(response: Response): Promise<HttpError> {
  const body: unknown = await response.json().catch(() => null);
  return new HttpError(readHttpError(response.status, body));
}

export async function importFile(file: File, options: ImportOptions): Promise<ImportResult> {
  const response = await fetch(importUrl(options), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': importContentType(file) },
    body: file,
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as ImportResult;
}

/** Saves a blob as a file through a temporary link. */
export function saveBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function bulkExport(workflowIds: string[]): Promise<void> {
  const response = await fetch('/api/workflows/bulk-export', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workflowIds }),
  });
  if (!response.ok) throw await failure(response);
  saveBlob(await response.blob(), 'swarm-workflows.zip');
}
