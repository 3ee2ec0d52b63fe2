/**
 * Test support for the engine: workflow builders, a scripted `LlmClient`, hooks that record what
 * they are told, and probe node types whose progress tests control through promises (so tests wait
 * on events, never on the clock).
 */
import { z } from 'zod';
import {
  type AttemptRecord,
  defineNode,
  type LlmClient,
  type ProviderId,
  type StepFinished,
  type StepStarted,
  type WorkflowDefinition,
  type WorkflowDefinitionInput,
  workflowDefinitionSchema,
} from '../src/index.ts';
import { createNodeRegistry } from '../src/server.ts';

export function workflow(
  nodes: Array<{ id: string; type: string; config?: Record<string, unknown>; name?: string }>,
  edges: Array<[string, string] | [string, string, string]>,
  extra: Partial<WorkflowDefinitionInput> = {},
): WorkflowDefinition {
  return workflowDefinitionSchema.parse({
    ...extra,
    nodes,
    edges: edges.map(([source, target, sourceHandle], i) => ({ id: `e${i}`, source, target, sourceHandle })),
  });
}

export function attempt(
  provider: ProviderId,
  model: string,
  overrides: Partial<AttemptRecord> = {},
): AttemptRecord {
  return {
    requestedProvider: provider,
    requestedModel: model,
    servedProvider: provider,
    servedModel: model,
    reason: 'primary',
    errorClass: null,
    errorMessage: null,
    startedAt: new Date(0),
    latencyMs: 1,
    timeToFirstTokenMs: null,
    usage: { inputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 5, reasoningTokens: 0 },
    priceId: null,
    costMicros: 7,
    costStatus: 'priced',
    ...overrides,
  };
}

type CompleteArgs = Parameters<LlmClient['complete']>;

/** An LlmClient that echoes `[model] prompt` (or answers with `respond`) and remembers each call. */
export function fakeLlm(respond?: (...args: CompleteArgs) => string | Promise<string>) {
  const calls: CompleteArgs[] = [];
  const client: LlmClient = {
    async complete(request, policy, context) {
      calls.push([request, policy, context]);
      const first = policy.chain[0]!;
      const text = respond
        ? await respond(request, policy, context)
        : `[${first.model}] ${request.messages[0]?.content ?? ''}`;
      return {
        text,
        provider: first.provider,
        model: first.model,
        attempts: [attempt(first.provider, first.model)],
      };
    },
  };
  return { client, calls };
}

/** Hooks that record every call, in order, as `started:<id>` / `<status>:<id>`. */
export function recordingHooks() {
  const log: string[] = [];
  const started: StepStarted[] = [];
  const finished: StepFinished[] = [];
  const listeners: Array<() => void> = [];
  const notify = () => {
    for (const listener of listeners.splice(0)) listener();
  };
  return {
    log,
    started,
    finished,
    step: (nodeId: string) => finished.find((s) => s.nodeId === nodeId),
    hooks: {
      async stepStarted(step: StepStarted) {
        started.push(step);
        log.push(`started:${step.nodeId}`);
        notify();
      },
      async stepFinished(step: StepFinished) {
        finished.push(step);
        log.push(`${step.status}:${step.nodeId}`);
        notify();
      },
    },
    /** Resolves once `predicate(log)` holds. */
    until(predicate: (log: string[]) => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => (predicate(log) ? resolve() : listeners.push(check));
        check();
      });
    },
  };
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Probe node types for executor tests:
 * - `test/probe` records start/end/abort and finishes when the test opens its gate (`open(id)`),
 *   immediately when the node id has no gate;
 * - `test/barrier` finishes only once `size` barrier nodes of its `group` have started — run
 *   one after another they would wait forever (and hit the step timeout);
 * - `test/fail` throws.
 */
export function probes() {
  const listeners: Array<() => void> = [];
  const events = new Proxy([] as string[], {
    // Every recorded event wakes the tests waiting in `until`.
    set(target, key, value) {
      Reflect.set(target, key, value);
      for (const listener of listeners.splice(0)) listener();
      return true;
    },
  });
  const gates = new Map<string, ReturnType<typeof deferred<void>>>();
  const executions = new Map<string, number>();
  const groups = new Map<string, { arrived: number; all: ReturnType<typeof deferred<void>> }>();
  const count = (id: string) => executions.set(id, (executions.get(id) ?? 0) + 1);

  const probe = defineNode({
    type: 'test/probe',
    version: 1,
    label: 'Probe',
    category: 'test',
    description: 'Waits for the test to let it finish',
    configSchema: z.object({ value: z.unknown().optional() }),
    inputs: { min: 0 },
    outputs: ['out'],
    async execute(ctx, { config, input, signal }) {
      count(ctx.nodeId);
      events.push(`start:${ctx.nodeId}`);
      signal.addEventListener('abort', () => events.push(`abort:${ctx.nodeId}`), { once: true });
      const gate = gates.get(ctx.nodeId);
      if (gate) await gate.promise;
      events.push(`end:${ctx.nodeId}`);
      return { output: config.value ?? { node: ctx.nodeId, input } };
    },
  });
  const barrier = defineNode({
    type: 'test/barrier',
    version: 1,
    label: 'Barrier',
    category: 'test',
    description: 'Finishes once every member of its group has started',
    configSchema: z.object({ group: z.string(), size: z.number().int() }),
    inputs: { min: 0 },
    outputs: ['out'],
    async execute(ctx, { config }) {
      count(ctx.nodeId);
      events.push(`start:${ctx.nodeId}`);
      const group = groups.get(config.group) ?? { arrived: 0, all: deferred() };
      groups.set(config.group, group);
      group.arrived++;
      if (group.arrived === config.size) group.all.resolve();
      await group.all.promise;
      events.push(`end:${ctx.nodeId}`);
      return { output: ctx.nodeId };
    },
  });
  const fail = defineNode({
    type: 'test/fail',
    version: 1,
    label: 'Fail',
    category: 'test',
    description: 'Always fails',
    configSchema: z.object({}),
    inputs: { min: 0 },
    outputs: ['out'],
    async execute(ctx) {
      count(ctx.nodeId);
      events.push(`start:${ctx.nodeId}`);
      throw new Error('the probe failed on purpose');
    },
  });

  return {
    events,
    executions,
    registry: createNodeRegistry([probe, barrier, fail]),
    /** Resolves once `predicate(events)` holds. */
    until(predicate: (events: string[]) => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => (predicate(events) ? resolve() : listeners.push(check));
        check();
      });
    },
    /** Holds `nodeId` until `open(nodeId)`. */
    hold(nodeId: string) {
      gates.set(nodeId, deferred());
    },
    open(nodeId: string) {
      gates.get(nodeId)?.resolve();
    },
  };
}
