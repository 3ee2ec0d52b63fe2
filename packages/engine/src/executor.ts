/**
 * The executor: walks a validated workflow graph, running each node when its inputs are ready and
 * independent branches side by side (at most `limits.concurrency` at once). It persists nothing
 * itself — the runner's hooks do, and each `stepFinished` is awaited before any dependent node
 * starts — and it never throws for a workflow's own failures: those end as a `RunOutcome`.
 *
 * Rules:
 * - Edge liveness. An edge is live when its source succeeded and, for a branching source (several
 *   output handles, e.g. `condition`), the edge leaves from the handle the source took. An edge
 *   from a skipped source is dead.
 * - Skipping. A node runs once every incoming edge's source is final and at least one edge is live;
 *   it is skipped when all of its incoming edges are dead. So a node fed by both sides of a
 *   condition (directly or through a merge) still runs, with only the live side as input; a node
 *   behind the untaken handle only is skipped, and so is everything that only it feeds.
 * - Inputs. `execute` gets `{ [sourceId]: output }` of its live edges; templates and expressions
 *   see the run input and the outputs of succeeded ancestors (`nodes.<id>.output`).
 * - Prior steps (resume, re-run) are taken as they were — outputs, skips and the branch a condition
 *   took — and are not executed or reported again.
 * - Pins (test runs only): a pinned node is not executed; when it is ready, its pinned output is
 *   reported as a succeeded step marked `pinned` (no attempts) and its dependents see that output.
 * - Failure. A failing step fails the run with its error code and `nodeId`. Steps in flight are
 *   aborted and reported `cancelled`; nodes not started yet are not started and not reported.
 * - Cancellation (`signal`): the same, ending `cancelled`. A node that ignores its abort signal is
 *   not waited for: its step is reported `cancelled` as soon as the signal fires.
 * - Output. With one output node that ran, the run's output is that node's output; with several,
 *   an object keyed by output node id (in definition order) of those that ran; with none, null.
 * - Hooks are called one at a time, in the order events happen; nodes that become ready together
 *   start in the order they appear in the definition.
 */
import type { WorkflowDefinition, WorkflowEdge, WorkflowNode } from './definition.ts';
import { describeIssues } from './errors.ts';
import { sharedExpressionPool } from './expression-pool.ts';
import { expressionData } from './expressions.ts';
import { ancestorSets, PositionHeap, topologicalOrder } from './graph-order.ts';
import {
  type AnyNodeType,
  type EngineLogger,
  type NodeContext,
  NodeError,
  type NodeRegistry,
  type RunServices,
  type UpstreamOutputs,
} from './node-type.ts';
import type {
  AttemptRecord,
  PriorChildStep,
  PriorStep,
  RunError,
  RunHooks,
  RunLimits,
  RunOutcome,
  RunPins,
  StepFinished,
  StepStatus,
} from './run-contract.ts';
import { validateRunInput, validateRunOutput } from './run-input.ts';
import { renderTemplate, renderTemplateValue, type TemplateScope } from './templating.ts';
import { subflowDefinition, toolSubflows, withoutToolNodes } from './tool-bindings.ts';
import { parseNodeConfig, validateWorkflow } from './workflow-validation.ts';

export const DEFAULT_RUN_LIMITS = {
  concurrency: 4,
  stepTimeoutMs: 5 * 60_000,
  maxOutputBytes: 1_000_000,
} as const satisfies Required<RunLimits>;

export interface RunWorkflowOptions {
  definition: WorkflowDefinition;
  input: unknown;
  registry: NodeRegistry;
  /** Passed to nodes (and to the LLM client, for the attempt ledger). */
  executionId: string;
  services?: RunServices | undefined;
  hooks?: RunHooks | undefined;
  /** Steps already finished (resume after a runner died, or re-run from a node). */
  priorSteps?: readonly PriorStep[] | undefined;
  /** Test runs: nodes whose pinned output is used instead of executing them. */
  pins?: RunPins | undefined;
  /** Child steps (agent turns and tool calls) finished in an earlier attempt of this run. */
  priorChildSteps?: readonly PriorChildStep[] | undefined;
  signal?: AbortSignal | undefined;
  limits?: RunLimits | undefined;
}

type NodeState =
  | { status: 'pending' | 'running' | 'failed' | 'cancelled' | 'skipped' }
  | { status: 'succeeded'; output: unknown; branch: string | null };

type StopReason =
  | { kind: 'failed'; error: RunError }
  | { kind: 'cancelled' }
  | { kind: 'hook'; error: unknown };

class StepTimeout extends Error {}

const silentLogger: EngineLogger = { debug() {}, info() {}, warn() {}, error() {} };

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Rejects when `signal` aborts, without waiting for `work` (a node may ignore its signal). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {}); // a late rejection after the abort must not go unhandled
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function measureOutput(output: unknown): number | string {
  try {
    return Buffer.byteLength(JSON.stringify(output) ?? 'null');
  } catch (err) {
    return (err as Error).message;
  }
}

/** Runs a workflow to its end. Rejects only when a hook throws (the runner could not persist). */
export async function runWorkflow(options: RunWorkflowOptions): Promise<RunOutcome> {
  const { registry, executionId, hooks = {}, signal, pins } = options;
  const services = options.services ?? {};
  const concurrency = Math.floor(positive(options.limits?.concurrency, DEFAULT_RUN_LIMITS.concurrency));
  const stepTimeoutMs = positive(options.limits?.stepTimeoutMs, DEFAULT_RUN_LIMITS.stepTimeoutMs);
  const maxOutputBytes = positive(options.limits?.maxOutputBytes, DEFAULT_RUN_LIMITS.maxOutputBytes);

  const checked = validateWorkflow(options.definition, registry);
  if (!checked.valid || !checked.definition)
    return {
      status: 'failed',
      output: null,
      error: {
        code: 'invalid_workflow',
        message: `the workflow cannot run: ${describeIssues(checked.errors)}`,
      },
    };
  // Tool nodes run only when their agent calls them, as workflows of their own.
  const subflows = toolSubflows(checked.definition);
  const def = withoutToolNodes(checked.definition, subflows);
  const inputIssues = validateRunInput(def, options.input);
  if (inputIssues.length > 0)
    return {
      status: 'failed',
      output: null,
      error: { code: 'invalid_input', message: describeIssues(inputIssues) },
    };
  if (signal?.aborted)
    return {
      status: 'cancelled',
      output: null,
      error: { code: 'cancelled', message: 'the run was cancelled' },
    };

  const priorChildSteps = options.priorChildSteps ?? [];
  const toolsByAgent = new Map<string, string[]>();
  for (const node of checked.definition.nodes)
    if (node.type === 'agent' && Array.isArray(node.config.tools))
      toolsByAgent.set(
        node.id,
        node.config.tools.flatMap((t: unknown) => {
          const entry = (t as { node?: unknown } | null)?.node;
          return typeof entry === 'string' ? [entry] : [];
        }),
      );
  const nodesById = new Map(def.nodes.map((n) => [n.id, n]));
  const typeOf = new Map<string, AnyNodeType>(def.nodes.map((n) => [n.id, registry.get(n.type)!]));
  const incoming = new Map<string, WorkflowEdge[]>();
  /** Each node's direct dependents (edge targets, once each). */
  const dependents = new Map<string, Set<string>>();
  for (const edge of def.edges) {
    const list = incoming.get(edge.target) ?? [];
    list.push(edge);
    incoming.set(edge.target, list);
    const targets = dependents.get(edge.source) ?? new Set<string>();
    targets.add(edge.target);
    dependents.set(edge.source, targets);
  }
  const order = topologicalOrder(def, incoming, dependents);
  const position = new Map(order.map((n, i) => [n.id, i]));
  const ancestors = ancestorSets(order, position, incoming);

  const states = new Map<string, NodeState>(def.nodes.map((n) => [n.id, { status: 'pending' }]));
  for (const prior of options.priorSteps ?? []) {
    if (!states.has(prior.nodeId)) continue; // the definition changed since; nothing to reuse
    states.set(
      prior.nodeId,
      prior.status === 'succeeded'
        ? { status: 'succeeded', output: prior.output, branch: prior.branch }
        : { status: 'skipped' },
    );
  }

  const runController = new AbortController();
  let stop: StopReason | null = null;
  const halt = (reason: StopReason) => {
    stop ??= reason;
    runController.abort(reason);
  };
  const onCancel = () => halt({ kind: 'cancelled' });
  signal?.addEventListener('abort', onCancel, { once: true });

  // Hooks run one at a time, in the order they are asked for; a failing hook stops the run.
  let hookChain: Promise<unknown> = Promise.resolve();
  const callHook = (call: () => Promise<void> | undefined): Promise<boolean> => {
    const result = hookChain.then(async () => {
      if (stop?.kind === 'hook') return false;
      try {
        await call();
        return true;
      } catch (error) {
        halt({ kind: 'hook', error });
        return false;
      }
    });
    hookChain = result;
    return result;
  };

  const nodeLabel = (node: WorkflowNode) => (node.name ? `"${node.name}" (${node.id})` : `"${node.id}"`);

  /** Live (true), dead (false) or not decided yet (null). */
  const edgeLive = (edge: WorkflowEdge): boolean | null => {
    const source = states.get(edge.source)!;
    if (source.status === 'skipped') return false;
    if (source.status !== 'succeeded') return null;
    return source.branch === null || edge.sourceHandle === undefined || edge.sourceHandle === source.branch;
  };

  /**
   * What `nodes.<id>.output` means for a step: the outputs of its succeeded ancestors. A live view
   * (ancestors are final once a node starts, so it is the same as a snapshot) instead of a copy:
   * building a copy of every ancestor's output for every step made long chains quadratic.
   */
  const upstreamOutputs = (nodeId: string): UpstreamOutputs => {
    const bits = ancestors[position.get(nodeId)!]!;
    const visible = (key: string | symbol): key is string => {
      if (typeof key !== 'string') return false;
      const at = position.get(key);
      return (
        at !== undefined &&
        (bits[at >>> 5]! & (1 << (at & 31))) !== 0 &&
        states.get(key)!.status === 'succeeded'
      );
    };
    const entry = (key: string) => ({ output: (states.get(key) as { output: unknown }).output });
    return new Proxy(Object.create(null) as UpstreamOutputs, {
      get: (_target, key) => (visible(key) ? entry(key) : undefined),
      has: (_target, key) => visible(key),
      ownKeys: () => order.map((n) => n.id).filter(visible),
      getOwnPropertyDescriptor: (_target, key) =>
        visible(key)
          ? { value: entry(key), enumerable: true, configurable: true, writable: false }
          : undefined,
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    });
  };

  /** Nodes whose readiness may have changed, by topological position: all at first, then dependents. */
  const toCheck = new PositionHeap();
  order.forEach((_node, i) => {
    toCheck.push(i);
  });
  const dependentsChanged = (nodeId: string) => {
    for (const target of dependents.get(nodeId) ?? []) toCheck.push(position.get(target)!);
  };

  /** Marks newly skippable nodes (reporting them) and returns the nodes ready to start. */
  const settle = async (): Promise<string[]> => {
    const ready: string[] = [];
    while (toCheck.size > 0) {
      if (stop) return [];
      const node = order[toCheck.pop()]!;
      if (states.get(node.id)!.status !== 'pending') continue;
      const edges = incoming.get(node.id) ?? [];
      const live = edges.map(edgeLive);
      if (live.includes(null)) continue;
      if (edges.length > 0 && !live.includes(true)) {
        const reported = await callHook(() =>
          hooks.stepFinished?.({
            nodeId: node.id,
            nodeType: node.type,
            status: 'skipped',
            input: null,
            output: null,
            error: null,
            branch: null,
            startedAt: null,
            finishedAt: new Date(),
            attempts: [],
          }),
        );
        if (!reported) return [];
        states.set(node.id, { status: 'skipped' });
        dependentsChanged(node.id);
        continue;
      }
      ready.push(node.id);
    }
    return ready;
  };

  const runStep = async (node: WorkflowNode): Promise<void> => {
    const nodeType = typeOf.get(node.id)!;
    const parsed = parseNodeConfig(nodeType, node.config);
    const edgeInput: Record<string, unknown> = {};
    for (const edge of incoming.get(node.id) ?? []) {
      const source = states.get(edge.source)!;
      if (edgeLive(edge) && source.status === 'succeeded') edgeInput[edge.source] = source.output;
    }
    const scope: TemplateScope = { input: options.input, nodes: upstreamOutputs(node.id) };
    const startedAt = new Date();
    const pin = pins && Object.hasOwn(pins, node.id) ? pins[node.id] : undefined;
    if (pin) {
      const pinnedOutput = pin.output === undefined ? null : pin.output;
      await callHook(() =>
        hooks.stepFinished?.({
          nodeId: node.id,
          nodeType: node.type,
          status: 'succeeded',
          input: edgeInput,
          output: pinnedOutput,
          error: null,
          branch: null,
          startedAt,
          finishedAt: new Date(),
          attempts: [],
          pinned: true,
        }),
      );
      states.set(node.id, { status: 'succeeded', output: pinnedOutput, branch: null });
      dependentsChanged(node.id);
      return;
    }
    const started = await callHook(() =>
      hooks.stepStarted?.({ nodeId: node.id, nodeType: node.type, input: edgeInput, startedAt }),
    );
    if (!started) {
      states.set(node.id, { status: 'cancelled' });
      return;
    }

    const stepController = new AbortController();
    const onRunAbort = () => stepController.abort(runController.signal.reason);
    if (runController.signal.aborted) onRunAbort();
    else runController.signal.addEventListener('abort', onRunAbort, { once: true });
    const timer = setTimeout(
      () => stepController.abort(new StepTimeout(`step took longer than ${stepTimeoutMs} ms`)),
      stepTimeoutMs,
    );

    const attempts: AttemptRecord[] = [];
    let recordedInput: unknown = edgeInput;
    const baseLogger = services.logger ?? silentLogger;
    const ctx: NodeContext = {
      nodeId: node.id,
      nodeType: node.type,
      nodeName: node.name,
      executionId,
      runInput: options.input,
      nodes: scope.nodes,
      services,
      logger: baseLogger.child?.({ nodeId: node.id, nodeType: node.type }) ?? baseLogger,
      recordAttempts: (more) => {
        attempts.push(...more);
      },
      recordInput: (value) => {
        recordedInput = value;
      },
      renderTemplate: (template) => renderTemplate(template, scope),
      renderTemplateValue: (value) => renderTemplateValue(value, scope),
      evaluateExpression: (expression, data) =>
        (services.expressions ?? sharedExpressionPool()).evaluate(
          expression,
          data === undefined ? expressionData(expression, scope) : data,
          { signal: stepController.signal },
        ),
    };

    if (toolsByAgent.has(node.id)) {
      const own = new Set(toolsByAgent.get(node.id));
      ctx.priorChildSteps = priorChildSteps.filter((c) => c.parentNodeId === node.id);
      ctx.recordChildStep = async (child) => {
        const recorded = await callHook(() => hooks.childStepFinished?.({ ...child, parentNodeId: node.id }));
        if (!recorded) throw new NodeError('not_recorded', 'the step could not be recorded');
      };
      ctx.runTool = async (entryNodeId, args, toolSignal) => {
        const subflow = own.has(entryNodeId) ? subflows.get(entryNodeId) : undefined;
        if (!subflow) throw new NodeError('unknown_tool', `"${entryNodeId}" is not a tool of this node`);
        const outcome = await runWorkflow({
          definition: subflowDefinition(subflow),
          input: args,
          registry,
          executionId,
          services,
          signal: AbortSignal.any([toolSignal, stepController.signal]),
          limits: options.limits,
        });
        // A lone node's result is its own output; a sub-flow's is its output node's (keyed by source).
        if (outcome.status === 'succeeded')
          return subflow.nodes.some((n) => n.type === 'output')
            ? outcome.output
            : (outcome.output as Record<string, unknown>)[entryNodeId];
        if (outcome.status === 'cancelled') throw stepController.signal.reason ?? toolSignal.reason;
        throw new NodeError(
          outcome.error?.code ?? 'tool_failed',
          outcome.error?.message ?? 'the tool failed',
        );
      };
    }

    let status: StepStatus;
    let output: unknown = null;
    let branch: string | null = null;
    let error: RunError | null = null;
    try {
      if (!parsed.success) throw new NodeError('invalid_config', 'the node config does not fit its type');
      // Cancelled between the start report and here: don't begin work that would be thrown away.
      if (stepController.signal.aborted) throw stepController.signal.reason;
      const result = await untilAborted(
        nodeType.execute(ctx, { input: edgeInput, config: parsed.config, signal: stepController.signal }),
        stepController.signal,
      );
      if (result === null || typeof result !== 'object' || !('output' in result))
        throw new NodeError('invalid_result', `node type "${node.type}" returned no { output }`);
      output = result.output === undefined ? null : result.output;
      if (nodeType.outputs.length > 1) {
        if (typeof result.branch !== 'string' || !nodeType.outputs.includes(result.branch))
          throw new NodeError(
            'invalid_branch',
            `node type "${node.type}" took branch ${JSON.stringify(result.branch)}, not one of its outputs`,
          );
        branch = result.branch;
      }
      const size = measureOutput(output);
      if (typeof size === 'string') throw new NodeError('invalid_output', `the output is not JSON: ${size}`);
      if (size > maxOutputBytes)
        throw new NodeError(
          'output_too_large',
          `the output is ${size} bytes, over the limit of ${maxOutputBytes} bytes`,
        );
      status = 'succeeded';
    } catch (err) {
      output = null;
      branch = null;
      const reason: unknown = stepController.signal.reason;
      if (stepController.signal.aborted && reason instanceof StepTimeout) {
        status = 'failed';
        error = { code: 'timeout', message: reason.message, nodeId: node.id };
      } else if (stepController.signal.aborted) {
        status = 'cancelled';
        const why = stop as StopReason | null;
        const message =
          why?.kind === 'failed' && why.error.nodeId
            ? `cancelled because node "${why.error.nodeId}" failed`
            : 'the run was cancelled';
        error = { code: 'cancelled', message, nodeId: node.id };
      } else {
        status = 'failed';
        error = {
          code: err instanceof NodeError ? err.code : 'node_failed',
          message: err instanceof Error ? err.message : String(err),
          nodeId: node.id,
        };
      }
    } finally {
      clearTimeout(timer);
      runController.signal.removeEventListener('abort', onRunAbort);
    }

    if (status === 'failed' && error) {
      // Stop the rest at once; this step's report still goes out before the run ends.
      halt({
        kind: 'failed',
        error: {
          code: error.code,
          message: `node ${nodeLabel(node)} failed: ${error.message}`,
          nodeId: node.id,
        },
      });
    }
    const finished: StepFinished = {
      nodeId: node.id,
      nodeType: node.type,
      status,
      input: recordedInput,
      output,
      error,
      branch,
      startedAt,
      finishedAt: new Date(),
      attempts,
    };
    await callHook(() => hooks.stepFinished?.(finished));
    // Only now may dependents see it: the persisted step is never behind its inputs.
    states.set(node.id, status === 'succeeded' ? { status, output, branch } : { status });
    dependentsChanged(node.id);
  };

  const running = new Map<string, Promise<string>>();
  try {
    for (;;) {
      if (!stop) {
        const ready = await settle();
        for (const id of ready) {
          if (stop || running.size >= concurrency) {
            // Ready but not started (the run's concurrency is used up): look again next time.
            toCheck.push(position.get(id)!);
            continue;
          }
          states.set(id, { status: 'running' });
          running.set(
            id,
            runStep(nodesById.get(id)!).then(
              () => id,
              (err: unknown) => {
                // runStep handles node errors itself; this is a bug in the executor, not the workflow.
                halt({ kind: 'hook', error: err });
                return id;
              },
            ),
          );
        }
      }
      if (running.size === 0) break;
      running.delete(await Promise.race(running.values()));
    }
    await hookChain;
  } finally {
    signal?.removeEventListener('abort', onCancel);
  }

  const stopped = stop as StopReason | null;
  if (stopped?.kind === 'hook') throw stopped.error;
  if (stopped?.kind === 'failed') return { status: 'failed', output: null, error: stopped.error };
  if (stopped?.kind === 'cancelled')
    return {
      status: 'cancelled',
      output: null,
      error: { code: 'cancelled', message: 'the run was cancelled' },
    };

  const stuck = def.nodes.filter((n) => states.get(n.id)!.status === 'pending');
  if (stuck.length > 0)
    return {
      status: 'failed',
      output: null,
      error: {
        code: 'internal_error',
        message: `nodes never became ready: ${stuck.map((n) => n.id).join(', ')}`,
      },
    };

  const outputs = def.nodes
    .filter((n) => n.type === 'output')
    .flatMap((n) => {
      const state = states.get(n.id)!;
      return state.status === 'succeeded' ? [[n.id, state.output] as const] : [];
    });
  const output =
    outputs.length === 0 ? null : outputs.length === 1 ? outputs[0]![1] : Object.fromEntries(outputs);
  const outputIssues = validateRunOutput(def, output);
  if (outputIssues.length > 0)
    return {
      status: 'failed',
      output,
      error: {
        code: 'invalid_output',
        message: `the run's output does not fit the output schema: ${describeIssues(outputIssues)}`,
      },
    };
  return { status: 'succeeded', output, error: null };
}
