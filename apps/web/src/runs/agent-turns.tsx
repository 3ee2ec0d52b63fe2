/**
 * The turns of an agent that called tools, for its step's details: each model turn (the model that
 * answered, tokens and cost from its attempts, the tools it asked for) followed by its tool calls
 * (arguments, result or error, duration). Fed by the agent's child steps, which arrive live like
 * any other step.
 */
import { CostValue } from '../money/cost-value.tsx';
import { formatDuration, type RunStep, totalTokens } from './run-state.ts';
import { StatusIcon } from './run-status.tsx';
import { JsonBlock, Section } from './step-details.tsx';

/** `agent/turn-2/call-1` → [2, 1]; `agent/turn-2` → [2, 0]: turns in order, each before its calls. */
function position(step: RunStep): [number, number] {
  const match = /\/turn-(\d+)(?:\/call-(\d+))?$/.exec(step.nodeId);
  return [Number(match?.[1] ?? 0), Number(match?.[2] ?? 0)];
}

export function agentChildSteps(steps: readonly RunStep[], nodeId: string): RunStep[] {
  return steps
    .filter((s) => s.parentNodeId === nodeId)
    .sort((a, b) => {
      const [ta, ca] = position(a);
      const [tb, cb] = position(b);
      return ta - tb || ca - cb;
    });
}

interface TurnOutput {
  text?: string;
  toolCalls?: Array<{ name: string }>;
  provider?: string;
  model?: string;
}

/** The turns panel for `nodeId`'s step, or nothing when it has no child steps. */
export function agentTurnsOf(steps: readonly RunStep[], nodeId: string) {
  const children = agentChildSteps(steps, nodeId);
  return children.length > 0 ? <AgentTurns steps={children} /> : undefined;
}

export function AgentTurns({ steps }: { steps: readonly RunStep[] }) {
  return (
    <Section title="Turns">
      <ol className="space-y-2" data-testid="agent-turns">
        {steps.map((step) =>
          step.nodeType === 'agent-turn' ? (
            <TurnRow key={step.id} step={step} />
          ) : (
            <ToolCallRow key={step.id} step={step} />
          ),
        )}
      </ol>
    </Section>
  );
}

function TurnRow({ step }: { step: RunStep }) {
  const [turn] = position(step);
  const output = (step.output ?? {}) as TurnOutput;
  const tokens = step.attempts.reduce((sum, a) => sum + (totalTokens(a.usage) ?? 0), 0);
  const calls = output.toolCalls ?? [];
  return (
    <li
      className="rounded-lg p-2.5 text-xs ring-1 ring-slate-200"
      data-testid="agent-turn"
      data-status={step.status}
    >
      <div className="flex items-center gap-1.5">
        <StatusIcon status={step.status} />
        <span className="font-medium text-slate-800">Turn {turn}</span>
        {output.model ? (
          <span className="font-mono text-slate-600">
            {output.provider}/{output.model}
          </span>
        ) : null}
        <span className="ml-auto text-slate-600">
          <CostValue cost={step} />
        </span>
      </div>
      <p className="mt-1 text-slate-600">
        {step.attempts.length} attempt{step.attempts.length === 1 ? '' : 's'} ·{' '}
        {tokens.toLocaleString('en-US')} tokens · {formatDuration(step.durationMs)}
        {calls.length > 0 ? ` · called ${calls.map((c) => c.name).join(', ')}` : ' · answered'}
      </p>
      {step.error ? <p className="mt-1 text-rose-700">{step.error.message}</p> : null}
    </li>
  );
}

function ToolCallRow({ step }: { step: RunStep }) {
  const input = (step.input ?? {}) as { tool?: string; node?: string | null; arguments?: unknown };
  const result = (step.output as { result?: unknown } | null)?.result;
  return (
    <li
      className={`ml-4 rounded-lg p-2.5 text-xs ring-1 ${step.error ? 'bg-rose-50/40 ring-rose-200' : 'ring-slate-200'}`}
      data-testid="agent-tool-call"
      data-status={step.status}
    >
      <div className="flex items-center gap-1.5">
        <StatusIcon status={step.status} />
        <span className="font-mono font-medium text-slate-800">{input.tool}</span>
        {input.node ? <span className="text-slate-500">→ {input.node}</span> : null}
        <span className="ml-auto text-slate-600">{formatDuration(step.durationMs)}</span>
      </div>
      <div className="mt-1.5 space-y-1">
        <JsonBlock value={input.arguments ?? null} empty="No arguments" />
        {step.error ? (
          <p className="text-rose-700">
            <span className="font-mono">{step.error.code}</span>: {step.error.message}
          </p>
        ) : (
          <JsonBlock value={result ?? null} empty="No result" />
        )}
      </div>
    </li>
  );
}
