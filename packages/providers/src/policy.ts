/**
 * An agent's fallback policy: which models to try in what order, when to move on, how hard to
 * retry. Parsed with zod at the boundary (agent config, API) so bad values are refused with a path.
 */

import { CREDENTIAL_NAME_PATTERN, ERROR_CLASSES, type ErrorClass, PROVIDER_IDS } from '@swarm/engine';
import { z } from 'zod';

export const ROUTING_STRATEGIES = ['ordered', 'cheapest', 'lowest-latency', 'load-balanced'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** Failures worth another model by default. Deterministic request errors never are. */
export const DEFAULT_FALLBACK_ON: ErrorClass[] = [
  'rate_limit',
  'overloaded',
  'timeout',
  'server',
  'network',
  'context_window',
  'content_policy',
  'auth',
  'circuit_open',
];

/** Failures worth the same model again, after a backoff. */
export const RETRYABLE: ReadonlySet<ErrorClass> = new Set([
  'rate_limit',
  'overloaded',
  'timeout',
  'server',
  'network',
]);

/** Never moved on from, whatever the policy says: the next model would fail the same way. */
export const NEVER_FALL_BACK: ReadonlySet<ErrorClass> = new Set(['invalid_request', 'cancelled']);

/**
 * The per-attempt timeout when a policy sets none. A timeout only says something about the
 * provider to everyone (counts against its shared breaker) when the attempt had at least this long.
 */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 60_000;

export const modelRefSchema = z
  .object({
    provider: z.enum(PROVIDER_IDS),
    model: z.string().trim().min(1, 'required').max(200),
    /** `openai-compatible` only: which stored credential (base URL and key) answers. */
    credential: z.string().regex(CREDENTIAL_NAME_PATTERN, 'a credential name').optional(),
  })
  .superRefine((ref, ctx) => {
    if (ref.provider === 'openai-compatible' && !ref.credential) {
      ctx.addIssue({ code: 'custom', path: ['credential'], message: 'required for openai-compatible' });
    }
    if (ref.provider !== 'openai-compatible' && ref.credential !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['credential'], message: 'only openai-compatible takes one' });
    }
  });

export const retrySchema = z.object({
  /** Extra attempts on the same model for retryable failures. */
  retries: z.number().int().min(0).max(10).default(2),
  baseDelayMs: z.number().int().min(0).max(60_000).default(250),
  maxDelayMs: z.number().int().min(0).max(300_000).default(8_000),
  /** Cap on the sum of all backoff waits in one call. */
  maxTotalDelayMs: z.number().int().min(0).max(600_000).default(20_000),
});

export const fallbackPolicySchema = z.object({
  /** Primary first. */
  chain: z.array(modelRefSchema).min(1, 'at least one model').max(20),
  /** Error classes or HTTP status codes that move on to the next model. */
  fallbackOn: z
    .array(z.union([z.enum(ERROR_CLASSES), z.number().int().min(400).max(599)]))
    .max(30)
    .default(DEFAULT_FALLBACK_ON),
  /** Give up on a model that takes longer than this (when another model is left to try). */
  latencyThresholdMs: z.number().int().min(100).max(600_000).optional(),
  routing: z.enum(ROUTING_STRATEGIES).default('ordered'),
  /** Append cross-provider equivalents from the model map after the chain's own models. */
  useModelMap: z.boolean().default(true),
  /** Attempts in total, retries and fallbacks together. */
  maxAttempts: z.number().int().min(1).max(50).default(8),
  /** Overall time budget for the whole call. */
  deadlineMs: z.number().int().min(100).max(3_600_000).default(180_000),
  /** Per-attempt timeout. */
  timeoutMs: z.number().int().min(100).max(600_000).default(DEFAULT_ATTEMPT_TIMEOUT_MS),
  retry: retrySchema.default(retrySchema.parse({})),
});

export type FallbackPolicyInput = z.input<typeof fallbackPolicySchema>;
export type FallbackPolicy = z.output<typeof fallbackPolicySchema>;

/**
 * Full-jitter exponential backoff (AWS architecture blog): a uniform wait in
 * [0, min(maxDelay, base·2^retry)]. A `Retry-After` hint is a floor, not a suggestion.
 */
export function backoffDelayMs(
  retry: number,
  options: { baseDelayMs: number; maxDelayMs: number },
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Tool names as every provider accepts them (OpenAI's and Gemini's rule, the strictest). */
const toolName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and -, at most 64, not starting with a digit');

const toolCallSchema = z.object({
  id: z.string().min(1).max(200),
  name: toolName,
  arguments: z.string().max(4_000_000),
  signature: z.string().max(100_000).optional(),
});

/** The question part of a completion (who answers is the policy's business). */
export const completionRequestSchema = z.object({
  messages: z
    .array(
      z.discriminatedUnion('role', [
        z.object({ role: z.literal('user'), content: z.string().max(4_000_000) }),
        z.object({
          role: z.literal('assistant'),
          content: z.string().max(4_000_000),
          toolCalls: z.array(toolCallSchema).max(128).optional(),
        }),
        z.object({
          role: z.literal('tool'),
          toolCallId: z.string().min(1).max(200),
          name: toolName,
          content: z.string().max(4_000_000),
          isError: z.boolean().optional(),
        }),
      ]),
    )
    .min(1, 'at least one message')
    .max(10_000),
  tools: z
    .array(
      z.object({
        name: toolName,
        description: z.string().max(10_000).optional(),
        parameters: z.record(z.string(), z.unknown()),
      }),
    )
    .max(128)
    .optional(),
  system: z.string().max(4_000_000).optional(),
  temperature: z.number().min(0, 'at least 0').max(2, 'at most 2').optional(),
  maxTokens: z
    .number()
    .int('a whole number')
    .min(1, 'at least 1')
    .max(1_000_000, 'at most 1,000,000')
    .optional(),
  jsonSchema: z
    .object({ name: z.string().trim().min(1).max(64), schema: z.record(z.string(), z.unknown()) })
    .optional(),
});
