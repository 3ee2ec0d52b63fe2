/**
 * `providers.compatible.*`: the caller's OpenAI-compatible endpoints (Ollama, vLLM, Groq, Azure…) —
 * named credentials with a base URL, a key, extra headers and a streaming choice — and the prices
 * the caller gives their models (without one, a model's answers are unpriced: cost unknown).
 * Everything is the caller's own: every query is scoped to their id. Keys and header values are
 * write-only (a hint of the key and the header names are shown). A base URL is checked by the
 * address guard when saved (BAD_REQUEST naming `baseUrl` for a private address not allowed).
 */
import {
  deleteCompatibleCredential,
  deleteCompatiblePrice,
  listCompatibleCredentials,
  listCompatiblePrices,
  setCompatiblePrice,
} from '@swarm/db';
import {
  compatibleCredentialInputSchema,
  compatibleCredentialNameSchema,
  storeCompatibleCredential,
} from '@swarm/providers/store';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { withSecretKeys } from '../secret-keys.ts';
import { authedProcedure } from '../trpc.ts';

const modelName = z.string().trim().min(1, 'required').max(200, 'at most 200 characters');
/** Micro-dollars per 1M tokens ($0.59/M = 590000); the same bound as the global price table's. */
const perMillionMicros = z
  .number()
  .int('whole micro-dollars')
  .min(0, 'at least 0')
  .max(1_000_000_000_000, 'at most $1,000,000 per 1M tokens');

const priceKey = z.object({ credential: compatibleCredentialNameSchema, model: modelName });

export const compatibleRouter = {
  /** The caller's endpoints: name, base URL, header names, streaming, key hint. Never a secret. */
  list: authedProcedure.query(({ ctx }) => listCompatibleCredentials(ctx.db, ctx.user.id)),

  /** Stores (or replaces, by name) an endpoint after the address guard has checked its base URL. */
  set: withSecretKeys
    .input(compatibleCredentialInputSchema)
    .mutation(({ ctx, input }) =>
      storeCompatibleCredential(ctx.db, ctx.secretKeys, ctx.compatibleGuard ?? {}, ctx.user.id, input),
    ),

  /** Removes an endpoint and its prices (NOT_FOUND when the caller has none by that name). */
  delete: authedProcedure
    .input(z.object({ name: compatibleCredentialNameSchema }))
    .mutation(async ({ ctx, input }) => {
      await deleteCompatibleCredential(ctx.db, ctx.user.id, input.name);
      return { ok: true };
    }),

  prices: {
    list: authedProcedure.query(({ ctx }) => listCompatiblePrices(ctx.db, ctx.user.id)),

    /** Sets the price of a model on one of the caller's endpoints; later calls are priced with it. */
    set: authedProcedure
      .input(
        priceKey.extend({
          inputPerMillionMicros: perMillionMicros,
          outputPerMillionMicros: perMillionMicros,
        }),
      )
      .mutation(({ ctx, input }) => setCompatiblePrice(ctx.db, ctx.user.id, input)),

    delete: authedProcedure.input(priceKey).mutation(async ({ ctx, input }) => {
      await deleteCompatiblePrice(ctx.db, ctx.user.id, input);
      return { ok: true };
    }),
  },
} satisfies TRPCRouterRecord;
