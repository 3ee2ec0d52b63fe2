/**
 * The provider router: one call in, one answer out, across an agent's fallback chain. It orders the
 * candidates (routing strategy, capability filter, model-map equivalents, no model twice), asks the
 * shared circuit breakers before each attempt, retries retryable failures with full-jitter backoff
 * (honouring Retry-After), moves on for the failure classes the policy names, and keeps to an
 * overall deadline and attempt budget. Every attempt — sent, failed, skipped by an open circuit —
 * is a ledger record with its cost charged to the model that actually answered.
 */

import {
  type AttemptReason,
  type ErrorClass,
  type ProviderId,
  parseInput,
  redactSecrets,
} from '@swarm/engine';
import type { Logger } from 'pino';
import { canServe } from './capabilities.ts';
import { computeCost } from './cost.ts';
import {
  backoffDelayMs,
  completionRequestSchema,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  type FallbackPolicy,
  type FallbackPolicyInput,
  fallbackPolicySchema,
  NEVER_FALL_BACK,
  RETRYABLE,
} from './policy.ts';
import type {
  BreakerDecision,
  CircuitBreakers,
  LatencyStats,
  ModelMap,
  PriceBook,
  ProviderEventLog,
} from './ports.ts';
import {
  type Attempt,
  type ChatRequest,
  type ChatResult,
  type ModelRef,
  type ProviderAdapter,
  ProviderConfigError,
  ProviderError,
  type Usage,
} from './types.ts';

export interface ProviderRouterOptions {
  adapters: Partial<Record<ProviderId, ProviderAdapter>>;
  prices: PriceBook;
  breakers: CircuitBreakers;
  modelMap: ModelMap;
  latency: LatencyStats;
  events: ProviderEventLog;
  logger?: Logger | undefined;
  /** Injected for reproducible tests (load balancing, jitter). */
  random?: (() => number) | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

/** What to ask, without saying whom: the policy decides the provider and model. */
export type CompletionRequest = Omit<ChatRequest, 'provider' | 'model' | 'timeoutMs'>;

export interface Completion {
  result: ChatResult;
  attempts: Attempt[];
}

/** Every candidate failed (or the failure was one that must not fall back). Carries the ledger. */
export class CompletionFailedError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly attempts: Attempt[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CompletionFailedError';
  }
}

const refKey = (ref: ModelRef) =>
  ref.credential ? `${ref.provider}:${ref.credential}/${ref.model}` : `${ref.provider}/${ref.model}`;

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createProviderRouter(options: ProviderRouterOptions) {
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  const log = options.logger;
  /**
   * Health, breaker and event writes are bookkeeping: when they fail (the database is restarting),
   * the call's answer — tokens already paid for — must still reach the step, so log and go on.
   */
  const bookkeeping = async (what: string, write: () => Promise<unknown>) => {
    try {
      await write();
    } catch (err) {
      log?.warn({ err }, `provider ${what} not recorded`);
    }
  };

  /** The chain, extended by model-map equivalents, each model once, filtered and ordered. */
  async function planCandidates(policy: FallbackPolicy, request: CompletionRequest): Promise<ModelRef[]> {
    const seen = new Set<string>();
    const planned: ModelRef[] = [];
    const add = (ref: ModelRef) => {
      if (seen.has(refKey(ref))) return;
      seen.add(refKey(ref));
      planned.push(ref);
    };
    for (const ref of policy.chain) add(ref);
    if (policy.useModelMap) {
      // Breadth-first over the map; the seen-set makes cyclic mappings terminate.
      for (let i = 0; i < planned.length && planned.length < 20; i++) {
        for (const equivalent of await options.modelMap.equivalents(planned[i]!)) add(equivalent);
      }
    }
    const capable = planned.filter((ref) => canServe(ref, request));
    const candidates = capable.length > 0 ? capable : planned;
    return orderCandidates(policy, candidates);
  }

  async function orderCandidates(policy: FallbackPolicy, candidates: ModelRef[]): Promise<ModelRef[]> {
    switch (policy.routing) {
      case 'ordered':
        return candidates;
      case 'cheapest': {
        const now = new Date();
        const cost = await Promise.all(
          candidates.map(async (ref) => {
            const price = await options.prices.priceFor(ref, now);
            // A typical call reads more than it writes; unpriced models go last.
            return price
              ? price.inputPerMillionMicros * 3 + price.outputPerMillionMicros
              : Number.POSITIVE_INFINITY;
          }),
        );
        return stableSortBy(candidates, (_, i) => cost[i]!);
      }
      case 'lowest-latency': {
        const latency = await Promise.all(candidates.map((ref) => options.latency.recentLatencyMs(ref)));
        return stableSortBy(candidates, (_, i) => latency[i] ?? Number.POSITIVE_INFINITY);
      }
      case 'load-balanced': {
        // Rotate the list from a random start: load spreads evenly, the fallback order stays sensible.
        const start = Math.floor(random() * candidates.length);
        return [...candidates.slice(start), ...candidates.slice(0, start)];
      }
    }
  }

  async function attempt(
    ref: ModelRef,
    reason: AttemptReason,
    request: CompletionRequest,
    timeoutMs: number,
  ): Promise<{ attempt: Attempt; result?: ChatResult; error?: ProviderError | ProviderConfigError | Error }> {
    const startedAt = new Date();
    const t0 = performance.now();
    const base = {
      requestedProvider: ref.provider,
      requestedModel: ref.model,
      reason,
      startedAt,
    };
    const priced = async (usage: Usage | null, served: ModelRef) => {
      const price = usage ? await options.prices.priceFor(served, startedAt) : null;
      const cost = computeCost(usage, price);
      return { usage, priceId: price?.id ?? null, costMicros: cost.costMicros, costStatus: cost.costStatus };
    };
    try {
      const adapter = options.adapters[ref.provider];
      if (!adapter)
        throw new ProviderConfigError(ref.provider, 'adapters', `no adapter for provider "${ref.provider}"`);
      const result = await adapter.chat({ ...request, ...ref, timeoutMs });
      return {
        result,
        attempt: {
          ...base,
          servedProvider: result.provider,
          servedModel: result.model,
          errorClass: null,
          errorMessage: null,
          latencyMs: result.latencyMs,
          timeToFirstTokenMs: result.timeToFirstTokenMs,
          // The served model is priced under the credential that served it (per-credential prices).
          ...(await priced(result.usage, {
            provider: result.provider,
            model: result.model,
            ...(ref.credential ? { credential: ref.credential } : {}),
          })),
        },
      };
    } catch (error) {
      const errorClass = classify(error);
      const usage = error instanceof ProviderError ? (error.usage ?? null) : null;
      return {
        error: error instanceof Error ? error : new Error(String(error)),
        attempt: {
          ...base,
          servedProvider: ref.provider,
          servedModel: ref.model,
          errorClass,
          // Adapters already redact the key they sent; this catches credential shapes from anything
          // else (a gateway's own token, an adapter that isn't ours) before the ledger stores it.
          errorMessage: redactSecrets(error instanceof Error ? error.message : String(error)),
          latencyMs: Math.round(performance.now() - t0),
          timeToFirstTokenMs: null,
          ...(await priced(usage, ref)),
        },
      };
    }
  }

  function skipped(ref: ModelRef, reason: AttemptReason): Attempt {
    return {
      requestedProvider: ref.provider,
      requestedModel: ref.model,
      servedProvider: ref.provider,
      servedModel: ref.model,
      reason,
      errorClass: 'circuit_open',
      errorMessage: `circuit open for ${refKey(ref)}`,
      startedAt: new Date(),
      latencyMs: 0,
      timeToFirstTokenMs: null,
      usage: null,
      priceId: null,
      costMicros: null,
      costStatus: 'no_usage',
    };
  }

  /**
   * Runs one completion under a policy. Resolves with the answer and every attempt made; rejects
   * with `CompletionFailedError` (carrying the attempts, which may have cost money) otherwise, or
   * with a BAD_REQUEST `DomainError` naming the path when the request or policy is invalid.
   */
  async function complete(
    request: CompletionRequest,
    policyInput: FallbackPolicyInput,
    context: { executionId?: string | undefined } = {},
  ): Promise<Completion> {
    const policy = parseInput(fallbackPolicySchema, policyInput, 'policy');
    const { signal } = request;
    request = {
      ...parseInput(completionRequestSchema, { ...request, signal: undefined }, 'request'),
      signal,
    };
    const deadline = performance.now() + policy.deadlineMs;
    const candidates = await planCandidates(policy, request);
    const attempts: Attempt[] = [];
    const skippedOpen: Array<{ ref: ModelRef; decision: BreakerDecision }> = [];
    let sent = 0;
    let totalDelay = 0;
    let lastError: { errorClass: ErrorClass; message: string; cause?: unknown } | undefined;
    let moveOn: { from: ModelRef; errorClass: ErrorClass | 'latency' } | undefined;

    const fail = (errorClass: ErrorClass, message: string, cause?: unknown): never => {
      throw new CompletionFailedError(errorClass, message, attempts, { cause });
    };
    const mayFallBack = (errorClass: ErrorClass, status: number | undefined) =>
      !NEVER_FALL_BACK.has(errorClass) &&
      (policy.fallbackOn.includes(errorClass) ||
        (status !== undefined && policy.fallbackOn.includes(status)));

    /** Sends to one model (with retries); returns the result, or why to move on. */
    const tryModel = async (ref: ModelRef, index: number, firstReason: AttemptReason, probe: boolean) => {
      let reason = firstReason;
      for (let retry = 0; ; retry++) {
        if (request.signal?.aborted) fail('cancelled', 'the call was cancelled');
        const remaining = deadline - performance.now();
        if (remaining <= 0)
          fail('timeout', `no answer within the ${policy.deadlineMs} ms deadline`, lastError?.cause);
        if (sent >= policy.maxAttempts) return { exhausted: true as const };
        const othersLeft = index < candidates.length - 1;
        const latencyCap =
          othersLeft && policy.latencyThresholdMs !== undefined ? policy.latencyThresholdMs : Infinity;
        const timeoutMs = Math.max(1, Math.floor(Math.min(policy.timeoutMs, remaining, latencyCap)));
        const latencyLimited = timeoutMs === latencyCap;

        sent++;
        const outcome = await attempt(ref, reason, request, timeoutMs);
        const errorClass = outcome.attempt.errorClass;
        // Slower than this caller's threshold is this caller's policy, not a provider fault.
        const abandonedForLatency = latencyLimited && errorClass === 'timeout';
        // Likewise a timeout under a budget shorter than the default one (the node's own
        // `timeoutMs`, or what its deadline left): a stricter caller must not trip everyone's breaker.
        const impatient = errorClass === 'timeout' && timeoutMs < DEFAULT_ATTEMPT_TIMEOUT_MS;
        if (abandonedForLatency || impatient) outcome.attempt.abandoned = true;
        attempts.push(outcome.attempt);
        await bookkeeping('breaker and health', () =>
          options.breakers.record(ref, {
            ok: outcome.result !== undefined,
            errorClass,
            latencyMs: outcome.attempt.latencyMs,
            probe: probe && retry === 0,
            abandoned: abandonedForLatency || impatient,
          }),
        );
        if (outcome.result) return { result: outcome.result };

        const cls = errorClass ?? 'unknown';
        lastError = { errorClass: cls, message: outcome.attempt.errorMessage ?? cls, cause: outcome.error };
        if (cls === 'cancelled' || request.signal?.aborted)
          fail('cancelled', 'the call was cancelled', outcome.error);
        if (abandonedForLatency) return { moveOn: 'latency' as const };
        const status = outcome.error instanceof ProviderError ? outcome.error.status : undefined;
        const retryAfterMs = outcome.error instanceof ProviderError ? outcome.error.retryAfterMs : undefined;
        // A failed half-open probe has just reopened the circuit: retrying it would only hammer it.
        if (RETRYABLE.has(cls) && retry < policy.retry.retries && !probe) {
          const delay = backoffDelayMs(retry, policy.retry, random, retryAfterMs);
          const fits =
            totalDelay + delay <= policy.retry.maxTotalDelayMs && performance.now() + delay < deadline - 1;
          if (fits) {
            totalDelay += delay;
            await sleep(delay, request.signal).catch(() => fail('cancelled', 'the call was cancelled'));
            reason = 'retry';
            continue;
          }
        }
        if (!mayFallBack(cls, status)) {
          fail(cls, `${refKey(ref)} failed (${cls}): ${outcome.attempt.errorMessage}`, outcome.error);
        }
        return { moveOn: cls };
      }
    };

    const announce = async (to: ModelRef) => {
      if (!moveOn) return;
      const event = {
        kind: 'fallback' as const,
        from: moveOn.from,
        to,
        errorClass: moveOn.errorClass,
        executionId: context.executionId,
      };
      log?.info(event, 'provider fallback');
      await bookkeeping('fallback event', () => options.events.record(event));
    };

    for (const [index, ref] of candidates.entries()) {
      const reason: AttemptReason = moveOn ? `fallback:${moveOn.errorClass}` : 'primary';
      // Circuits are a protection, not a gate: with their store unreachable (a database restart),
      // the call goes ahead as if closed rather than failing a step that could have succeeded.
      const decision = await options.breakers.check(ref).catch((err: unknown) => {
        log?.warn(
          { err, provider: ref.provider, model: ref.model },
          'circuit state unavailable; calling anyway',
        );
        return { allowed: true, probe: false } as const;
      });
      if (!decision.allowed) {
        attempts.push(skipped(ref, reason));
        skippedOpen.push({ ref, decision });
        lastError = { errorClass: 'circuit_open', message: `circuit open for ${refKey(ref)}` };
        moveOn = { from: ref, errorClass: 'circuit_open' };
        continue;
      }
      await announce(ref);
      // The half-open probe is recorded as such: the ledger shows which call decided the circuit.
      const outcome = await tryModel(ref, index, decision.probe ? 'probe' : reason, decision.probe);
      if ('result' in outcome && outcome.result) return { result: outcome.result, attempts };
      if ('exhausted' in outcome) break;
      moveOn = { from: ref, errorClass: outcome.moveOn };
    }

    // Every circuit was open: rather than fail without trying, try the one that opened longest ago.
    const oldest = sent === 0 ? leastRecentlyOpened(skippedOpen) : null;
    if (oldest) {
      const outcome = await tryModel(oldest.ref, candidates.length - 1, 'fallback:circuit_open', false);
      if ('result' in outcome && outcome.result) return { result: outcome.result, attempts };
    }

    const last = lastError ?? { errorClass: 'unknown' as const, message: 'no model could be tried' };
    return fail(last.errorClass, `every model failed; last: ${last.message}`, last.cause);
  }

  return { complete, planCandidates };
}

export type ProviderRouter = ReturnType<typeof createProviderRouter>;

function classify(error: unknown): ErrorClass {
  if (error instanceof ProviderError) return error.errorClass;
  if (error instanceof ProviderConfigError) return 'auth';
  return 'unknown';
}

function stableSortBy<T>(items: T[], key: (item: T, index: number) => number): T[] {
  return items
    .map((item, index) => ({ item, index, k: key(item, index) }))
    .sort((a, b) => a.k - b.k || a.index - b.index)
    .map((x) => x.item);
}

/**
 * When every candidate's circuit refuses, the one that opened longest ago is tried anyway (it is
 * the likeliest to have recovered). Returns null when the list is empty.
 */
export function leastRecentlyOpened<T extends { decision: BreakerDecision }>(
  candidates: readonly T[],
): T | null {
  let best: T | null = null;
  for (const candidate of candidates) {
    const at = candidate.decision.openedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
    const bestAt = best?.decision.openedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
    if (best === null || at < bestAt) best = candidate;
  }
  return best;
}
