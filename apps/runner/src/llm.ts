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
 * Usage, once per process and once per run:
 *   const llm = createLlmClient({ db, logger, secretKeys, providers: llmProvidersFromEnv(env) });
 *   const client: LlmClient = llm.forOwner(execution.ownerId);
 */

import { createHash } from 'node:crypto';
import {
  type BudgetReservation,
  type Db,
  readEncryptedCredentials,
  reserveBudgets,
  settleBudgets,
  workflowOfExecution,
} from '@swarm/db';
import type { AttemptRecord, LlmClient } from '@swarm/engine';
import {
  type AdapterConfig,
  type BreakerOptions,
  CompletionFailedError,
  type CredentialProvider,
  computeCost,
  createAdapters,
  createAnthropicAdapter,
  createGeminiAdapter,
  createLatencyStats,
  createModelMap,
  createOpenAiAdapter,
  createPostgresBreakers,
  createPriceBook,
  createProviderEventLog,
  createProviderRouter,
  decryptCredential,
  estimatePromptTokens,
  type FallbackPolicyInput,
  type LatencyStatsOptions,
  type MockAdapterOptions,
  type ModelRef,
  type PriceBook,
  type PriceBookOptions,
  type ProviderAdapter,
  ProviderConfigError,
  type ProviderId,
  type ProviderRouterOptions,
  type SecretKeyring,
} from '@swarm/providers';
import type { Logger } from 'pino';
import type { RunnerEnv } from './env.ts';

/** The operator's key and base URL per provider. */
export type ProviderSettings = Partial<Record<CredentialProvider, { apiKey?: string; baseUrl?: string }>>;

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
}

export interface RunnerLlm {
  /**
   * The engine's `LlmClient` for one workflow owner's runs: their stored keys come first. A caller
   * that knows the run's workflow passes it (saves a read per call; budgets are per workflow).
   */
  forOwner(ownerId: string, workflowId?: string): LlmClient;
}

const SDK_ADAPTERS: Record<CredentialProvider, (config: AdapterConfig) => ProviderAdapter> = {
  openai: createOpenAiAdapter,
  anthropic: createAnthropicAdapter,
  gemini: createGeminiAdapter,
};

/** The runner's parsed environment as provider settings. */
export function llmProvidersFromEnv(env: RunnerEnv): ProviderSettings {
  return {
    openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL },
    anthropic: { apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL },
    gemini: { apiKey: env.GEMINI_API_KEY, baseUrl: env.GEMINI_BASE_URL },
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
  const { db, logger } = options;
  const log = logger.child({ component: 'llm' });
  const adapterConfig = (provider: CredentialProvider, apiKey: string | undefined): AdapterConfig => ({
    apiKey,
    baseUrl: options.providers[provider]?.baseUrl,
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
  // Prices, breakers and latency keep short per-process caches: one instance each for all calls.
  const ports = {
    prices: createPriceBook(db, options.prices),
    breakers: createPostgresBreakers(db, options.breakers),
    modelMap: createModelMap(db),
    latency: createLatencyStats(db, options.latency),
    events: createProviderEventLog(db),
  };

  /** Adapters built from owners' keys, per (owner, provider), replaced when the key changes. */
  const maxOwnerAdapters = Math.max(1, options.maxOwnerAdapters ?? 500);
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
    const workflowId = await workflowOf(executionId);
    if (!workflowId) return null;
    const estimateMicros = await estimateCallCostMicros(ports.prices, request, chain, new Date());
    // Throws BudgetExceededError ("monthly budget of $5.00 for workflow … is exhausted"): the
    // agent step fails with that message before any provider is called.
    return reserveBudgets(db, { ownerId, workflowId, estimateMicros });
  }

  async function settle(reservation: BudgetReservation | null, attempts: readonly AttemptRecord[]) {
    if (!reservation) return;
    try {
      await settleBudgets(db, reservation, pricedCost(attempts));
    } catch (error) {
      // The call's result stands; the ledger still has its cost.
      log.error(
        { err: error, workflowId: reservation.workflowId },
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
            ...ports,
            logger: log.child({ executionId: context.executionId, nodeId: context.nodeId }),
            random: options.random,
            sleep: options.sleep,
          });
          try {
            // The router parses the policy with zod (BAD_REQUEST naming `policy.<path>` when wrong).
            const { result, attempts } = await router.complete(request, policy as FallbackPolicyInput, {
              executionId: context.executionId,
            });
            await settle(reservation, attempts);
            return { text: result.text, provider: result.provider, model: result.model, attempts };
          } catch (error) {
            await settle(reservation, (error as { attempts?: AttemptRecord[] }).attempts ?? []);
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
  };
}
