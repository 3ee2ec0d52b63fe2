/**
 * "Test this node" in a node's panel: the data it runs on as JSON (`input` for templates, the
 * `upstream` outputs by node id), prefilled from the workflow's last run; _Run this node_ starts a
 * node test (a real run where only this node executes) and shows its output, cost and attempts;
 * _Pin this output_ pins it. A pinned node's output can be edited or removed here.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { readApiError } from '../api-error.ts';
import { CostValue } from '../money/cost-value.tsx';
import { isFinished } from '../runs/run-state.ts';
import { StatusBadge } from '../runs/run-status.tsx';
import { JsonBlock } from '../runs/step-details.tsx';
import { useLiveRun } from '../runs/use-live-run.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import type { Pins } from './use-pins.ts';

interface NodeTestPanelProps {
  workflowId: string;
  nodeId: string;
  pins: Pins;
  /** Saves unsaved changes first (a node test runs the saved draft); false when saving failed. */
  prepareDraft: () => Promise<boolean>;
}

/** A JSON textarea whose value is parsed as it is typed (the error is shown, the last value kept). */
function useJsonText(initial: unknown) {
  const [text, setText] = useState(() => JSON.stringify(initial, null, 2));
  const [error, setError] = useState<string | null>(null);
  const edit = (next: string) => {
    setText(next);
    try {
      JSON.parse(next);
      setError(null);
    } catch (err) {
      setError(err instanceof SyntaxError ? err.message : 'Invalid JSON');
    }
  };
  return { text, error, edit, reset: (value: unknown) => edit(JSON.stringify(value, null, 2)) };
}

export function NodeTestPanel({ workflowId, nodeId, pins, prepareDraft }: NodeTestPanelProps) {
  const trpc = useTRPC();
  const id = useId();
  const prefill = useQuery(trpc.runs.nodeTestData.queryOptions({ workflowId, nodeId }));
  const data = useJsonText({ input: {}, upstream: {} });
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (prefill.data && !touched) data.reset({ input: prefill.data.input, upstream: prefill.data.upstream });
    // Only a fresh prefill replaces the text, never what the user typed.
  }, [prefill.data, touched]);
  const [testRunId, setTestRunId] = useState<string | null>(null);
  const { run } = useLiveRun(testRunId);
  const start = useMutation(
    trpc.runs.testNode.mutationOptions({ onSuccess: (r) => setTestRunId(r.executionId) }),
  );
  const test = run.data;
  const step = test?.steps.find((s) => s.nodeId === nodeId);
  const pinned = pins.outputs.has(nodeId);
  const pinText = useJsonText(pins.outputs.get(nodeId) ?? null);
  const pinnedOutput = pins.outputs.get(nodeId);
  useEffect(() => {
    if (pinned) pinText.reset(pinnedOutput);
  }, [pinned, pinnedOutput]);

  const runNode = async () => {
    if (data.error) return;
    const parsed = JSON.parse(data.text) as { input?: unknown; upstream?: Record<string, unknown> };
    if (!(await prepareDraft())) return;
    start.mutate({
      workflowId,
      nodeId,
      input: parsed?.input ?? {},
      upstream: parsed?.upstream ?? {},
    });
  };
  const error = start.error
    ? readApiError(start.error).message
    : pins.error
      ? readApiError(pins.error).message
      : null;

  return (
    <section aria-labelledby={`${id}-title`} className="space-y-3" data-testid="node-test">
      <h3 id={`${id}-title`} className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
        Test this node
      </h3>
      <label htmlFor={`${id}-data`} className="block text-xs text-slate-600">
        Data: <span className="font-mono">input</span> (what templates see as the run input) and{' '}
        <span className="font-mono">upstream</span> outputs by node id
        {prefill.data?.fromExecutionId ? ', from the last run' : ''}.
      </label>
      <textarea
        id={`${id}-data`}
        rows={6}
        spellCheck={false}
        className={`${inputClass} resize-y font-mono text-xs leading-5 ${data.error ? 'ring-rose-400!' : ''}`}
        value={data.text}
        onChange={(e) => {
          setTouched(true);
          data.edit(e.target.value);
        }}
        aria-invalid={data.error ? true : undefined}
        data-testid="node-test-data"
      />
      {data.error ? <p className="text-xs text-rose-600">{data.error}</p> : null}
      <Button
        variant="primary"
        className="w-full"
        onClick={() => void runNode()}
        disabled={start.isPending || Boolean(data.error) || (test !== undefined && !isFinished(test.status))}
        data-testid="node-test-run"
      >
        {start.isPending || (test && !isFinished(test.status)) ? 'Running…' : 'Run this node'}
      </Button>
      {error ? (
        <p className="text-xs text-rose-600" role="alert" data-testid="node-test-error">
          {error}
        </p>
      ) : null}
      {test && isFinished(test.status) ? (
        <div
          className="space-y-2 rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200"
          data-testid="node-test-result"
        >
          <div className="flex items-center justify-between text-xs">
            <StatusBadge status={test.status} testId="node-test-status" />
            <span>
              Cost: <CostValue cost={step ?? test} testId="node-test-cost" />
            </span>
            <span data-testid="node-test-attempts">
              {step?.attempts.length ?? 0} attempt{step?.attempts.length === 1 ? '' : 's'}
            </span>
          </div>
          {(step?.error ?? test.error) ? (
            <p className="text-xs text-rose-700">{(step?.error ?? test.error)?.message}</p>
          ) : null}
          <JsonBlock value={step?.output ?? null} testId="node-test-output" empty="No output" />
          {step?.status === 'succeeded' ? (
            <Button
              className="w-full"
              onClick={() => void pins.pin(nodeId, step.output)}
              disabled={pins.pending}
              data-testid="node-test-pin"
            >
              Pin this output
            </Button>
          ) : null}
        </div>
      ) : null}
      {pinned ? (
        <div className="space-y-2 rounded-lg bg-amber-50 p-3 ring-1 ring-amber-200" data-testid="node-pin">
          <p className="text-xs text-amber-800">
            Pinned: test runs from the editor use this output instead of running the node. Real runs (API,
            schedules, webhooks) never do.
          </p>
          <textarea
            rows={5}
            spellCheck={false}
            aria-label="Pinned output (JSON)"
            className={`${inputClass} resize-y font-mono text-xs leading-5 ${pinText.error ? 'ring-rose-400!' : ''}`}
            value={pinText.text}
            onChange={(e) => pinText.edit(e.target.value)}
            data-testid="node-pin-json"
          />
          {pinText.error ? <p className="text-xs text-rose-600">{pinText.error}</p> : null}
          <div className="flex gap-2">
            <Button
              className="flex-1"
              disabled={pins.pending || Boolean(pinText.error)}
              onClick={() => void pins.pin(nodeId, JSON.parse(pinText.text))}
              data-testid="node-pin-save"
            >
              Save pin
            </Button>
            <Button
              className="flex-1 text-rose-700 hover:bg-rose-50"
              disabled={pins.pending}
              onClick={() => void pins.unpin(nodeId)}
              data-testid="node-pin-remove"
            >
              Unpin
            </Button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
