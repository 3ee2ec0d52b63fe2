/**
 * The `agent` node's tool loop: the model answers with tool calls, each call runs the node (or
 * sub-flow) bound to that tool, the results go back, and so on until the model answers without
 * calling anything — at most `maxTurns` model turns.
 *
 * Every turn is a child step `<node>/turn-<n>` carrying that turn's provider attempts (the ledger
 * rows, with usage and cost) and its answer; every tool call a child step
 * `<node>/turn-<n>/call-<k>` with its arguments, result or error, and timing. Each is recorded
 * (and durable) before the loop moves on, so a run resumed after a crash replays finished turns and
 * calls from their records instead of repeating them.
 *
 * Arguments are checked against the tool's JSON Schema before the tool runs; arguments that don't
 * parse or fit, an unknown tool name and a failing tool all go back to the model as a tool error
 * (its turn to fix it), not as a failure of the step.
 */
import { z } from 'zod';
import { type NodeContext, NodeError } from '../node-type.ts';
import type { AttemptRecord, LlmClient, LlmMessage, LlmToolCall } from '../run-contract.ts';
import { compileJsonSchema, validateAgainstSchema } from '../run-input.ts';

export const AGENT_DEFAULT_MAX_TURNS = 8;

export const agentToolSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/,
        'letters, digits, _ and -, at most 64, not starting with a digit',
      )
      .describe('The name the model calls the tool by'),
    description: z.string().max(10_000).optional().describe('What the tool does, for the model'),
    parameters: z
      .record(z.string(), z.unknown())
      .default({ type: 'object', properties: {} })
      .describe("JSON Schema of the tool's arguments (an object)"),
    node: z
      .string()
      .min(1, 'required')
      .max(64)
      .describe('The http or transform node the tool runs (with what it leads to, ending in an output)'),
  })
  .strict();

export type AgentTool = z.output<typeof agentToolSchema>;

/** Config problems of the tools beyond their schema: duplicate names, schemas that don't compile. */
export function toolConfigIssues(tools: readonly AgentTool[]) {
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  const names = new Set<string>();
  tools.forEach((tool, k) => {
    if (names.has(tool.name))
      issues.push({ path: ['tools', k, 'name'], message: `duplicate tool name "${tool.name}"` });
    names.add(tool.name);
    const compiled = compileJsonSchema(tool.parameters);
    if (typeof compiled === 'string') issues.push({ path: ['tools', k, 'parameters'], message: compiled });
    else if (tool.parameters.type !== undefined && tool.parameters.type !== 'object')
      issues.push({ path: ['tools', k, 'parameters', 'type'], message: 'tool arguments are an object' });
  });
  return issues;
}

/** What a turn's child step records as its output, and a resumed run reads back. */
interface TurnRecord {
  text: string;
  toolCalls: LlmToolCall[];
  provider: string;
  model: string;
}

/** What a tool call's child step records as its output. */
interface ToolCallRecord {
  result: unknown;
}

type Complete = LlmClient['complete'];

export interface ToolLoopArgs {
  llm: LlmClient;
  request: Omit<Parameters<Complete>[0], 'messages' | 'tools'>;
  prompt: string;
  policy: Parameters<Complete>[1];
  context: Parameters<Complete>[2];
  tools: readonly AgentTool[];
  maxTurns: number;
  signal: AbortSignal;
}

/** A tool's result as the model reads it. */
const asContent = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'));

/** Runs the loop to the model's final answer (its text); throws a `NodeError` when it can't. */
export async function runToolLoop(ctx: NodeContext, args: ToolLoopArgs): Promise<string> {
  const { recordChildStep, runTool } = ctx;
  if (!recordChildStep || !runTool)
    throw new NodeError('not_configured', 'this executor does not run agent tools');
  const prior = new Map((ctx.priorChildSteps ?? []).map((step) => [step.nodeId, step]));
  const toolSpecs = args.tools.map((t) => ({
    name: t.name,
    description: t.description,
    parameters: t.parameters,
  }));
  const messages: LlmMessage[] = [{ role: 'user', content: args.prompt }];

  for (let turn = 1; turn <= args.maxTurns; turn++) {
    const turnId = `${ctx.nodeId}/turn-${turn}`;
    const answer =
      replayed<TurnRecord>(prior.get(turnId)) ??
      (await callModel(ctx, args, turn, turnId, messages, toolSpecs));
    if (answer.toolCalls.length === 0) return answer.text;
    if (turn === args.maxTurns)
      throw new NodeError(
        'max_turns',
        `the model still called tools on its last turn (maxTurns ${args.maxTurns}); raise maxTurns or change the prompt`,
      );
    messages.push({ role: 'assistant', content: answer.text, toolCalls: answer.toolCalls });
    for (const [index, call] of answer.toolCalls.entries()) {
      const callId = `${turnId}/call-${index + 1}`;
      const done = prior.get(callId);
      const result = done
        ? done.status === 'succeeded'
          ? { content: asContent((done.output as ToolCallRecord | null)?.result ?? null), isError: false }
          : { content: `error: ${done.error?.message ?? 'the tool failed'}`, isError: true }
        : await callTool(ctx, args, call, callId, turn);
      messages.push({ role: 'tool', toolCallId: call.id, name: call.name, ...result });
    }
  }
  // Unreachable: the last turn either answered or threw.
  throw new NodeError('max_turns', `no answer within maxTurns (${args.maxTurns})`);
}

/** A turn finished in an earlier attempt of the run: its recorded answer. */
function replayed<T>(step: { status: string; output: unknown } | undefined): T | null {
  return step?.status === 'succeeded' ? (step.output as T) : null;
}

async function callModel(
  ctx: NodeContext,
  args: ToolLoopArgs,
  turn: number,
  turnId: string,
  messages: LlmMessage[],
  tools: Parameters<Complete>[0]['tools'],
): Promise<TurnRecord> {
  const startedAt = new Date();
  const input = { turn, messages: messages.length };
  try {
    const result = await args.llm.complete(
      { ...args.request, messages: [...messages], tools },
      args.policy,
      args.context,
    );
    const record: TurnRecord = {
      text: result.text,
      toolCalls: result.toolCalls ?? [],
      provider: result.provider,
      model: result.model,
    };
    await ctx.recordChildStep!({
      nodeId: turnId,
      nodeType: 'agent-turn',
      status: 'succeeded',
      input,
      output: record,
      error: null,
      startedAt,
      finishedAt: new Date(),
      attempts: result.attempts,
    });
    return record;
  } catch (err) {
    if (err instanceof NodeError) throw err;
    const attempts = (err as { attempts?: AttemptRecord[] }).attempts;
    const message = err instanceof Error ? err.message : String(err);
    if (!args.signal.aborted)
      await ctx.recordChildStep!({
        nodeId: turnId,
        nodeType: 'agent-turn',
        status: 'failed',
        input,
        output: null,
        error: { code: 'provider_error', message },
        startedAt,
        finishedAt: new Date(),
        attempts: Array.isArray(attempts) ? attempts : [],
      });
    else if (Array.isArray(attempts)) ctx.recordAttempts(attempts);
    if (args.signal.aborted) throw err;
    throw new NodeError('provider_error', `turn ${turn}: ${message}`, { cause: err });
  }
}

/** Runs one tool call (after checking its arguments) and records it; failures become tool errors. */
async function callTool(
  ctx: NodeContext,
  args: ToolLoopArgs,
  call: LlmToolCall,
  callId: string,
  turn: number,
): Promise<{ content: string; isError: boolean }> {
  const startedAt = new Date();
  const tool = args.tools.find((t) => t.name === call.name);
  let parsed: unknown = call.arguments;
  let output: unknown = null;
  let error: string | null = null;
  let code = 'tool_failed';
  try {
    parsed = JSON.parse(call.arguments || '{}');
  } catch {
    error = 'the arguments are not valid JSON';
    code = 'invalid_arguments';
  }
  if (!error && !tool) {
    error = `unknown tool "${call.name}" (the tools are ${args.tools.map((t) => `"${t.name}"`).join(', ')})`;
    code = 'unknown_tool';
  }
  if (!error && tool) {
    const issues = validateAgainstSchema(
      tool.parameters,
      parsed,
      'arguments',
      `tools.${tool.name}.parameters`,
    );
    if (issues.length > 0) {
      error = `invalid arguments: ${issues
        .slice(0, 5)
        .map((i) => `${i.path}: ${i.message}`)
        .join('; ')}`;
      code = 'invalid_arguments';
    }
  }
  if (!error && tool) {
    try {
      output = await ctx.runTool!(tool.node, parsed, args.signal);
    } catch (err) {
      if (args.signal.aborted) throw err;
      error = err instanceof Error ? err.message : String(err);
      code = err instanceof NodeError ? err.code : 'tool_failed';
    }
  }
  await ctx.recordChildStep!({
    nodeId: callId,
    nodeType: 'agent-tool',
    status: error ? 'failed' : 'succeeded',
    input: { turn, tool: call.name, node: tool?.node ?? null, callId: call.id, arguments: parsed },
    output: error ? null : ({ result: output } satisfies ToolCallRecord),
    error: error ? { code, message: error } : null,
    startedAt,
    finishedAt: new Date(),
    attempts: [],
  });
  return error
    ? { content: `error: ${error}`, isError: true }
    : { content: asContent(output), isError: false };
}
