/**
 * The notifications procedures through the real server: a webhook channel's signing secret is
 * answered once and never again, a Slack URL (the credential) is never answered back, bad input
 * names its field and stores nothing, *Send test* queues a row in the delivery log, and
 * `onFailure` naming the workflow itself is refused on save.
 */
import { generateSecretKey } from '@swarm/providers/store';
import { describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const api = useApiServer({ secretKey: generateSecretKey() });

describe('notifications API', () => {
  it('shows a webhook secret once and a Slack URL never', async () => {
    const { client } = await api.signUp();
    const hook = await client.notifications.createChannel.mutate({
      kind: 'webhook',
      name: 'Ops hook',
      url: 'https://ops.example.com/swarm',
    });
    expect(hook.signingSecret).toMatch(/^whsec_/);
    const slack = await client.notifications.createChannel.mutate({
      kind: 'slack',
      name: 'Slack',
      url: 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX',
      digestMinutes: 0,
    });
    expect(slack.channel.target).toBe('hooks.slack.com');
    expect(slack.signingSecret).toBeNull();

    const listed = JSON.stringify(await client.notifications.channels.query());
    expect(listed).toContain('Ops hook');
    expect(listed).not.toContain(hook.signingSecret!.slice(6));
    expect(listed).not.toContain('XXXXSECRETXXXX');
    const [row] = await api.database.sql<{ secret: string }[]>`
      select secret from notification_channels where id = ${slack.channel.id}`;
    expect(row!.secret).not.toContain('XXXXSECRETXXXX');
  });

  it('refuses bad input by field and stores nothing', async () => {
    const { client } = await api.signUp();
    await expectApiError(
      client.notifications.createChannel.mutate({ kind: 'webhook', name: 'x', url: 'ftp://nope' }),
      'BAD_REQUEST',
      { paths: ['url'] },
    );
    await expectApiError(
      client.notifications.createChannel.mutate({ kind: 'email', name: 'x', address: 'not-an-email' }),
      'BAD_REQUEST',
      { paths: ['address'] },
    );
    expect(await client.notifications.channels.query()).toEqual([]);
  });

  it('queues a test notification into the delivery log', async () => {
    const { client } = await api.signUp();
    const { channel } = await client.notifications.createChannel.mutate({
      kind: 'email',
      name: 'Me',
      address: 'me@example.com',
    });
    const { id } = await client.notifications.sendTest.mutate({ channelId: channel.id });
    const log = await client.notifications.deliveries.query({ channelId: channel.id });
    expect(log).toMatchObject([{ id, kind: 'test', status: 'pending', channelName: 'Me' }]);
    const jobs = await api.database.sql`
      select 1 from pgboss.job where name = 'notificationDelivery' and data->>'deliveryId' = ${id}`;
    expect(jobs).toHaveLength(1);
  });

  it('subscribes per workflow and refuses a workflow that is its own error workflow', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'nightly' });
    const { channel } = await client.notifications.createChannel.mutate({
      kind: 'email',
      name: 'Me',
      address: 'me@example.com',
    });
    const subscription = await client.notifications.subscribe.mutate({
      channelId: channel.id,
      workflowId: workflow.id,
      events: ['run_failed', 'schedule_failed'],
    });
    expect(await client.notifications.subscriptions.query()).toMatchObject([
      { id: subscription.id, workflowId: workflow.id, events: ['run_failed', 'schedule_failed'] },
    ]);
    await expectApiError(
      client.workflows.update.mutate({
        id: workflow.id,
        definition: { ...workflow.definition, settings: { onFailure: workflow.id } },
      }),
      'BAD_REQUEST',
      { paths: ['definition.settings.onFailure'] },
    );
  });
});
