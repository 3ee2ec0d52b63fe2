/**
 * Sender presets against the senders' own oracles: GitHub's `@octokit/webhooks-methods` and the
 * example in GitHub's docs, Stripe's own library (`stripe`), Slack's worked example from its docs,
 * and for Shopify (whose docs give the algorithm but no worked example) a known answer computed with
 * `openssl`, independently of our code.
 */
import { sign as githubSign, verify as githubVerify } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  checkSenderCall,
  eventPassesFilter,
  readSenderDelivery,
  signSenderRequest,
  verifySenderSignature,
} from '../src/index.ts';

const stripe = new Stripe('sk_test_unused');
const NOW = 1_700_000_000;

describe('github', () => {
  it("matches the example in GitHub's docs and the signatures of GitHub's own library", async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation:
    // secret "It's a Secret to Everybody", payload "Hello, World!" →
    // "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".
    const secret = "It's a Secret to Everybody";
    const known = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    const body = Buffer.from('Hello, World!');
    expect(
      verifySenderSignature('github', { headers: { 'x-hub-signature-256': known }, body, secrets: [secret] }),
    ).toEqual({
      ok: true,
      scheme: 'github',
    });
    const payload = '{"action":"opened","zen":"Keep it logically awesome."}';
    const signed = await githubSign('s3cret-from-github', payload);
    expect(
      verifySenderSignature('github', {
        headers: { 'x-hub-signature-256': signed },
        body: Buffer.from(payload),
        secrets: ['old', 's3cret-from-github'],
      }).ok,
    ).toBe(true);
    // What "Send test" sends, GitHub's library accepts.
    const ours = signSenderRequest('github', 's3cret-from-github', Buffer.from(payload), {
      nowSeconds: NOW,
      deliveryId: 'd-1',
      event: 'pull_request',
    });
    expect(await githubVerify('s3cret-from-github', payload, ours['x-hub-signature-256']!)).toBe(true);
  });

  it('refuses a tampered body, a wrong secret, a missing or malformed header', async () => {
    const payload = '{"a":1}';
    const signed = await githubSign('right', payload);
    const check = (headers: Record<string, string>, body = payload, secrets = ['right']) =>
      verifySenderSignature('github', { headers, body: Buffer.from(body), secrets });
    expect(check({ 'x-hub-signature-256': signed }, '{"a":2}')).toMatchObject({ ok: false });
    expect(check({ 'x-hub-signature-256': signed }, payload, ['wrong'])).toMatchObject({ ok: false });
    expect(check({})).toEqual({ ok: false, reason: 'missing X-Hub-Signature-256 header' });
    expect(check({ 'x-hub-signature-256': signed.slice(7) })).toMatchObject({ ok: false });
  });

  it('reads the delivery id, the event and its action', () => {
    const delivery = readSenderDelivery(
      'github',
      { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-event': 'pull_request' },
      Buffer.from('{"action":"opened"}'),
    );
    expect(delivery).toMatchObject({
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      event: 'pull_request',
      eventDetail: 'pull_request.opened',
    });
    expect(eventPassesFilter(['pull_request.opened'], delivery)).toBe(true);
    expect(eventPassesFilter(['pull_request.closed', 'push'], delivery)).toBe(false);
    expect(eventPassesFilter(['pull_*'], delivery)).toBe(true);
    expect(eventPassesFilter([], delivery)).toBe(true);
  });
});

describe('stripe', () => {
  const secret = 'whsec_stripe_endpoint_secret';
  const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid' });

  it("accepts headers made by Stripe's generateTestHeaderString, with several v1 signatures", () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: NOW });
    const check = (value: string, secrets = [secret], nowSeconds = NOW) =>
      verifySenderSignature('stripe', {
        headers: { 'stripe-signature': value },
        body: Buffer.from(payload),
        secrets,
        nowSeconds,
      });
    expect(check(header)).toEqual({ ok: true, scheme: 'stripe' });
    // While a secret rolls, Stripe signs with both: any v1 may match.
    const [t, v1] = header.split(',');
    expect(check(`${t},v1=${'0'.repeat(64)},${v1}`)).toMatchObject({ ok: true });
    expect(check(header, ['whsec_other'])).toMatchObject({ ok: false });
    expect(check(header, [secret], NOW + 301)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/300 s/),
    });
    expect(check(header, [secret], NOW + 299)).toMatchObject({ ok: true });
    expect(check(`t=${NOW}`)).toMatchObject({ ok: false, reason: 'Stripe-Signature holds no v1 signature' });
    // Stripe's own verifier accepts what "Send test" sends.
    const ours = signSenderRequest('stripe', secret, Buffer.from(payload), {
      nowSeconds: NOW,
      deliveryId: 'x',
    });
    expect(() =>
      stripe.webhooks.constructEvent(payload, ours['stripe-signature']!, secret, 300, undefined, NOW),
    ).not.toThrow();
  });

  it('reads the event id and type from the body', () => {
    expect(readSenderDelivery('stripe', {}, Buffer.from(payload))).toMatchObject({
      deliveryId: 'evt_1',
      event: 'invoice.paid',
    });
    expect(eventPassesFilter(['invoice.*'], { event: 'invoice.paid', eventDetail: null })).toBe(true);
    expect(eventPassesFilter(['invoice.paid'], { event: 'customer.created', eventDetail: null })).toBe(false);
  });
});

describe('slack', () => {
  it("matches the worked example in Slack's docs", () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack ("A recipe for security",
    // step by step): signing secret 8f742231b10e8888abcd99yyyzzz85a5, X-Slack-Request-Timestamp
    // 1531420618, the slash-command body below →
    // X-Slack-Signature v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503.
    const body = Buffer.from(
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    );
    const headers = {
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    };
    const secrets = ['8f742231b10e8888abcd99yyyzzz85a5'];
    expect(verifySenderSignature('slack', { headers, body, secrets, nowSeconds: 1531420618 + 60 })).toEqual({
      ok: true,
      scheme: 'slack',
    });
    // Five minutes later the same request is a replay.
    expect(
      verifySenderSignature('slack', { headers, body, secrets, nowSeconds: 1531420618 + 301 }),
    ).toMatchObject({
      ok: false,
    });
    expect(
      verifySenderSignature('slack', {
        headers,
        body: Buffer.concat([body, Buffer.from('x')]),
        secrets,
        nowSeconds: 1531420618,
      }),
    ).toMatchObject({ ok: false, reason: 'X-Slack-Signature does not match' });
    expect(
      verifySenderSignature('slack', {
        headers: { 'x-slack-signature': headers['x-slack-signature'] },
        body,
        secrets,
        nowSeconds: 1531420618,
      }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/X-Slack-Request-Timestamp/) });
  });

  it('answers the url_verification handshake only when signed, and keys events by event_id', () => {
    const secret = 'slack-signing-secret';
    const handshake = Buffer.from(
      JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' }),
    );
    const signed = signSenderRequest('slack', secret, handshake, { nowSeconds: NOW, deliveryId: 'x' });
    expect(
      checkSenderCall('slack', {
        headers: signed,
        body: handshake,
        secrets: [secret],
        eventFilter: [],
        nowSeconds: NOW,
      }),
    ).toMatchObject({
      kind: 'challenge',
      challenge: 'c-123',
    });
    expect(
      checkSenderCall('slack', {
        headers: {},
        body: handshake,
        secrets: [secret],
        eventFilter: [],
        nowSeconds: NOW,
      }),
    ).toMatchObject({
      kind: 'rejected',
    });
    const event = Buffer.from(
      JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } }),
    );
    expect(readSenderDelivery('slack', { 'x-slack-retry-num': '1' }, event)).toMatchObject({
      deliveryId: 'Ev1',
      event: 'app_mention',
    });
  });
});

describe('shopify', () => {
  it('matches a known answer computed with openssl', () => {
    // Shopify's docs (https://shopify.dev/docs/apps/build/webhooks/subscribe/https, "Verify the
    // webhook"): "X-Shopify-Hmac-SHA256 … a base64-encoded HMAC-SHA256 digest … generated using the
    // app's client secret along with the data sent in the request". They give no worked example,
    // so the answer comes from a shell, not from our code:
    //   printf '{"id":1,"topic":"orders/create"}' \
    //     | openssl dgst -sha256 -hmac 'shpss_known_answer_secret' -binary | base64
    const body = Buffer.from('{"id":1,"topic":"orders/create"}');
    const known = 'VLhVtMEBbtOd3v9kwmgFbc1zZinMgUm/xdR2YVwsoOM=';
    const secrets = ['shpss_known_answer_secret'];
    expect(
      verifySenderSignature('shopify', { headers: { 'x-shopify-hmac-sha256': known }, body, secrets }),
    ).toEqual({
      ok: true,
      scheme: 'shopify',
    });
    expect(
      signSenderRequest('shopify', secrets[0]!, body, { nowSeconds: NOW, deliveryId: 'w-1' })[
        'x-shopify-hmac-sha256'
      ],
    ).toBe(known);
    expect(
      verifySenderSignature('shopify', {
        headers: { 'x-shopify-hmac-sha256': known },
        body,
        secrets: ['wrong'],
      }),
    ).toMatchObject({
      ok: false,
    });
    expect(verifySenderSignature('shopify', { headers: {}, body, secrets })).toMatchObject({ ok: false });
    expect(
      readSenderDelivery(
        'shopify',
        { 'x-shopify-webhook-id': 'b54557e4', 'x-shopify-topic': 'orders/create' },
        body,
      ),
    ).toMatchObject({ deliveryId: 'b54557e4', event: 'orders/create' });
  });
});
