/**
 * Notification settings in a real browser, with a real runner and a real SMTP server: add an email
 * channel, send a test, and watch its row in the delivery log turn `sent` as the mail arrives; a
 * webhook channel shows its signing secret once, and never after a reload.
 */

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { signUp, useBrowserApp } from './harness.ts';

const mails: { to: string[]; raw: string }[] = [];
let smtpUrl = '';
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      mails.push({
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString(),
      });
      callback();
    });
  },
});
// Registered before the app's hooks, so the runner starts knowing where to send mail.
beforeAll(async () => {
  const listening = smtp.listen(0, '127.0.0.1');
  await once(listening, 'listening');
  smtpUrl = `smtp://127.0.0.1:${(listening.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

const app = useBrowserApp({
  runner: true,
  secretKey: randomBytes(32).toString('base64'),
  smtpUrl: () => smtpUrl,
});

describe('notification settings', () => {
  test('add an email channel, send a test, see it sent in the delivery log', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();

    await page.getByTestId('channel-name').fill('On-call mail');
    await page.getByTestId('channel-destination').fill('oncall@example.com');
    await page.getByTestId('channel-digest').fill('0');
    await page.getByTestId('channel-create').click();
    const channel = page.getByTestId('channel-item').filter({ hasText: 'On-call mail' });
    await channel.waitFor();
    // Saved on click; checked once the server has it.
    await channel.getByTestId('event-run_failed').click();
    await expect.poll(() => channel.getByTestId('event-run_failed').isChecked()).toBe(true);

    await channel.getByTestId('channel-send-test').click();
    const row = page.getByTestId('delivery-row').filter({ hasText: 'Test notification → On-call mail' });
    await row.getByTestId('delivery-status').filter({ hasText: 'sent' }).waitFor();
    expect(mails.filter((m) => m.to.includes('oncall@example.com'))).toHaveLength(1);
    expect(mails[0]!.raw).toContain('this channel works');
    expect(errors).toEqual([]);
  });

  test('a webhook channel shows its signing secret once', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await page.goto('/settings/notifications');
    await page.getByTestId('channel-kind').selectOption('webhook');
    await page.getByTestId('channel-name').fill('Ops hook');
    await page.getByTestId('channel-destination').fill('https://ops.example.com/hook');
    await page.getByTestId('channel-create').click();
    const secret = (await page.getByTestId('channel-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await page.reload();
    await page.getByTestId('channel-item').filter({ hasText: 'Ops hook' }).waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(errors).toEqual([]);
  });
});
