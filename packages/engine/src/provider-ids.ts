/**
 * The closed vocabularies of the provider layer — which providers exist, how a failed call is
 * classified, why an attempt was made — kept here, browser-safe and free of dependencies, so that
 * every layer can type with them: `@swarm/providers` (which acts on them), `@swarm/db` (whose
 * columns store them; it cannot import `@swarm/providers`, which depends on it), the agent node's
 * config and the typed client (whose router outputs then show unions, not `string`).
 */

/**
 * `openai-compatible`: any server speaking OpenAI's chat completions (Ollama, vLLM, Groq, Azure…)
 * at a base URL the user stores as a named credential; its refs carry that credential's name.
 */
export const PROVIDER_IDS = ['openai', 'anthropic', 'gemini', 'mock', 'openai-compatible'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/**
 * Why a call failed, normalised across providers. Fallback and retries act on these;
 * `invalid_request` is deterministic: never retried or fallen back from. `auth` is never retried
 * (another provider, with its own key, may still answer).
 */
export const ERROR_CLASSES = [
  'rate_limit',
  'overloaded',
  'timeout',
  'server',
  'network',
  'context_window',
  'content_policy',
  'invalid_request',
  'auth',
  'cancelled',
  'circuit_open',
  'unknown',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/**
 * What makes the router move on to the next model: a failure's class, or a first token slower than
 * the agent's `latencyThresholdMs` (`latency`, not an error: the slow call is abandoned).
 */
export type FallbackCause = ErrorClass | 'latency';

/**
 * Why an attempt was made. `probe`: the one request a half-open circuit lets through to find out
 * whether the model has recovered (its outcome closes or reopens the circuit).
 */
export type AttemptReason = 'primary' | 'retry' | 'probe' | `fallback:${FallbackCause}`;

/** Narrows a stored or received name (a cache key's part, a query parameter) to a provider id. */
export const isProviderId = (value: string): value is ProviderId =>
  (PROVIDER_IDS as readonly string[]).includes(value);

/** A stored OpenAI-compatible credential's name: what agent nodes refer to it by (`groq`). */
export const CREDENTIAL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
