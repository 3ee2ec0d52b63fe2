/**
 * The `openai-compatible` provider in the runner: for each call, the owner's credential the model
 * ref names (`credential: 'groq'`) is read, decrypted in memory and turned into an OpenAI adapter at
 * its base URL with its headers and streaming choice — behind a guarded fetch, because the base URL
 * is the user's: every connection passes the address guard, pinned to the addresses it checked.
 *
 * Per-owner ports: such a model is priced by the owner's own price for it on that credential
 * (unpriced without one: cost unknown, never $0), and its circuit breaker and latency are kept per
 * owner and credential, so one user's broken local Ollama never opens a circuit for another's Groq.
 */
import { createHash } from 'node:crypto';
import { compatiblePriceFor, type Db, readEncryptedCompatibleCredential } from '@swarm/db';
import type { SecretRedactor } from '@swarm/engine';
import { createGuardedFetch, type EndpointGuard } from '@swarm/engine/server';
import {
  createOpenAiCompatibleAdapter,
  type ModelRef,
  type PriceBook,
  type ProviderAdapter,
  ProviderConfigError,
  type ProviderRouterOptions,
} from '@swarm/providers';
import { decryptCompatibleCredential, type SecretKeyring } from '@swarm/providers/store';

export interface CompatibleProviderOptions {
  db: Db;
  secretKeys: SecretKeyring | null;
  /** The address guard's policy for users' base URLs (the operator's allow-list). */
  guard: EndpointGuard;
  redactor?: SecretRedactor | undefined;
  /** Adapters kept for reuse (least recently used go first). */
  maxAdapters: number;
}

type Ports = Pick<ProviderRouterOptions, 'prices' | 'breakers' | 'latency'>;

/** A ref's identity for breakers and latency: owner and credential included for compatible ones. */
export function scopedRef(ownerId: string, ref: ModelRef): ModelRef {
  if (ref.provider !== 'openai-compatible') return ref;
  return { provider: ref.provider, model: `${ownerId}/${ref.credential ?? ''}/${ref.model}` };
}

export function createCompatibleProvider(options: CompatibleProviderOptions) {
  const { db, redactor } = options;
  const fetch = createGuardedFetch(options.guard);
  const adapters = new Map<string, { print: string; adapter: ProviderAdapter }>();

  async function resolve(ownerId: string, name: string | undefined): Promise<ProviderAdapter> {
    if (!name) {
      throw new ProviderConfigError(
        'openai-compatible',
        'credential',
        'an openai-compatible model needs the name of a stored credential (credential: "groq")',
      );
    }
    const row = await readEncryptedCompatibleCredential(db, ownerId, name);
    if (!row) {
      throw new ProviderConfigError(
        'openai-compatible',
        'credential',
        `the workflow owner has no OpenAI-compatible credential named "${name}": add it under Settings → Providers`,
      );
    }
    if (!options.secretKeys) {
      throw new ProviderConfigError(
        'openai-compatible',
        'SWARM_SECRET_KEY',
        `the credential "${name}" is stored encrypted, but this runner has no SWARM_SECRET_KEY to decrypt it: configure the same key as the API`,
      );
    }
    const slot = `${ownerId}\u0000${name}`;
    // The ciphertext changes on every save (fresh IV), so it identifies this version of the row.
    const print = createHash('sha256')
      .update(`${row.secret}\u0000${row.baseUrl}\u0000${row.stream}`)
      .digest('hex');
    const cached = adapters.get(slot);
    adapters.delete(slot);
    let entry = cached?.print === print ? cached : undefined;
    if (!entry) {
      let secret: ReturnType<typeof decryptCompatibleCredential>;
      try {
        secret = decryptCompatibleCredential(options.secretKeys, ownerId, row);
      } catch (error) {
        throw new ProviderConfigError('openai-compatible', 'credentials', (error as Error).message);
      }
      redactor?.remember(secret.apiKey, ...Object.values(secret.headers));
      const adapter = createOpenAiCompatibleAdapter({
        apiKey: secret.apiKey,
        baseUrl: row.baseUrl,
        headers: secret.headers,
        stream: row.stream,
        fetch,
      });
      entry = { print, adapter };
    }
    adapters.set(slot, entry); // most recently used last
    while (adapters.size > options.maxAdapters) adapters.delete(adapters.keys().next().value!);
    return entry.adapter;
  }

  return {
    /** The provider's adapter for one owner's calls: the credential is the one each request names. */
    adapterFor(ownerId: string): ProviderAdapter {
      return {
        id: 'openai-compatible',
        chat: async (request) => (await resolve(ownerId, request.credential)).chat(request),
      };
    },

    /** The shared ports, with compatible models priced and kept apart per owner and credential. */
    portsFor<P extends Ports>(ownerId: string, ports: P): Omit<P, keyof Ports> & Ports {
      const prices: PriceBook = {
        async priceFor(ref, at) {
          if (ref.provider !== 'openai-compatible') return ports.prices.priceFor(ref, at);
          if (!ref.credential) return null;
          const row = await compatiblePriceFor(db, ownerId, ref.credential, ref.model);
          if (!row) return null;
          return {
            id: row.id,
            provider: 'openai-compatible',
            model: row.model,
            effectiveFrom: row.updatedAt,
            inputPerMillionMicros: row.inputPerMillionMicros,
            outputPerMillionMicros: row.outputPerMillionMicros,
            cachedInputPerMillionMicros: null,
            cacheWritePerMillionMicros: null,
            reasoningPerMillionMicros: null,
          };
        },
      };
      return {
        ...ports,
        prices,
        breakers: {
          check: (ref) => ports.breakers.check(scopedRef(ownerId, ref)),
          record: (ref, outcome) => ports.breakers.record(scopedRef(ownerId, ref), outcome),
        },
        latency: { recentLatencyMs: (ref) => ports.latency.recentLatencyMs(scopedRef(ownerId, ref)) },
      };
    },
  };
}
