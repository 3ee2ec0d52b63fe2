import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure, publicProcedure } from '../trpc.ts';

const email = z.string().trim().max(254, 'at most 254 characters').email('not a valid email address');
const password = z.string().max(200, 'at most 200 characters');

export const authRouter = {
  signup: publicProcedure
    .input(
      z.object({
        email,
        password: password.min(8, 'at least 8 characters'),
        name: z.string().trim().max(100, 'at most 100 characters').optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const session = await ctx.auth.signup(input, ctx.ip);
      ctx.sessionCookie?.set(session.token, session.expiresAt);
      return { user: session.user, token: session.token };
    }),

  login: publicProcedure
    .input(z.object({ email, password: password.min(1, 'required') }))
    .mutation(async ({ ctx, input }) => {
      const session = await ctx.auth.login(input, ctx.ip);
      ctx.sessionCookie?.set(session.token, session.expiresAt);
      return { user: session.user, token: session.token };
    }),

  logout: authedProcedure.mutation(async ({ ctx }) => {
    await ctx.auth.logout(ctx.sessionTokenHash);
    ctx.sessionCookie?.clear();
    return { ok: true };
  }),

  me: authedProcedure.query(({ ctx }) => ctx.user),

  createApiToken: authedProcedure
    .input(z.object({ name: z.string().trim().min(1, 'required').max(100, 'at most 100 characters') }))
    .mutation(({ ctx, input }) => ctx.auth.createApiToken(ctx.user.id, input.name)),

  listApiTokens: authedProcedure.query(({ ctx }) => ctx.auth.listApiTokens(ctx.user.id)),

  revokeApiToken: authedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.auth.revokeApiToken(ctx.user.id, input.id);
      return { ok: true };
    }),
} satisfies TRPCRouterRecord;
