/**
 * One step of a run, for the side panel: status and timing, its error, the provider attempts
 * (what was asked for and what answered, why each attempt happened, its error class, latency,
 * tokens and cost) with the fallback path they took, and the step's input and output.
 */
import type { ReactNode } from 'react';
import { categoryStyle, NodeIcon } from '../editor/node-appearance.tsx';
import type { PaletteEntry } from '../editor/node-palette.ts';
import { CostValue } from '../money/cost-value.tsx';
import { formatDollars } from '../money/money.ts';
import { Button } from '../ui/button.tsx';
import {
  fallbackPath,
  formatDuration,
  type NodeRunStatus,
  type RunAttempt,
  type RunStep,
  totalTokens,
} from './run-state.ts';
import { StatusBadge, StatusIcon } from './run-status.tsx';

interface StepDetailsProps {
  nodeId: string;
  nodeName: string;
  entry: PaletteEntry;
  status: NodeRunStatus;
  step: RunStep | undefined;
  /** Offered once the run has finished. */
  onRerunFrom?: (() => void) | undefined;
  rerunning?: boolean;
  rerunError?: string | null;
  /** What a re-run from here does (the editor re-runs its draft; the run page the run's own graph). */
  rerunHint?: string;
  /** An agent's turns and tool calls (`AgentTurns`), when it called tools. */
  turns?: ReactNode;
}

export function StepDetails({
  nodeId,
  nodeName,
  entry,
  status,
  step,
  onRerunFrom,
  rerunning = false,
  rerunError,
  rerunHint = 'Steps before this node are reused from this run; this node and everything after it run again.',
  turns,
}: StepDetailsProps) {
  return (
    <div className="space-y-5" data-testid="step-details" data-node-id={nodeId} data-status={status}>
      <div className="flex items-center gap-3">
        <span
          className={`flex size-9 items-center justify-center rounded-lg ${categoryStyle(entry.category).badge}`}
        >
          <NodeIcon type={entry.type} className="size-5" />
        </span>
        <div className="min-w-0 flex-1">
          <p className="truncate text-sm font-semibold text-slate-900">{nodeName}</p>
          <p className="truncate font-mono text-xs text-slate-500">{nodeId}</p>
        </div>
        <StatusBadge status={status} testId="step-status" />
      </div>

      {!step ? (
        <p className="text-sm text-slate-500">
          {status === 'pending'
            ? 'This node has not started yet.'
            : 'This node did not run: the run ended before it was reached.'}
        </p>
      ) : (
        <>
          <dl className="grid grid-cols-3 gap-2 text-xs">
            <Stat label="Duration">{formatDuration(step.durationMs)}</Stat>
            <Stat label="Cost">
              <CostValue cost={step} testId="step-details-cost" />
            </Stat>
            <Stat label="Attempts">{step.attempts.length}</Stat>
          </dl>
          {step.pinned ? (
            <p
              className="rounded-lg bg-amber-50 px-3 py-2 text-xs text-amber-800 ring-1 ring-amber-200"
              data-testid="step-pinned"
            >
              Pinned: this test run used the node's pinned output instead of running it (no provider calls, no
              cost).
            </p>
          ) : null}
          {step.reusedFromStepId ? (
            <p className="rounded-lg bg-slate-50 px-3 py-2 text-xs text-slate-600 ring-1 ring-slate-200">
              Reused from the earlier run: not executed again, no tokens spent.
            </p>
          ) : null}
          {step.branch ? (
            <p className="text-xs text-slate-600">
              Took the <span className="font-mono font-medium">{step.branch}</span> branch.
            </p>
          ) : null}
          {step.error ? (
            <div
              className="rounded-lg bg-rose-50 p-3 ring-1 ring-rose-200"
              role="alert"
              data-testid="step-error"
            >
              <p className="font-mono text-[11px] text-rose-500">{step.error.code}</p>
              <p className="mt-0.5 text-sm break-words text-rose-800">{step.error.message}</p>
            </div>
          ) : null}
          {step.attempts.length > 0 ? <Attempts attempts={step.attempts} /> : null}
          {turns}
          <Section title="Output">
            <JsonBlock value={step.output} testId="step-output" empty="No output" />
          </Section>
          <Section title="Input">
            <JsonBlock value={step.input} testId="step-input" empty="No input" />
          </Section>
        </>
      )}

      {onRerunFrom ? (
        <div>
          <Button className="w-full" onClick={onRerunFrom} disabled={rerunning} data-testid="rerun-from-node">
            {rerunning ? 'Starting…' : 'Re-run from this node'}
          </Button>
          <p className="mt-1 text-[11px] text-slate-500">{rerunHint}</p>
          {rerunError ? (
            <p className="mt-1 text-xs text-rose-600" role="alert">
              {rerunError}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

function Attempts({ attempts }: { attempts: readonly RunAttempt[] }) {
  const path = fallbackPath(attempts);
  return (
    <Section title="Provider attempts">
      {path.length > 1 ? (
        <ol
          className="mb-2 flex flex-wrap items-center gap-1 text-[11px]"
          aria-label="Fallback path"
          data-testid="fallback-path"
        >
          {path.map((hop, i) => (
            <li key={`${hop.label}-${i}`} className="flex items-center gap-1">
              {i > 0 ? <span className="text-slate-400">→</span> : null}
              <span
                className={`inline-flex items-center gap-1 rounded px-1.5 py-0.5 font-mono ${
                  hop.ok ? 'bg-emerald-50 text-emerald-800' : 'bg-rose-50 text-rose-700'
                }`}
              >
                <StatusIcon status={hop.ok ? 'succeeded' : 'failed'} className="size-3" />
                {hop.label}
                {hop.tries > 1 ? ` ×${hop.tries}` : ''}
              </span>
            </li>
          ))}
        </ol>
      ) : null}
      <ol className="space-y-2">
        {attempts.map((attempt, i) => (
          <AttemptRow key={`${attempt.startedAt.getTime()}-${i}`} attempt={attempt} index={i} />
        ))}
      </ol>
    </Section>
  );
}

function AttemptRow({ attempt, index }: { attempt: RunAttempt; index: number }) {
  const requested = `${attempt.requestedProvider}/${attempt.requestedModel}`;
  const served = `${attempt.servedProvider}/${attempt.servedModel}`;
  const ok = attempt.errorClass === null;
  const tokens = totalTokens(attempt.usage);
  return (
    <li
      className={`rounded-lg p-2.5 text-xs ring-1 ${ok ? 'ring-slate-200' : 'bg-rose-50/40 ring-rose-200'}`}
      data-testid="attempt-row"
      data-ok={ok}
    >
      <div className="flex items-center gap-1.5">
        <span className={ok ? 'text-emerald-600' : 'text-rose-600'}>
          <StatusIcon status={ok ? 'succeeded' : 'failed'} />
        </span>
        <span className="font-medium text-slate-800">#{index + 1}</span>
        <span className="font-mono text-slate-800" data-testid="attempt-served">
          {served}
        </span>
        <span className="ml-auto rounded bg-slate-100 px-1.5 py-px text-[10px] text-slate-600">
          {attempt.reason}
        </span>
      </div>
      {requested !== served ? (
        <p className="mt-1 text-slate-500">
          asked for <span className="font-mono">{requested}</span>
        </p>
      ) : null}
      {attempt.errorClass ? (
        <p className="mt-1 text-rose-700">
          <span className="font-mono">{attempt.errorClass}</span>
          {attempt.errorMessage ? `: ${attempt.errorMessage}` : ''}
          {attempt.abandoned ? (
            <span className="block text-slate-500" data-testid="attempt-abandoned">
              given up by this node (its latency threshold or timeout), not counted against the provider
            </span>
          ) : null}
        </p>
      ) : null}
      <dl className="mt-1.5 flex flex-wrap gap-x-3 gap-y-0.5 text-slate-600">
        <Inline label="latency">{formatDuration(attempt.latencyMs)}</Inline>
        <Inline label="tokens">
          {tokens === null || !attempt.usage
            ? 'not reported'
            : `${tokens.toLocaleString('en-US')} (${attempt.usage.inputTokens.toLocaleString('en-US')} in, ${attempt.usage.outputTokens.toLocaleString('en-US')} out)`}
        </Inline>
        <Inline label="cost">
          {attempt.costStatus === 'priced'
            ? formatDollars(attempt.costMicros)
            : attempt.costStatus === 'unpriced'
              ? 'unknown: no price for this model'
              : attempt.errorClass === null
                ? 'unknown: no usage reported'
                : 'none reported (failed call)'}
        </Inline>
      </dl>
    </li>
  );
}

function Inline({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex gap-1">
      <dt className="text-slate-400">{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="rounded-lg bg-slate-50 px-2.5 py-2">
      <dt className="text-[11px] text-slate-500">{label}</dt>
      <dd className="mt-0.5 font-medium text-slate-900">{children}</dd>
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section>
      <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-slate-500 uppercase">{title}</h3>
      {children}
    </section>
  );
}

/** A JSON value for reading: text as text, anything else pretty-printed. */
export function JsonBlock({
  value,
  testId,
  empty = 'Nothing',
}: {
  value: unknown;
  testId?: string;
  empty?: string;
}) {
  if (value === null || value === undefined) {
    return (
      <p className="text-xs text-slate-400" data-testid={testId}>
        {empty}
      </p>
    );
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return (
    <pre
      className={`max-h-72 overflow-auto rounded-lg bg-slate-900 p-3 text-xs leading-5 whitespace-pre-wrap break-words text-slate-100 ${
        typeof value === 'string' ? 'font-sans' : 'font-mono'
      }`}
      data-testid={testId}
    >
      {text}
    </pre>
  );
}
