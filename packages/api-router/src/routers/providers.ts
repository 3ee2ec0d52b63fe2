/**
 * Providers as users see them: health (shared breakers, error rates, latency percentiles), the
 * fallback/breaker event feed, the global price table and model map, and the caller's own stored
 * API keys (set and listed with a hint, never returned).
 *
 * Who sees what: health and breaker events are global operational data (one breaker per
 * provider/model serves everyone), so every signed-in user sees them; fallback events are shown
 * only for the caller's own runs. Prices and the model map are global too: anyone signed in may
 * read them, but writing them changes everyone's costs and fallbacks, so it takes an admin when
 * SWARM_ADMIN_EMAILS is set (and in production, where an unset list means nobody).
 */
import {
  deleteCredential,
  listCredentials,
  listPrices,
  listProviderEventsForOwner,
  providerHealthReport,
} from '@swarm/db';
import { PROVIDER_IDS } from '@swarm/engine';
import {
  credentialInputSchema,
  credentialProviderSchema,
  listModelEquivalents,
  modelEquivalentsInputSchema,
  NOT_COUNTED_ERROR_CLASSES,
  priceInputSchema,
  setModelEquivalents,
  storeCredential,
  upsertPrice,
} from '@swarm/providers/store';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { withSecretKeys } from '../secret-keys.ts';
import { authedProcedure } from '../trpc.ts';
import { compatibleRouter } from './compatible.ts';

/** Changes to global provider settings: any signed-in user, or only the listed admins. */
const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.providerAdmins && !ctx.providerAdmins.has(ctx.user.email.toLowerCase())) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message:
        'Prices and the model map apply to every user: only the administrators listed in SWARM_ADMIN_EMAILS may change them.',
    });
  }
  return next();
});

const DEFAULT_HEALTH_WINDOW_MINUTES = 60;

/**
 * OpenAI-compatible endpoints are users' own: their breakers and health are kept per owner and
 * credential (`<owner id>/<credential>/<model>`), so the shared report shows the caller only their
 * own such rows, as `<credential>/<model>`, and nobody else's endpoint names or models. (Rows read
 * from the ledger, which does not record the credential, are left out for the same reason.)
 */
function ownCompatibleRows<T extends { provider: string; model: string }>(items: T[], userId: string): T[] {
  const own = `${userId}/`;
  return items.flatMap((item) => {
    if (item.provider !== 'openai-compatible') return [item];
    return item.model.startsWith(own) ? [{ ...item, model: item.model.slice(own.length) }] : [];
  });
}

export const providersRouter = {
  health: authedProcedure
    .input(
      z
        .object({
          /** How far back attempts are counted. Default 60 minutes, at most 7 days. */
          windowMinutes: z
            .number()
            .int()
            .min(1)
            .max(7 * 24 * 60)
            .optional(),
        })
        .default({}),
    )
    .query(async ({ ctx, input }) => {
      const windowMinutes = input.windowMinutes ?? DEFAULT_HEALTH_WINDOW_MINUTES;
      const items = await providerHealthReport(ctx.db, {
        windowMs: windowMinutes * 60_000,
        notCountedErrorClasses: [...NOT_COUNTED_ERROR_CLASSES],
      });
      return { windowMinutes, items: ownCompatibleRows(items, ctx.user.id) };
    }),

  events: authedProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(500).optional(),
          executionId: z.uuid('not a valid id').optional(),
        })
        .default({}),
    )
    .query(async ({ ctx, input }) =>
      (await listProviderEventsForOwner(ctx.db, ctx.user.id, input)).map((event) =>
        event.provider === 'openai-compatible' && event.model.startsWith(`${ctx.user.id}/`)
          ? { ...event, model: event.model.slice(ctx.user.id.length + 1) }
          : event,
      ),
    ),

  pricing: {
    list: authedProcedure
      .input(
        z
          .object({
            provider: z.enum(PROVIDER_IDS).optional(),
            model: z.string().trim().min(1).max(200).optional(),
          })
          .default({}),
      )
      .query(({ ctx, input }) => listPrices(ctx.db, input)),

    /** Adds a price from `effectiveFrom` (default now) on; the same date twice is a CONFLICT. */
    upsert: adminProcedure.input(priceInputSchema).mutation(({ ctx, input }) => upsertPrice(ctx.db, input)),
  },

  modelMap: {
    list: authedProcedure.query(({ ctx }) => listModelEquivalents(ctx.db)),

    /** Replaces the equivalents of `from` with `to`, in that order (an empty list removes them). */
    upsert: adminProcedure.input(modelEquivalentsInputSchema).mutation(async ({ ctx, input }) => ({
      from: input.from,
      to: await setModelEquivalents(ctx.db, input),
    })),
  },

  credentials: {
    /** Which providers the caller stored a key for, with its last four characters. Never a value. */
    list: authedProcedure.query(({ ctx }) => listCredentials(ctx.db, ctx.user.id)),

    set: withSecretKeys
      .input(credentialInputSchema)
      .mutation(({ ctx, input }) => storeCredential(ctx.db, ctx.secretKeys, ctx.user.id, input)),

    delete: authedProcedure
      .input(z.object({ provider: credentialProviderSchema }))
      .mutation(async ({ ctx, input }) => {
        await deleteCredential(ctx.db, ctx.user.id, input.provider);
        return { ok: true };
      }),
  },

  /** The caller's OpenAI-compatible endpoints (named credentials) and their models' prices. */
  compatible: compatibleRouter,
} satisfies TRPCRouterRecord;
