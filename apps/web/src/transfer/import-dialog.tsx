/**
 * Import workflows from a `.json` export (one document or an array) or a `.zip` of them: pick or
 * drop the file, choose the mode (new workflows, merge into one, replace one) and what to do on
 * conflicts, then see links to what was created, the warnings, or the errors with their paths.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { type ApiError, readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { inputClass } from '../ui/field.tsx';
import {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  HttpError,
  IMPORT_MODES,
  type ImportMode,
  type ImportResult,
  importFile,
} from './transfer.ts';

const MODE_LABELS: Record<ImportMode, string> = {
  new: 'Create new workflows',
  merge: 'Merge into an existing workflow',
  replace: 'Replace an existing workflow',
};

export function ImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [mode, setMode] = useState<ImportMode>('new');
  const [onConflict, setOnConflict] = useState<ConflictPolicy | ''>('');
  const [target, setTarget] = useState('');
  const [dragging, setDragging] = useState(false);
  const workflows = useQuery({
    ...trpc.workflows.list.queryOptions({ limit: 100 }),
    enabled: open && mode !== 'new',
  });

  const run = useMutation({
    mutationFn: (picked: File) =>
      importFile(picked, {
        mode,
        onConflict: onConflict || undefined,
        targetWorkflowId: target || undefined,
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.workflows.list.pathKey() }),
  });
  const result: ImportResult | undefined = run.data;
  const error: ApiError | null = run.error
    ? run.error instanceof HttpError
      ? run.error.detail
      : readApiError(run.error)
    : null;

  const close = () => {
    setFile(null);
    run.reset();
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Enter in the form, or a second click before React re-renders, must not import twice.
    if (file && !run.isPending && run.data === undefined) run.mutate(file);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped) {
      setFile(dropped);
      run.reset();
    }
  };

  return (
    <Dialog open={open} title="Import workflows" onClose={close} testId="import-dialog" size="lg">
      <form onSubmit={submit} className="space-y-4">
        <label
          className={`flex cursor-pointer flex-col items-center justify-center rounded-lg border-2 border-dashed px-4 py-6 text-center text-sm ${
            dragging ? 'border-indigo-400 bg-indigo-50' : 'border-slate-300 text-slate-600 hover:bg-slate-50'
          }`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <span className="font-medium text-slate-800">{file ? file.name : 'Choose or drop a file'}</span>
          <span className="mt-1 text-xs text-slate-500">
            A .json export (one or many workflows) or a .zip of them
          </span>
          <input
            type="file"
            accept=".json,.zip,application/json,application/zip"
            className="sr-only"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              run.reset();
            }}
            data-testid="import-file"
          />
        </label>
        <div className="grid grid-cols-2 gap-3">
          <label className="block text-sm font-medium text-slate-700">
            Mode
            <select
              className={`${inputClass} mt-1.5`}
              value={mode}
              onChange={(e) => setMode(e.target.value as ImportMode)}
              data-testid="import-mode"
            >
              {IMPORT_MODES.map((m) => (
                <option key={m} value={m}>
                  {MODE_LABELS[m]}
                </option>
              ))}
            </select>
          </label>
          <label className="block text-sm font-medium text-slate-700">
            On conflict
            <select
              className={`${inputClass} mt-1.5`}
              value={onConflict}
              onChange={(e) => setOnConflict(e.target.value as ConflictPolicy | '')}
              data-testid="import-on-conflict"
            >
              <option value="">Default</option>
              {CONFLICT_POLICIES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
        </div>
        {mode !== 'new' ? (
          <label className="block text-sm font-medium text-slate-700">
            Target workflow
            <select
              className={`${inputClass} mt-1.5`}
              value={target}
              onChange={(e) => setTarget(e.target.value)}
              data-testid="import-target"
            >
              <option value="">Choose…</option>
              {(workflows.data?.items ?? []).map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}

        {error ? (
          <div
            className="rounded-md bg-rose-50 p-3 text-sm text-rose-800"
            role="alert"
            data-testid="import-error"
          >
            <p>{error.message}</p>
            {error.issues.length > 1 ? (
              <ul className="mt-2 list-disc space-y-0.5 pl-5 text-xs">
                {error.issues.map((issue) => (
                  <li key={`${issue.path}|${issue.message}`}>
                    <code className="font-mono">{issue.path}</code>: {issue.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        {result ? (
          <div className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900" data-testid="import-result">
            <p>
              Imported {result.workflowIds.length}{' '}
              {result.workflowIds.length === 1 ? 'workflow' : 'workflows'}:
            </p>
            <ul className="mt-1 space-y-0.5">
              {(
                result.workflows ?? result.workflowIds.map((id, i) => ({ id, name: `Workflow ${i + 1}` }))
              ).map(({ id, name }) => (
                <li key={id}>
                  <Link to={`/workflows/${id}`} className="underline" data-testid="imported-workflow-link">
                    {name}
                  </Link>
                </li>
              ))}
            </ul>
            {result.warnings.length > 0 ? (
              <ul
                className="mt-2 list-disc space-y-0.5 pl-5 text-xs text-amber-800"
                data-testid="import-warnings"
              >
                {result.warnings.map((w) => (
                  <li key={`${w.path}|${w.message}`}>
                    <code className="font-mono">{w.path}</code>: {w.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        <div className="flex justify-end gap-2">
          <Button onClick={close}>{result ? 'Close' : 'Cancel'}</Button>
          <Button
            type="submit"
            variant="primary"
            disabled={!file || run.isPending || result !== undefined || (mode !== 'new' && !target)}
            data-testid="import-submit"
          >
            {run.isPending ? 'Importing…' : result ? 'Imported' : 'Import'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
