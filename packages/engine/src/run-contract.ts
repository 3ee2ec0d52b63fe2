/**
 * The contract between the executor (this package) and whoever runs it (the runner): what goes in
 * (a definition, input, the node registry, services, steps already done) and what comes out (each
 * step as it finishes, then the run's outcome). The runner persists; the executor never touches a
 * database or a queue.
 */
import type { AttemptReason, ErrorClass, ProviderId } from './provider-ids.ts';

/**
 * How a run was started. One list for every layer that checks it — the database column, the API's
 * filter, the export format, the metrics label, the web filter — so none of them drifts.
 */
export const EXECUTION_TRIGGERS = ['manual', 'api', 'schedule', 'webhook', 'error'] as const;
export type ExecutionTrigger = (typeof EXECUTION_TRIGGERS)[number];

/** What a failed run or step reports: a message for people, a code for programs, the node at fault. */
export interface RunError {
  message: string;
  /** e.g. `node_failed`, `timeout`, `cancelled`, `output_too_large`, `invalid_input`, `expression_error`. */
  code: string;
  nodeId?: string | undefined;
}

/**
 * One provider attempt as the ledger records it. Mirrors `Attempt` from `@swarm/providers` (which
 * is assignable to it); declared here so the engine doesn't depend on the providers package.
 */
export interface AttemptRecord {
  requestedProvider: ProviderId;
  requestedModel: string;
  servedProvider: ProviderId;
  servedModel: string;
  reason: AttemptReason;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
  startedAt: Date;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  usage: {
    inputTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
    outputTokens: number;
    reasoningTokens: number;
  } | null;
  priceId: string | null;
  costMicros: number | null;
  costStatus: 'priced' | 'unpriced' | 'no_usage';
  /**
   * The caller gave up on it under its own policy — slower than the node's `latencyThresholdMs`, or
   * timed out under a budget shorter than the default — rather than the provider failing: the
   * breakers and the health page leave it out.
   */
  abandoned?: boolean | undefined;
}

/**
 * Whether an attempt's cost is unknown: no price for the model (`unpriced`), or an answer that
 * reported no usage (tokens were billed, nobody said how many). A failed call without usage cost
 * nothing we know of, and a call refused by an open circuit was never sent: both are known $0.
 */
export function isUnknownCost(attempt: Pick<AttemptRecord, 'costStatus' | 'errorClass'>): boolean {
  return (
    attempt.costStatus === 'unpriced' || (attempt.costStatus === 'no_usage' && attempt.errorClass === null)
  );
}

/** What a set of attempts (a step's, a run's) cost, with unknown kept unknown. */
export interface CostSummary {
  /** Micro-dollars; null when any attempt's cost is unknown (never shown or summed as $0). */
  costMicros: number | null;
  /** Sum of the priced attempts: the known part, whatever the unknown ones cost. */
  knownCostMicros: number;
  /** Attempts whose cost is unknown (see `isUnknownCost`). */
  unknownCostAttempts: number;
}

export function summarizeAttemptCosts(
  attempts: ReadonlyArray<Pick<AttemptRecord, 'costStatus' | 'errorClass' | 'costMicros'>>,
): CostSummary {
  let known = 0;
  let unknown = 0;
  for (const a of attempts) {
    if (a.costStatus === 'priced' && a.costMicros !== null) known += a.costMicros;
    else if (isUnknownCost(a)) unknown += 1;
  }
  return { costMicros: unknown > 0 ? null : known, knownCostMicros: known, unknownCostAttempts: unknown };
}

/** Two summaries added: unknown if either is. */
export function addCostSummaries(a: CostSummary, b: CostSummary): CostSummary {
  const knownCostMicros = a.knownCostMicros + b.knownCostMicros;
  const unknownCostAttempts = a.unknownCostAttempts + b.unknownCostAttempts;
  return {
    costMicros: unknownCostAttempts > 0 ? null : knownCostMicros,
    knownCostMicros,
    unknownCostAttempts,
  };
}

/** A tool call a model made (mirrors `ToolCall` of `@swarm/providers`). */
export interface LlmToolCall {
  id: string;
  name: string;
  /** JSON text as the model sent it (it may not parse). */
  arguments: string;
  /** Gemini's thought signature, sent back with the call. */
  signature?: string | undefined;
}

/** One message of a conversation (mirrors `ChatMessage` of `@swarm/providers`). */
export type LlmMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: LlmToolCall[] | undefined }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean | undefined };

/** The LLM call an `agent` node makes; the runner backs it with the providers' fallback router. */
export interface LlmClient {
  complete(
    request: {
      system?: string | undefined;
      messages: LlmMessage[];
      temperature?: number | undefined;
      maxTokens?: number | undefined;
      jsonSchema?: { name: string; schema: Record<string, unknown> } | undefined;
      /** Tools the model may call (the answer may then carry `toolCalls`). */
      tools?:
        | Array<{ name: string; description?: string | undefined; parameters: Record<string, unknown> }>
        | undefined;
      signal?: AbortSignal | undefined;
    },
    policy: {
      chain: Array<{ provider: ProviderId; model: string; credential?: string | undefined }>;
      fallbackOn?: Array<string | number> | undefined;
      routing?: string | undefined;
      latencyThresholdMs?: number | undefined;
      /** False: only the chain's own models, never the model map's equivalents. Default true. */
      useModelMap?: boolean | undefined;
      maxAttempts?: number | undefined;
      /** Per attempt. */
      timeoutMs?: number | undefined;
      /** For the whole call. */
      deadlineMs?: number | undefined;
      retry?:
        | {
            retries?: number | undefined;
            baseDelayMs?: number | undefined;
            maxDelayMs?: number | undefined;
            maxTotalDelayMs?: number | undefined;
          }
        | undefined;
    },
    context: { executionId: string; nodeId: string; agentRole: string },
  ): Promise<{
    text: string;
    provider: ProviderId;
    model: string;
    attempts: AttemptRecord[];
    /** The tools the model asked to call; absent or empty when it answered. */
    toolCalls?: LlmToolCall[] | undefined;
  }>;
}

/** An error from `LlmClient.complete` may carry the attempts it made (they may have cost money). */
export interface LlmFailure extends Error {
  attempts?: AttemptRecord[];
}

export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** A step finished in an earlier run attempt (resume) or an earlier run (re-run): not executed again. */
export interface PriorStep {
  nodeId: string;
  status: 'succeeded' | 'skipped';
  output: unknown;
  /** For branching nodes, the handle that was taken. */
  branch: string | null;
}

export interface StepStarted {
  nodeId: string;
  nodeType: string;
  input: unknown;
  startedAt: Date;
}

export interface StepFinished {
  nodeId: string;
  nodeType: string;
  status: StepStatus;
  input: unknown;
  output: unknown;
  error: RunError | null;
  branch: string | null;
  startedAt: Date | null;
  finishedAt: Date;
  attempts: AttemptRecord[];
  /** The node was not executed: a test run used its pinned output (no attempts, no cost). */
  pinned?: boolean | undefined;
}

/** Outputs a test run uses instead of executing the nodes (keyed by node id). */
export type RunPins = Readonly<Record<string, { output: unknown }>>;
/**
 * A step inside a node's step: one model turn of an agent that calls tools (with that turn's
 * provider attempts), or one of its tool calls. Its id is `<node>/turn-<n>` or
 * `<node>/turn-<n>/call-<k>` (node ids can't contain `/`, so these never clash with nodes).
 */
export interface ChildStepFinished {
  nodeId: string;
  parentNodeId: string;
  /** `agent-turn` or `agent-tool`. */
  nodeType: string;
  status: 'succeeded' | 'failed';
  input: unknown;
  output: unknown;
  error: RunError | null;
  startedAt: Date;
  finishedAt: Date;
  attempts: AttemptRecord[];
}

/** A child step finished in an earlier attempt of this run: taken as it was on resume. */
export interface PriorChildStep {
  nodeId: string;
  parentNodeId: string;
  status: 'succeeded' | 'failed';
  input: unknown;
  output: unknown;
  error: RunError | null;
}

export interface RunHooks {
  /**
   * When a child step (an agent's turn or tool call) finished. It must be durable when this
   * resolves: a resumed run takes it instead of repeating the turn or the call.
   */
  childStepFinished?(step: ChildStepFinished): Promise<void>;
  /** Before a node runs (the runner marks the step `running` and tells live viewers). */
  stepStarted?(step: StepStarted): Promise<void>;
  /**
   * When a node reaches a final status. The executor awaits it before starting any node that
   * depends on this one, so a persisted step is never ahead of its inputs.
   */
  stepFinished?(step: StepFinished): Promise<void>;
}

export interface RunLimits {
  /** Nodes running at once within one run. */
  concurrency?: number | undefined;
  stepTimeoutMs?: number | undefined;
  /** Largest JSON-serialised node output. */
  maxOutputBytes?: number | undefined;
}

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  output: unknown;
  error: RunError | null;
}
