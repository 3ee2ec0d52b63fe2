/**
 * `agent`: one LLM call through the runner's `LlmClient` (the providers' fallback router): the
 * rendered `prompt` as the user message, `systemPrompt` as the system message, and the chain
 * `[{provider, model}, ...fallback]`, under the node's policy knobs (`useModelMap`, `maxAttempts`,
 * `timeoutMs`, `deadlineMs`, `retry`; the router's defaults where unset). Every provider attempt is recorded on
 * the step, including those of a call that failed in the end. With `tools`, the call becomes a loop
 * of model turns and tool calls (`agent-tools.ts`), each recorded as a child step.
 *
 * Output: the answer's text. With `outputSchema` (a JSON Schema), the model is asked for JSON, the
 * answer is parsed (a ```json fence is tolerated) and checked against the schema, and the output is
 * the parsed value; an answer that doesn't parse or fit fails the step with `invalid_output`.
 */
import { z } from 'zod';
import { defineNode, NodeError } from '../node-type.ts';
import { CREDENTIAL_NAME_PATTERN, PROVIDER_IDS } from '../provider-ids.ts';
import { compileJsonSchema, validateAgainstSchema } from '../run-input.ts';
import { AGENT_DEFAULT_MAX_TURNS, agentToolSchema, runToolLoop, toolConfigIssues } from './agent-tools.ts';

const required = (schema: z.ZodString) => schema.min(1, 'required');
/** Which stored OpenAI-compatible credential (base URL and key) answers: `openai-compatible` only. */
const credentialName = z
  .string()
  .regex(CREDENTIAL_NAME_PATTERN, 'a credential name: lower-case letters, digits, - and _')
  .describe('The name of a stored OpenAI-compatible credential (settings → providers), e.g. groq');
const target = z.object({
  provider: z.enum(PROVIDER_IDS),
  model: required(z.string().max(200)),
  credential: credentialName.optional(),
});

/** A whole number of milliseconds in [min, max], with errors that say so. */
const millis = (min: number, max: number) =>
  z
    .number()
    .int('a whole number of milliseconds')
    .min(min, `at least ${min} ms`)
    .max(max, `at most ${max} ms`);

/** The router's default overall deadline (see @swarm/providers policy), for the check below. */
export const AGENT_DEFAULT_DEADLINE_MS = 180_000;

/**
 * Backoff for retrying the same model after a retryable failure (rate limit, overload, timeout,
 * server or network error). Bounds mirror the providers' fallback policy, which applies the
 * defaults for whatever is left out.
 */
const retryConfig = z
  .object({
    retries: z
      .number()
      .int('a whole number')
      .min(0, 'at least 0')
      .max(10, 'at most 10')
      .optional()
      .describe('Extra attempts on the same model (default 2; 0 turns retrying off)'),
    baseDelayMs: millis(0, 60_000).optional().describe('First backoff ceiling (default 250 ms)'),
    maxDelayMs: millis(0, 300_000).optional().describe('Largest single backoff (default 8000 ms)'),
    maxTotalDelayMs: millis(0, 600_000)
      .optional()
      .describe('Sum of all backoff waits in one call (default 20000 ms)'),
  })
  .strict();

export const agentConfigSchema = z.object({
  role: required(z.string().max(100)).describe('What this agent does; costs are reported per role'),
  provider: z.enum(PROVIDER_IDS),
  model: required(z.string().max(200)),
  credential: credentialName.optional(),
  systemPrompt: z.string().max(100_000).optional(),
  prompt: required(z.string().max(100_000)).describe('Template: {{input.query}}, {{nodes.<id>.output}}'),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).max(1_000_000).optional(),
  fallback: z.array(target).max(10).optional(),
  routing: z.enum(['ordered', 'cheapest', 'lowest-latency', 'load-balanced']).optional(),
  fallbackOn: z
    .array(z.union([z.string().min(1).max(100), z.number().int().min(100).max(599)]))
    .max(50)
    .optional(),
  latencyThresholdMs: z.number().int().min(1).max(600_000).optional(),
  useModelMap: z
    .boolean()
    .default(true)
    .describe(
      "After this node's own models, also try other providers' equivalents from the model map (off: only the models listed here are ever called)",
    ),
  maxAttempts: z
    .number()
    .int('a whole number')
    .min(1, 'at least 1')
    .max(50, 'at most 50')
    .optional()
    .describe('Attempts in total, retries and fallbacks together (default 8)'),
  timeoutMs: millis(100, 600_000).optional().describe('Per-attempt timeout (default 60000 ms)'),
  deadlineMs: millis(100, 3_600_000)
    .optional()
    .describe('Time budget for the whole call, all attempts and waits (default 180000 ms)'),
  retry: retryConfig.optional(),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
  tools: z
    .array(agentToolSchema)
    .max(32, 'at most 32 tools')
    .optional()
    .describe('Tools the model may call, each bound to a node of this workflow'),
  maxTurns: z
    .number()
    .int('a whole number')
    .min(1, 'at least 1')
    .max(50, 'at most 50')
    .optional()
    .describe(`Model turns at most when calling tools (default ${AGENT_DEFAULT_MAX_TURNS})`),
});

export type AgentConfig = z.output<typeof agentConfigSchema>;

function parseJsonAnswer(text: string): unknown {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  try {
    return JSON.parse(fenced ? fenced[1]! : text);
  } catch {
    throw new NodeError('invalid_output', 'the model was asked for JSON but answered with something else');
  }
}

export const agentNode = defineNode({
  type: 'agent',
  version: 1,
  label: 'Agent',
  category: 'ai',
  description: 'An LLM agent with a role, model and prompt',
  configSchema: agentConfigSchema,
  defaultConfig: { role: 'assistant', provider: 'mock', model: 'echo', prompt: '{{input.query}}' },
  inputs: { min: 0 },
  outputs: ['out'],
  templateFields: ['prompt', 'systemPrompt'],
  validateConfig(config) {
    const issues: Array<{ path: Array<string | number>; message: string }> = [];
    const targets = [config, ...(config.fallback ?? [])];
    targets.forEach((t, i) => {
      const path = i === 0 ? ['credential'] : ['fallback', i - 1, 'credential'];
      if (t.provider === 'openai-compatible' && !t.credential) {
        issues.push({ path, message: 'required for openai-compatible: the name of a stored credential' });
      } else if (t.provider !== 'openai-compatible' && t.credential) {
        issues.push({ path, message: 'only openai-compatible models take a credential' });
      }
    });
    const deadlineMs = config.deadlineMs ?? AGENT_DEFAULT_DEADLINE_MS;
    if (config.timeoutMs !== undefined && config.timeoutMs > deadlineMs) {
      issues.push({
        path: ['timeoutMs'],
        message: `longer than the call's deadline (${deadlineMs} ms${config.deadlineMs === undefined ? ' by default' : ''}): raise deadlineMs too`,
      });
    }
    const { baseDelayMs, maxDelayMs } = config.retry ?? {};
    if (baseDelayMs !== undefined && maxDelayMs !== undefined && maxDelayMs < baseDelayMs) {
      issues.push({ path: ['retry', 'maxDelayMs'], message: `below retry.baseDelayMs (${baseDelayMs} ms)` });
    }
    if (config.outputSchema) {
      const compiled = compileJsonSchema(config.outputSchema);
      if (typeof compiled === 'string') issues.push({ path: ['outputSchema'], message: compiled });
    }
    issues.push(...toolConfigIssues(config.tools ?? []));
    return issues;
  },
  async execute(ctx, { config, signal }) {
    const llm = ctx.services.llm;
    if (!llm) throw new NodeError('not_configured', 'no LLM client is configured for this run');
    const prompt = ctx.renderTemplate(config.prompt);
    const system = config.systemPrompt === undefined ? undefined : ctx.renderTemplate(config.systemPrompt);
    const jsonSchema = config.outputSchema
      ? {
          name: `${config.role.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}_output`,
          schema: config.outputSchema,
        }
      : undefined;
    const policy = {
      chain: [
        {
          provider: config.provider,
          model: config.model,
          ...(config.credential ? { credential: config.credential } : {}),
        },
        ...(config.fallback ?? []),
      ],
      fallbackOn: config.fallbackOn,
      routing: config.routing,
      latencyThresholdMs: config.latencyThresholdMs,
      useModelMap: config.useModelMap,
      maxAttempts: config.maxAttempts,
      timeoutMs: config.timeoutMs,
      deadlineMs: config.deadlineMs,
      retry: config.retry,
    };
    const context = { executionId: ctx.executionId, nodeId: ctx.nodeId, agentRole: config.role };
    if (config.tools?.length) {
      ctx.recordInput({ system: system ?? null, prompt, tools: config.tools.map((t) => t.name) });
      const text = await runToolLoop(ctx, {
        llm,
        request: { system, temperature: config.temperature, maxTokens: config.maxTokens, jsonSchema, signal },
        prompt,
        policy,
        context,
        tools: config.tools,
        maxTurns: config.maxTurns ?? AGENT_DEFAULT_MAX_TURNS,
        signal,
      });
      return { output: config.outputSchema ? checkedJsonAnswer(text, config.outputSchema) : text };
    }
    ctx.recordInput({ system: system ?? null, prompt });

    let result: Awaited<ReturnType<typeof llm.complete>>;
    try {
      result = await llm.complete(
        {
          system,
          messages: [{ role: 'user', content: prompt }],
          temperature: config.temperature,
          maxTokens: config.maxTokens,
          jsonSchema,
          signal,
        },
        policy,
        context,
      );
    } catch (err) {
      const attempts = (err as { attempts?: unknown }).attempts;
      if (Array.isArray(attempts)) ctx.recordAttempts(attempts);
      if (signal.aborted) throw err;
      throw new NodeError('provider_error', err instanceof Error ? err.message : String(err), { cause: err });
    }
    ctx.recordAttempts(result.attempts);
    if (!config.outputSchema) return { output: result.text };
    return { output: checkedJsonAnswer(result.text, config.outputSchema) };
  },
});

/** The answer parsed as JSON and checked against the output schema. */
function checkedJsonAnswer(text: string, schema: Record<string, unknown>): unknown {
  const parsed = parseJsonAnswer(text);
  const issues = validateAgainstSchema(schema, parsed, 'output', 'config.outputSchema');
  if (issues.length > 0) {
    const first = issues[0]!;
    throw new NodeError(
      'invalid_output',
      `the model's answer does not fit the output schema: ${first.path}: ${first.message}`,
    );
  }
  return parsed;
}
