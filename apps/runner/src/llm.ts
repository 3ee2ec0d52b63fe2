/**
 * The runner's LLM client: the engine's `LlmClient` backed by the providers' fallback router, with
 * the Postgres-backed prices, shared circuit breakers, model map, latency statistics and event log.
 *
 * Keys: per call and per provider, the workflow owner's stored key when they saved one (decrypted
 * here, in memory, only when that provider is actually tried), else the operator's key from the
 * environment. A stored key that can't be used (no SWARM_SECRET_KEY on this runner, or it fails
 * to decrypt) fails that attempt as `auth` with a message saying why — it never silently falls
 * back to the operator's key, which would bill the operator for the user's runs. The mock needs none.
 *
 * Budgets: before each call the owner's blocking budgets that apply (the workflow's and the global
 * one) reserve an estimate — the prompt's tokens at the input price plus `maxTokens` (4,096 when
 * unset) at the output price, for the dearest model of the chain — in one conditional update; a
 * budget without room fails the call with a message naming it. Afterwards the reservation is
 * settled with what the attempts actually cost (see @swarm/db budgets).
 *
 * Bookkeeping per call costs no commit in the common case when an invalidation feed is given:
 * which budgets an owner has, the model map and prices are cached per process and dropped when a
 * writer announces a change; an owner with no budget that applies reserves and settles nothing (a
 * budget created while a call is in flight gets that call's cost at settlement, but no
 * reservation). Successes reach the health buckets in one write a second (`close()` writes the
 * rest); failures, which may open a breaker, are written at once. Without a feed every call reads
 * budgets (reserve and settle) and the model map, as before.
 *
 * Usage, once per process and once per run:
 *   const llm = createLlmClient({ db, logger, secretKeys, providers, invalidation: feed });
 *   const client: LlmClient = llm.forOwner(execution.ownerId, execution.workflowId);
 *   await llm.close(); // on shutdown, before the pool closes
 */

import { createHash } from 'node:crypto';
import {
  BUDGETS_TOPIC,
  type BudgetReservation,
  budgetPeriod,
  budgetScopesApplying,
  type Db,
  type InvalidationFeed,
  listBudgetScopes,
  readEncryptedCredentials,
  reserveBudgets,
  settleBudgets,
  workflowOfExecution,
} from '@swarm/db';
import type { AttemptRecord, LlmClient, ProviderId, SecretRedactor } from '@swarm/engine';
import type { EndpointGuard } from '@swarm/engine/server';
import {
  type AdapterConfig,
  CompletionFailedError,
  computeCost,
  createAdapters,
  createAnthropicAdapter,
  createGeminiAdapter,
  createOpenAiAdapter,
  createProviderRouter,
  estimatePromptTokens,
  type FallbackPolicyInput,
  type MockAdapterOptions,
  type ModelRef,
  type PriceBook,
  type ProviderAdapter,
  ProviderConfigError,
  type ProviderRouterOptions,
} from '@swarm/providers';
import {
  type BreakerOptions,
  type CredentialProvider,
  createLatencyStats,
  createModelMap,
  createPostgresBreakers,
  createPriceBook,
  createProviderEventLog,
  decryptCredential,
  type LatencyStatsOptions,
  type PriceBookOptions,
  type SecretKeyring,
} from '@swarm/providers/store';
import type { Logger } from 'pino';
import { createCompatibleProvider } from './compatible.ts';
import type { RunnerEnv } from './env.ts';

/**
 * The operator's key, base URL and streaming choice per provider. `stream` belongs to the
 * endpoint (a gateway at that base URL streams or not), so owners' stored keys use it too.
 */
export type ProviderSettings = Partial<
  Record<CredentialProvider, { apiKey?: string; baseUrl?: string; stream?: boolean }>
>;

export interface LlmClientOptions {
  db: Db;
  logger: Logger;
  /** Decrypts stored keys; null when SWARM_SECRET_KEY is not configured. */
  secretKeys: SecretKeyring | null;
  providers: ProviderSettings;
  /** The fetch the provider SDKs use (tests, instrumentation); defaults to the global one. */
  fetch?: typeof fetch | undefined;
  mock?: MockAdapterOptions | undefined;
  breakers?: BreakerOptions | undefined;
  prices?: PriceBookOptions | undefined;
  latency?: LatencyStatsOptions | undefined;
  /** Adapters built from owners' keys kept for reuse (least recently used go first). Default 500. */
  maxOwnerAdapters?: number | undefined;
  /** For reproducible tests (jitter, load balancing, backoff waits). */
  random?: ProviderRouterOptions['random'];
  sleep?: ProviderRouterOptions['sleep'];
  /**
   * Caches owners' budgets, the model map and prices per process, dropped on writers' notices (the
   * caller starts and stops the feed). Without it they are read on every call.
   */
  invalidation?: InvalidationFeed | undefined;
  /**
   * The process's redactor (its logger's hooks use it): told every key this client sends — the
   * operator's at start, an owner's when it is decrypted — so no log line can show one. The
   * adapters redact the key they sent from their errors themselves.
   */
  redactor?: SecretRedactor | undefined;
  /**
   * The address guard for owners' OpenAI-compatible base URLs (the operator's allow-list of
   * private ranges; `resolveHost` for tests). Default: every private range refused.
   */
  compatibleGuard?: EndpointGuard | undefined;
}

export interface RunnerLlm {
  /**
   * The engine's `LlmClient` for one workflow owner's runs: their stored keys come first. A caller
   * that knows the run's workflow passes it (saves a read per call; budgets are per workflow).
   */
  forOwner(ownerId: string, workflowId?: string): LlmClient;
  /** Writes the provider health tallies still in memory. Call on shutdown, before the pool closes. */
  close(): Promise<void>;
}

/** Health tallies (successes) are written at most this often. */
const HEALTH_FLUSH_MS = 1_000;
/** How long an owner's budget list is trusted without a notice (a notice drops it at once). */
const BUDGET_SCOPES_TTL_MS = 60_000;

const SDK_ADAPTERS: Record<CredentialProvider, (config: AdapterConfig) => ProviderAdapter> = {
  openai: createOpenAiAdapter,
  anthropic: createAnthropicAdapter,
  gemini: createGeminiAdapter,
};

/** The runner's parsed environment as provider settings. */
export function llmProvidersFromEnv(env: RunnerEnv): ProviderSettings {
  return {
    openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, stream: env.OPENAI_STREAM },
    anthropic: {
      apiKey: env.ANTHROPIC_API_KEY,
      baseUrl: env.ANTHROPIC_BASE_URL,
      stream: env.ANTHROPIC_STREAM,
    },
    gemini: { apiKey: env.GEMINI_API_KEY, baseUrl: env.GEMINI_BASE_URL, stream: env.GEMINI_STREAM },
  };
}

/** The runner's parsed environment as the address guard for owners' OpenAI-compatible base URLs. */
export function compatibleGuardFromEnv(env: RunnerEnv): EndpointGuard {
  return {
    allowPrivateNetworks: env.OPENAI_COMPATIBLE_ALLOW_PRIVATE_NETWORKS,
    allowedPrivateRanges: env.OPENAI_COMPATIBLE_ALLOWED_PRIVATE_RANGES,
  };
}

/** What a call asks for when it sets no `maxTokens` (the adapters' own default), for estimates. */
const DEFAULT_MAX_TOKENS_ESTIMATE = 4096;

/**
 * The most one call can cost before it is made: prompt tokens (≈ 4 characters each) at the input
 * price plus `maxTokens` at the output price, for the dearest model of the chain. Unpriced models
 * estimate 0 (their spend is unknown and cannot count against a budget either).
 */
export async function estimateCallCostMicros(
  prices: PriceBook,
  request: Parameters<LlmClient['complete']>[0],
  chain: ReadonlyArray<{ provider: string; model: string }>,
  at: Date,
): Promise<number> {
  const usage = {
    inputTokens: estimatePromptTokens(request),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: request.maxTokens ?? DEFAULT_MAX_TOKENS_ESTIMATE,
    reasoningTokens: 0,
  };
  let most = 0;
  for (const ref of chain) {
    // A malformed chain is the router's to report (BAD_REQUEST naming the path), not the estimate's.
    const price = await prices.priceFor(ref as ModelRef, at).catch(() => null);
    const { costMicros } = computeCost(usage, price);
    if (costMicros !== null && costMicros > most) most = costMicros;
  }
  return most;
}

/** What a call's attempts cost (priced ones; an unknown price is not charged to budgets). */
const pricedCost = (attempts: readonly AttemptRecord[]) =>
  attempts.reduce(
    (sum, a) => sum + (a.costStatus === 'priced' && a.costMicros !== null ? a.costMicros : 0),
    0,
  );

/** Identifies a key in the adapter cache without keeping another copy of it. */
const fingerprint = (apiKey: string) => createHash('sha256').update(apiKey).digest('base64url');

export function createLlmClient(options: LlmClientOptions): RunnerLlm {
  const { db, logger, redactor } = options;
  const log = logger.child({ component: 'llm' });
  redactor?.remember(...Object.values(options.providers).map((settings) => settings?.apiKey));
  const adapterConfig = (provider: CredentialProvider, apiKey: string | undefined): AdapterConfig => ({
    apiKey,
    baseUrl: options.providers[provider]?.baseUrl,
    stream: options.providers[provider]?.stream,
    fetch: options.fetch,
  });
  // The operator's adapters (and the mock) are shared by every owner without a stored key.
  const envAdapters = createAdapters(
    {
      openai: adapterConfig('openai', options.providers.openai?.apiKey),
      anthropic: adapterConfig('anthropic', options.providers.anthropic?.apiKey),
      gemini: adapterConfig('gemini', options.providers.gemini?.apiKey),
    },
    { mock: options.mock },
  );
  const { invalidation } = options;
  // Prices, breakers and latency keep short per-process caches: one instance each for all calls.
  const breakers = createPostgresBreakers(db, {
    healthFlushMs: HEALTH_FLUSH_MS,
    onFlushError: (error) => log.warn({ err: error }, 'provider health not recorded; retrying'),
    ...options.breakers,
  });
  const ports = {
    prices: createPriceBook(db, { invalidation, ...options.prices }),
    breakers,
    modelMap: createModelMap(db, { invalidation }),
    latency: createLatencyStats(db, options.latency),
    events: createProviderEventLog(db),
  };
  /** Each owner's budgets (scope and blocking only), when there is a feed to keep it current. */
  const budgetScopes = invalidation?.cache(BUDGETS_TOPIC, {
    ttlMs: BUDGET_SCOPES_TTL_MS,
    load: (ownerId) => listBudgetScopes(db, ownerId),
  });

  /** Adapters built from owners' keys, per (owner, provider), replaced when the key changes. */
  const maxOwnerAdapters = Math.max(1, options.maxOwnerAdapters ?? 500);
  const compatible = createCompatibleProvider({
    db,
    secretKeys: options.secretKeys,
    guard: options.compatibleGuard ?? {},
    redactor,
    maxAdapters: maxOwnerAdapters,
  });
  const ownerAdapters = new Map<string, { fingerprint: string; adapter: ProviderAdapter }>();
  function ownerAdapter(ownerId: string, provider: CredentialProvider, apiKey: string): ProviderAdapter {
    const slot = `${ownerId}\u0000${provider}`;
    const print = fingerprint(apiKey);
    const cached = ownerAdapters.get(slot);
    ownerAdapters.delete(slot);
    const entry =
      cached?.fingerprint === print
        ? cached
        : { fingerprint: print, adapter: SDK_ADAPTERS[provider](adapterConfig(provider, apiKey)) };
    ownerAdapters.set(slot, entry); // most recently used last
    while (ownerAdapters.size > maxOwnerAdapters) {
      ownerAdapters.delete(ownerAdapters.keys().next().value!);
    }
    return entry.adapter;
  }

  /**
   * One call's adapters: each SDK provider looks up the owner's stored key the first time the
   * router tries it (one read of the owner's keys per call, so a key changed between calls is used
   * at once), then hands over to the cached adapter for that key.
   */
  function adaptersFor(ownerId: string): Record<ProviderId, ProviderAdapter> {
    let stored: ReturnType<typeof readEncryptedCredentials> | undefined;
    const resolve = async (provider: CredentialProvider): Promise<ProviderAdapter> => {
      stored ??= readEncryptedCredentials(db, ownerId);
      const row = (await stored).find((credential) => credential.provider === provider);
      if (!row) return envAdapters[provider];
      if (!options.secretKeys) {
        throw new ProviderConfigError(
          provider,
          'SWARM_SECRET_KEY',
          `the workflow owner stored a ${provider} key, but this runner has no SWARM_SECRET_KEY to decrypt it: configure the same key as the API`,
        );
      }
      let apiKey: string;
      try {
        apiKey = decryptCredential(options.secretKeys, ownerId, row);
      } catch (error) {
        throw new ProviderConfigError(provider, 'credentials', (error as Error).message);
      }
      redactor?.remember(apiKey);
      return ownerAdapter(ownerId, provider, apiKey);
    };
    const lazy = (provider: CredentialProvider): ProviderAdapter => ({
      id: provider,
      chat: async (request) => (await resolve(provider)).chat(request),
    });
    return {
      openai: lazy('openai'),
      anthropic: lazy('anthropic'),
      gemini: lazy('gemini'),
      mock: envAdapters.mock,
      'openai-compatible': compatible.adapterFor(ownerId),
    };
  }

  /** Which workflow a run belongs to (for its budget), remembered per run. */
  const workflowOfRun = new Map<string, string>();
  async function workflowOf(executionId: string): Promise<string | null> {
    const known = workflowOfRun.get(executionId);
    if (known) return known;
    const workflowId = await workflowOfExecution(db, executionId);
    if (workflowId) rememberWorkflow(executionId, workflowId);
    return workflowId;
  }
  function rememberWorkflow(executionId: string, workflowId: string) {
    if (workflowOfRun.get(executionId) === workflowId) return;
    workflowOfRun.set(executionId, workflowId);
    if (workflowOfRun.size > 1000) workflowOfRun.delete(workflowOfRun.keys().next().value!);
  }

  async function reserve(
    ownerId: string,
    executionId: string,
    request: Parameters<LlmClient['complete']>[0],
    chain: ReadonlyArray<{ provider: string; model: string }>,
  ): Promise<BudgetReservation | null> {
    if (budgetScopes) {
      const scopes = await budgetScopes.get(ownerId);
      // The common case: an owner without budgets reserves nothing and needs no workflow lookup.
      if (scopes.length === 0) return null;
      const workflowId = await workflowOf(executionId);
      if (!workflowId) return null;
      // Non-blocking budgets only count spend: settle() adds the cost without a reservation.
      if (!budgetScopesApplying(scopes, workflowId).some((scope) => scope.blockWhenExceeded)) return null;
    }
    const workflowId = await workflowOf(executionId);
    if (!workflowId) return null;
    // Priced with the owner's own prices for their OpenAI-compatible models.
    const { prices } = compatible.portsFor(ownerId, ports);
    const estimateMicros = await estimateCallCostMicros(prices, request, chain, new Date());
    // Throws BudgetExceededError ("monthly budget of $5.00 for workflow … is exhausted"): the
    // agent step fails with that message before any provider is called.
    return reserveBudgets(db, { ownerId, workflowId, estimateMicros });
  }

  /**
   * Without a reservation (only possible with the budget cache) the cost still goes to the budgets
   * that apply now, blocking or not: one created while the call ran counts it. Nothing to add and
   * nothing reserved changes nothing, so that costs no read.
   */
  async function unreservedSettlement(
    ownerId: string,
    executionId: string,
    actualMicros: number,
  ): Promise<BudgetReservation | null> {
    if (!budgetScopes || actualMicros <= 0) return null;
    const scopes = await budgetScopes.get(ownerId);
    if (scopes.length === 0) return null;
    const workflowId = await workflowOf(executionId);
    if (!workflowId || budgetScopesApplying(scopes, workflowId).length === 0) return null;
    return { ownerId, workflowId, period: budgetPeriod(new Date()), estimateMicros: 0, budgetIds: [] };
  }

  async function settle(
    ownerId: string,
    executionId: string,
    reservation: BudgetReservation | null,
    attempts: readonly AttemptRecord[],
  ) {
    const actualMicros = pricedCost(attempts);
    let settling = reservation;
    try {
      settling ??= await unreservedSettlement(ownerId, executionId, actualMicros);
      if (settling) await settleBudgets(db, settling, actualMicros);
    } catch (error) {
      // The call's result stands; the ledger still has its cost.
      log.error(
        { err: error, workflowId: settling?.workflowId, executionId },
        'could not settle the budget reservation',
      );
    }
  }

  return {
    forOwner(ownerId, workflowId) {
      return {
        async complete(request, policy, context) {
          if (workflowId) rememberWorkflow(context.executionId, workflowId);
          const reservation = await reserve(ownerId, context.executionId, request, policy.chain);
          const router = createProviderRouter({
            adapters: adaptersFor(ownerId),
            ...compatible.portsFor(ownerId, ports),
            logger: log.child({ executionId: context.executionId, nodeId: context.nodeId }),
            random: options.random,
            sleep: options.sleep,
          });
          try {
            // The router parses the policy with zod (BAD_REQUEST naming `policy.<path>` when wrong).
            const { result, attempts } = await router.complete(request, policy as FallbackPolicyInput, {
              executionId: context.executionId,
            });
            await settle(ownerId, context.executionId, reservation, attempts);
            return {
              text: result.text,
              provider: result.provider,
              model: result.model,
              attempts,
              ...(result.toolCalls?.length ? { toolCalls: result.toolCalls } : {}),
            };
          } catch (error) {
            await settle(
              ownerId,
              context.executionId,
              reservation,
              (error as { attempts?: AttemptRecord[] }).attempts ?? [],
            );
            if (error instanceof CompletionFailedError) {
              // Already an `LlmFailure`: it carries every attempt, which may have cost money.
              log.warn(
                {
                  executionId: context.executionId,
                  nodeId: context.nodeId,
                  agentRole: context.agentRole,
                  errorClass: error.errorClass,
                  attempts: error.attempts.length,
                },
                'llm call failed',
              );
            }
            throw error;
          }
        },
      };
    },
    close: () => breakers.close(),
  };
}
