/**
 * Notifications: the owner's channels (email, Slack-compatible incoming webhook, signed outbound
 * webhook), which events each gets (for every workflow, or overridden per workflow), the delivery
 * log, and *Send test*. A webhook channel's signing secret is answered once, by `createChannel`;
 * a Slack URL (itself the credential) is never answered back. Both are stored encrypted, so
 * channels other than email need SWARM_SECRET_KEY.
 */
import { randomUUID } from 'node:crypto';
import {
  createNotificationChannel,
  createTestDelivery,
  deleteNotificationChannel,
  deleteNotificationSubscription,
  listNotificationChannels,
  listNotificationDeliveries,
  listNotificationSubscriptions,
  NOTIFICATION_EVENT_KINDS,
  setNotificationSubscription,
  updateNotificationChannel,
} from '@swarm/db';
import { encryptChannelSecret } from '@swarm/notifications';
import { generateWebhookSecret } from '@swarm/webhooks';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.ts';

const id = z.uuid('not a valid id');
const name = z.string().trim().min(1, 'required').max(100, 'at most 100 characters');
const digestMinutes = z
  .number()
  .int('a whole number of minutes')
  .min(0, '0 (send every one) or more')
  .max(1440, 'at most 1440 (a day)');
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2000, 'at most 2000 characters');

const channelInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('email'),
    name,
    digestMinutes: digestMinutes.default(60),
    address: z.email('an email address'),
  }),
  z.object({ kind: z.literal('slack'), name, digestMinutes: digestMinutes.default(60), url: httpUrl }),
  z.object({ kind: z.literal('webhook'), name, digestMinutes: digestMinutes.default(60), url: httpUrl }),
]);

const SECRET_KEY_MISSING =
  'Slack and webhook channels are turned off on this server: their secrets are stored encrypted, so set SWARM_SECRET_KEY (a base64 32-byte key, e.g. `openssl rand -base64 32`) on the API.';

export const notificationsRouter = {
  channels: authedProcedure.query(({ ctx }) => listNotificationChannels(ctx.db, ctx.user.id)),

  /** Creates a channel; a webhook channel's answer carries its signing secret, this once. */
  createChannel: authedProcedure.input(channelInput).mutation(async ({ ctx, input }) => {
    const channelId = randomUUID();
    if (input.kind === 'email') {
      const channel = await createNotificationChannel(ctx.db, ctx.user.id, {
        id: channelId,
        name: input.name,
        kind: 'email',
        target: input.address,
        digestMinutes: input.digestMinutes,
        secret: null,
      });
      return { channel, signingSecret: null };
    }
    if (!ctx.secretKeys) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: SECRET_KEY_MISSING });
    const signingSecret = input.kind === 'webhook' ? generateWebhookSecret('signature') : null;
    const channel = await createNotificationChannel(ctx.db, ctx.user.id, {
      id: channelId,
      name: input.name,
      kind: input.kind,
      // A Slack URL is the credential: only its host is shown.
      target: input.kind === 'slack' ? new URL(input.url).host : input.url,
      digestMinutes: input.digestMinutes,
      secret: encryptChannelSecret(ctx.secretKeys, ctx.user.id, channelId, signingSecret ?? input.url),
    });
    return { channel, signingSecret };
  }),

  updateChannel: authedProcedure
    .input(
      z.object({
        id,
        name: name.optional(),
        digestMinutes: digestMinutes.optional(),
        enabled: z.boolean().optional(),
      }),
    )
    .mutation(({ ctx, input: { id: channelId, ...patch } }) =>
      updateNotificationChannel(ctx.db, ctx.user.id, channelId, patch),
    ),

  deleteChannel: authedProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
    await deleteNotificationChannel(ctx.db, ctx.user.id, input.id);
    return { ok: true };
  }),

  /** Queues a test notification on the channel; its row appears in the delivery log. */
  sendTest: authedProcedure
    .input(z.object({ channelId: id }))
    .mutation(({ ctx, input }) => createTestDelivery(ctx.db, ctx.runs.jobs, ctx.user.id, input.channelId)),

  subscriptions: authedProcedure.query(({ ctx }) => listNotificationSubscriptions(ctx.db, ctx.user.id)),

  /**
   * Which events a channel gets: for every workflow (`workflowId` null), or for one workflow, whose
   * own subscriptions then replace the owner-wide ones (an empty list silences it).
   */
  subscribe: authedProcedure
    .input(
      z.object({
        channelId: id,
        workflowId: id.nullable(),
        events: z.array(z.enum(NOTIFICATION_EVENT_KINDS)).max(NOTIFICATION_EVENT_KINDS.length),
      }),
    )
    .mutation(({ ctx, input }) =>
      ctx.db.transaction((tx) => setNotificationSubscription(tx, ctx.user.id, input)),
    ),

  unsubscribe: authedProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
    await deleteNotificationSubscription(ctx.db, ctx.user.id, input.id);
    return { ok: true };
  }),

  /** The delivery log, newest first: all of it, one channel's, or one run's. */
  deliveries: authedProcedure
    .input(
      z
        .object({
          channelId: id.optional(),
          executionId: id.optional(),
          limit: z.number().int('a whole number').min(1, 'at least 1').max(200, 'at most 200').optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => listNotificationDeliveries(ctx.db, ctx.user.id, input ?? {})),
} satisfies TRPCRouterRecord;
