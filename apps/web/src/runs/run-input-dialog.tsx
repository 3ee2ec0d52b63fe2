/**
 * "Run workflow": the run input, as a form generated from the workflow's input schema (or as JSON
 * when it has none, or on request), then `runs.start`. Unsaved changes are saved first, because a
 * run executes the stored draft. The input is checked here first with the engine's own validator
 * (the one the server runs), so a missing required field is shown on its field without a request;
 * whatever the server still refuses comes back with paths like `input.query`, shown the same way.
 */
import { labelIssue, validateAgainstSchema } from '@swarm/engine';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useMemo, useRef, useState } from 'react';
import { type ApiIssue, readApiError } from '../api-error.ts';
import { describeSchema, exampleInput, humanizeName } from '../schema-form/json-schema.ts';
import { SchemaForm } from '../schema-form/schema-form.tsx';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { inputClass } from '../ui/field.tsx';
import { useFocusFirstInvalid } from '../ui/focus-first-invalid.ts';

interface RunInputDialogProps {
  open: boolean;
  onClose: () => void;
  workflowId: string;
  inputSchema: Record<string, unknown> | undefined;
  /** Unsaved changes in the editor: saved before the run starts. */
  dirty: boolean;
  /** Saves the draft; resolves false when it could not (the editor shows why). */
  saveDraft: () => Promise<boolean>;
  onStarted: (executionId: string) => void;
  /** A test run of the draft: pinned nodes use their pinned output (the editor, when it has pins). */
  test?: boolean;
  /** The server refused the workflow itself (`definition.nodes[2].config.model`): show it on the canvas. */
  onDefinitionIssues?: (issues: ApiIssue[]) => void;
}

export function RunInputDialog(props: RunInputDialogProps) {
  return (
    <Dialog open={props.open} title="Run workflow" onClose={props.onClose} testId="run-dialog" size="lg">
      <RunInputForm {...props} />
    </Dialog>
  );
}

const storageKey = (workflowId: string) => `swarm:run-input:${workflowId}`;

function RunInputForm({
  onClose,
  workflowId,
  inputSchema,
  dirty,
  saveDraft,
  onStarted,
  test = false,
  onDefinitionIssues,
}: RunInputDialogProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const jsonId = useId();
  const spec = useMemo(() => (inputSchema ? describeSchema(inputSchema) : null), [inputSchema]);
  const formable = spec !== null && spec.kind !== 'json';
  const [asJson, setAsJson] = useState(!formable);
  const [value, setValue] = useState<unknown>(() => {
    // The last input used for this workflow in this tab is the best guess for the next one.
    const stored = sessionStorage.getItem(storageKey(workflowId));
    if (stored) {
      try {
        return JSON.parse(stored) as unknown;
      } catch {
        // Ignore a corrupt entry.
      }
    }
    return exampleInput(inputSchema).value ?? {};
  });
  const [jsonText, setJsonText] = useState(() => JSON.stringify(value, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [saveFailed, setSaveFailed] = useState(false);
  // Problems found here before sending; cleared as soon as the input changes.
  const [localIssues, setLocalIssues] = useState<ApiIssue[]>([]);
  const formRef = useRef<HTMLFormElement>(null);
  const refused = useFocusFirstInvalid(formRef);

  const start = useMutation(
    trpc.runs.start.mutationOptions({
      onSuccess: ({ executionId }) => {
        sessionStorage.setItem(storageKey(workflowId), JSON.stringify(value));
        void queryClient.invalidateQueries({ queryKey: trpc.runs.list.pathKey() });
        onStarted(executionId);
      },
      onError: (err) => {
        const issues = readApiError(err).issues.filter((i) => i.path.startsWith('definition.'));
        if (issues.length > 0) onDefinitionIssues?.(issues);
      },
    }),
  );
  const error = start.error ? readApiError(start.error) : null;
  const inputIssues =
    localIssues.length > 0
      ? localIssues
      : (error?.issues.filter((i) => i.path === 'input' || /^input[.[]/.test(i.path)) ?? []);
  const otherIssues = error?.issues.filter((i) => !inputIssues.includes(i)) ?? [];

  const switchToJson = (next: boolean) => {
    if (next) setJsonText(JSON.stringify(value ?? {}, null, 2));
    else if (jsonError) return;
    setAsJson(next);
  };
  const edit = (next: unknown) => {
    setLocalIssues([]);
    setValue(next);
  };
  const editJson = (text: string) => {
    setJsonText(text);
    setLocalIssues([]);
    try {
      setValue(JSON.parse(text));
      setJsonError(null);
    } catch (err) {
      setJsonError(err instanceof SyntaxError ? err.message : 'Invalid JSON');
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (jsonError || start.isPending) return;
    setSaveFailed(false);
    // A schema that does not compile is the server's to explain (it names the definition path).
    const found = validateAgainstSchema(inputSchema, value ?? {}, 'input', 'definition.inputSchema').filter(
      (issue) => issue.path !== 'definition.inputSchema',
    );
    setLocalIssues(found);
    if (found.length > 0) {
      start.reset();
      refused();
      return;
    }
    if (dirty && !(await saveDraft())) {
      setSaveFailed(true);
      return;
    }
    start.mutate({ workflowId, input: value ?? {}, ...(test ? { test: true } : {}) });
  };

  return (
    <form ref={formRef} onSubmit={submit} className="space-y-4" noValidate>
      {dirty ? (
        <p
          className="rounded-lg bg-amber-50 px-3 py-2 text-xs text-amber-800 ring-1 ring-amber-200"
          data-testid="run-saves-first"
        >
          A run uses the saved draft: your unsaved changes will be saved first.
        </p>
      ) : null}
      {formable ? (
        <div className="flex justify-end">
          <button
            type="button"
            className="text-xs text-indigo-600 hover:underline"
            onClick={() => switchToJson(!asJson)}
            data-testid="run-input-toggle-json"
          >
            {asJson ? 'Use the form' : 'Edit as JSON'}
          </button>
        </div>
      ) : null}
      <div className="max-h-[55vh] overflow-y-auto pr-1">
        {!asJson && spec ? (
          <SchemaForm
            spec={spec}
            value={value}
            onChange={edit}
            path="input"
            issues={inputIssues}
            testIdPrefix="run-input"
            rootLabel="Input"
          />
        ) : (
          <div>
            <label htmlFor={jsonId} className="mb-1.5 block text-sm font-medium text-slate-700">
              Input (JSON)
            </label>
            <textarea
              id={jsonId}
              rows={8}
              spellCheck={false}
              className={`${inputClass} font-mono text-xs ${jsonError || inputIssues.length ? 'ring-rose-400!' : ''}`}
              value={jsonText}
              onChange={(e) => editJson(e.target.value)}
              aria-invalid={jsonError || inputIssues.length ? true : undefined}
              data-testid="run-input-json"
            />
            {jsonError ? <p className="mt-1 text-xs text-rose-600">{jsonError}</p> : null}
            {inputIssues.map((issue) => (
              <p
                key={`${issue.path}:${issue.message}`}
                className="mt-1 text-xs text-rose-600"
                data-testid="run-input-json-issue"
              >
                {labelIssue(issueLabel(issue.path), issue.message)}{' '}
                <span className="font-mono text-rose-400">({issue.path})</span>
              </p>
            ))}
            {spec ? null : (
              <p className="mt-1 text-xs text-slate-500">
                This workflow has no input schema, so any JSON is accepted. Templates read it as{' '}
                <code>{'{{input.<field>}}'}</code>.
              </p>
            )}
          </div>
        )}
      </div>
      {saveFailed ? (
        <p className="text-sm text-rose-600" role="alert">
          The draft could not be saved, so the run did not start. See the message next to “Save draft”.
        </p>
      ) : null}
      {error && inputIssues.length === 0 ? (
        <div className="text-sm text-rose-600" role="alert" data-testid="run-start-error">
          <p>{otherIssues.length > 0 ? 'The workflow cannot run yet:' : error.message}</p>
          {otherIssues.length > 0 ? (
            <ul className="mt-1 list-disc space-y-0.5 pl-5 text-xs">
              {otherIssues.slice(0, 8).map((issue) => (
                <li key={`${issue.path}:${issue.message}`}>
                  <span className="font-mono">{issue.path}</span>: {issue.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      <div className="flex justify-end gap-2 pt-1">
        <Button onClick={onClose}>Cancel</Button>
        <Button
          type="submit"
          variant="primary"
          disabled={start.isPending || jsonError !== null}
          data-testid="run-submit"
        >
          {start.isPending ? 'Starting…' : dirty ? 'Save and run' : 'Run'}
        </Button>
      </div>
    </form>
  );
}

/** `input.query` → "Query", `input.items[2].name` → "Name", `input` → "Input": a field's name for a message. */
function issueLabel(path: string): string {
  const last = /([A-Za-z_$][\w$-]*)(\[\d+\])*$/.exec(path.split('.').at(-1) ?? path)?.[1];
  return humanizeName(last ?? 'input');
}
