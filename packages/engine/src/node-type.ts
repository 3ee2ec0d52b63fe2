/**
 * What a node type is: a plugin object (`defineNode({...})`) with a zod config schema, the handles
 * it has, and an `execute` that receives everything through its arguments — no `this`, no globals —
 * so a node type is tested by calling it with a plain context object. Built-in and third-party
 * types share this one shape; the executor owns timeouts, cancellation, size limits and errors.
 */
import type { z } from 'zod';
import type { AttemptRecord, ChildStepFinished, LlmClient, PriorChildStep } from './run-contract.ts';

/** Node type names: `agent`, or `vendor/name` for third-party types (same rule as the definition). */
export const NODE_TYPE_NAME = /^[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)?$/;
const HANDLE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** pino-compatible subset, so the runner can hand its pino child logger straight in. */
export interface EngineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: Record<string, unknown>): EngineLogger;
}

/** One resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Settings for outbound HTTP (the `http` node and plugins that call out). */
export interface HttpSettings {
  /** Turns the private-address guard off entirely (self-hosters calling their own services). */
  allowPrivateNetworks?: boolean | undefined;
  /** CIDR ranges that stay reachable while the guard is on, e.g. `["10.20.0.0/16"]`. */
  allowedPrivateRanges?: readonly string[] | undefined;
  /** Largest response body read, in bytes (default 1 MB). */
  maxResponseBytes?: number | undefined;
  /** Upper bound for a node's `timeoutMs` and the default when it sets none (default 30 s). */
  maxTimeoutMs?: number | undefined;
  /** Replaces DNS resolution (tests; split-horizon setups). Every address returned is checked. */
  resolveHost?: ((hostname: string) => Promise<ResolvedAddress[]>) | undefined;
  userAgent?: string | undefined;
}

/** Evaluates user JSONata off the caller's event loop (an `ExpressionPool`). */
export interface ExpressionEvaluator {
  evaluate(
    source: string,
    data: unknown,
    options?: { bindings?: Record<string, unknown> | undefined; signal?: AbortSignal | undefined },
  ): Promise<unknown>;
}

/** What the runner hands the executor once per run; nodes see it as `ctx.services`. */
export interface RunServices {
  llm?: LlmClient | undefined;
  /** Where `transform`/`condition` expressions run; without one, the process's shared pool. */
  expressions?: ExpressionEvaluator | undefined;
  logger?: EngineLogger | undefined;
  http?: HttpSettings | undefined;
}

/** Outputs of finished upstream nodes, as templates and expressions see them (`nodes.<id>.output`). */
export type UpstreamOutputs = Readonly<Record<string, { output: unknown }>>;

export interface NodeContext {
  nodeId: string;
  nodeType: string;
  nodeName: string;
  executionId: string;
  /** The run's input (what `{{input.x}}` reads). */
  runInput: unknown;
  /** Succeeded ancestors of this node (skipped ones are absent). */
  nodes: UpstreamOutputs;
  services: RunServices;
  logger: EngineLogger;
  /** Adds provider attempts to this step (also before throwing: failed attempts may have cost money). */
  recordAttempts(attempts: readonly AttemptRecord[]): void;
  /** Replaces what the step records as its input (e.g. the rendered prompt instead of upstream outputs). */
  recordInput(input: unknown): void;
  /** Renders `{{input.x}}` / `{{nodes.<id>.output...}}` placeholders; missing values render as "". */
  renderTemplate(template: string): string;
  /** Renders every string inside a JSON value; a string that is exactly one placeholder keeps the value's type. */
  renderTemplateValue(value: unknown): unknown;
  /**
   * Evaluates JSONata over `{ input, nodes }` (or `data`) in the expression pool, with the engine's
   * limits and a hard deadline; the step's abort signal stops it.
   */
  evaluateExpression(expression: string, data?: unknown): Promise<unknown>;
  /**
   * Runs the tool whose entry node is `entryNodeId` (a node bound to this agent as a tool, with
   * its sub-flow) on `args`, and resolves with its output; rejects with its error. Set by the
   * executor for nodes that have tools.
   */
  runTool?(entryNodeId: string, args: unknown, signal: AbortSignal): Promise<unknown>;
  /** This node's child steps finished in an earlier attempt of the run (resume). */
  priorChildSteps?: readonly PriorChildStep[] | undefined;
  /** Records a child step (a turn, a tool call); resolves once it is durable. */
  recordChildStep?(step: Omit<ChildStepFinished, 'parentNodeId'>): Promise<void>;
}

export interface NodeExecuteArgs<Config> {
  /** Outputs arriving along live incoming edges, keyed by source node id. */
  input: Readonly<Record<string, unknown>>;
  config: Config;
  /** Aborted on step timeout, run cancellation, or when another node failed the run. */
  signal: AbortSignal;
}

export interface NodeResult {
  output: unknown;
  /** For types with several outputs: the one handle taken. Edges from the others are not followed. */
  branch?: string | undefined;
}

/** A config problem a type finds beyond its schema (an expression that doesn't compile). */
export interface ConfigIssue {
  path: ReadonlyArray<string | number>;
  message: string;
}

export interface NodeTypeDefinition<Schema extends z.ZodType = z.ZodType> {
  type: string;
  /** Bumped when a type's config or behaviour changes incompatibly. */
  version: number;
  label: string;
  /** Palette group: `trigger`, `ai`, `logic`, `data`, `integration`, `result` (plugins may add others). */
  category: string;
  description: string;
  configSchema: Schema;
  /** Config the editor puts on a new node of this type. */
  defaultConfig?: Record<string, unknown> | undefined;
  /** How many incoming edges the type takes. */
  inputs: { min: number; max?: number | undefined };
  /**
   * Output handles. One handle: every outgoing edge carries the output. Several (a condition's
   * `true`/`false`): `execute` returns the `branch` it took and only edges from that handle are live.
   * None: the node ends a path (`output`).
   */
  outputs: readonly string[];
  /** Top-level config keys holding `{{...}}` templates, checked at validation time. */
  templateFields?: readonly string[] | undefined;
  /** Top-level config keys holding JSONata expressions, checked (syntax, `nodes.<id>`) at validation time. */
  expressionFields?: readonly string[] | undefined;
  /** Checks beyond the schema, run on the parsed config at validation time. */
  validateConfig?: ((config: z.output<Schema>) => ConfigIssue[]) | undefined;
  execute(ctx: NodeContext, args: NodeExecuteArgs<z.output<Schema>>): Promise<NodeResult>;
}

/** Any node type, whatever its config (what the registry holds). */
// biome-ignore lint/suspicious/noExplicitAny: the registry stores types with unrelated config schemas.
export type AnyNodeType = NodeTypeDefinition<any>;

/**
 * What the palette and the config form need about one type (`nodeTypes.list`). This and
 * `NodeRegistry` live beside the node type, not in registry.ts, so validation and browser code can
 * name a registry without importing the built-ins (the `http` node needs Node).
 */
export interface NodeTypeInfo {
  type: string;
  version: number;
  label: string;
  category: string;
  description: string;
  inputs: { min: number; max: number | null };
  outputs: string[];
  defaultConfig: Record<string, unknown>;
  /** JSON Schema (draft 2020-12) of the config as the editor sends it (defaults optional). */
  configJsonSchema: Record<string, unknown>;
  builtin: boolean;
}

export interface NodeRegistry {
  get(type: string): AnyNodeType | undefined;
  has(type: string): boolean;
  list(): NodeTypeInfo[];
}

/** A coded failure a node throws on purpose; any other error becomes `node_failed`. */
export class NodeError extends Error {
  // A plain field, not a parameter property: expression workers load this file with Node's own
  // type stripping, which takes erasable syntax only.
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'NodeError';
  }
}

/** Problems with a node type object itself (not a workflow): names the field at fault. */
export function checkNodeType(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null) return ['is not an object'];
  const t = value as Partial<Record<keyof NodeTypeDefinition, unknown>>;
  if (typeof t.type !== 'string' || !NODE_TYPE_NAME.test(t.type) || t.type.length > 64)
    problems.push('type: a node type name like "agent" or "acme/slack"');
  if (typeof t.version !== 'number' || !Number.isInteger(t.version) || t.version < 1)
    problems.push('version: a positive integer');
  for (const key of ['label', 'category', 'description'] as const)
    if (typeof t[key] !== 'string') problems.push(`${key}: a string`);
  const schema = t.configSchema as { safeParse?: unknown; _zod?: unknown } | undefined;
  if (typeof schema?.safeParse !== 'function' || !schema._zod) problems.push('configSchema: a zod 4 schema');
  const inputs = t.inputs as { min?: unknown; max?: unknown } | undefined;
  if (
    typeof inputs?.min !== 'number' ||
    inputs.min < 0 ||
    (inputs.max !== undefined && (typeof inputs.max !== 'number' || inputs.max < inputs.min))
  )
    problems.push('inputs: { min, max? } with 0 <= min <= max');
  if (
    !Array.isArray(t.outputs) ||
    !t.outputs.every((h) => typeof h === 'string' && HANDLE_NAME.test(h)) ||
    new Set(t.outputs).size !== t.outputs.length
  )
    problems.push('outputs: distinct handle names');
  if (typeof t.execute !== 'function') problems.push('execute: a function');
  return problems;
}

/** Declares a node type; checks its shape at once so a broken plugin fails at load, not mid-run. */
export function defineNode<Schema extends z.ZodType>(
  definition: NodeTypeDefinition<Schema>,
): NodeTypeDefinition<Schema> {
  const problems = checkNodeType(definition);
  if (problems.length > 0)
    throw new TypeError(`invalid node type "${String(definition.type)}": ${problems.join('; ')}`);
  return definition;
}
