/**
 * The middleware of procedures that store secrets: they need the encryption key, and without it the
 * server says so (naming the setting) instead of storing plaintext.
 */
import { TRPCError } from '@trpc/server';
import { authedProcedure } from './trpc.ts';

/** Storing keys needs the encryption key; without it the server says so instead of storing plaintext. */
export const withSecretKeys = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.secretKeys) {
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message:
        'Saving provider API keys is turned off on this server: set SWARM_SECRET_KEY (a base64 32-byte key, e.g. `openssl rand -base64 32`) on the API and the runners.',
    });
  }
  return next({ ctx: { ...ctx, secretKeys: ctx.secretKeys } });
});
