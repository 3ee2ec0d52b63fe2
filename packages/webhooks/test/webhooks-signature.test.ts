/**
 * The webhook checks as pure functions: Standard Webhooks v1 against the spec's known answer and
 * the reference library, the simple hex scheme, url secrets, IP allowlists, body parsing, mapping,
 * header redaction and the curl example (run with bash and openssl, as a user would).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { webhookCurlExample } from '@swarm/engine';
import { sharedExpressionPool } from '@swarm/engine/server';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { allowlistIssues, isIpAllowed, parseCidr } from '../src/ip-allowlist.ts';
import { mapWebhookInput, parseWebhookBody, REDACTED, redactHeaders } from '../src/payload.ts';
import {
  generateWebhookSecret,
  signSimpleWebhook,
  signStandardWebhook,
  verifyUrlSecret,
  verifyWebhookSignature,
} from '../src/signature.ts';
import { redactWebhookPath } from '../src/url.ts';

const KNOWN = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const knownHeaders = (signature = KNOWN.signature, timestamp = KNOWN.timestamp) => ({
  'webhook-id': KNOWN.id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
});

describe('Standard Webhooks v1', () => {
  it('signs the known answer', () => {
    expect(signStandardWebhook(KNOWN.secret, KNOWN.id, KNOWN.timestamp, KNOWN.body)).toBe(KNOWN.signature);
  });

  it('verifies the known answer within ±300 s and refuses ±301 s', () => {
    const verify = (nowSeconds: number) =>
      verifyWebhookSignature({
        headers: knownHeaders(),
        body: Buffer.from(KNOWN.body),
        secrets: [KNOWN.secret],
        nowSeconds,
      });
    expect(verify(KNOWN.timestamp)).toEqual({ ok: true, scheme: 'standard' });
    expect(verify(KNOWN.timestamp + 300).ok).toBe(true);
    expect(verify(KNOWN.timestamp - 300).ok).toBe(true);
    expect(verify(KNOWN.timestamp + 301)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/300 s/),
    });
    expect(verify(KNOWN.timestamp - 301).ok).toBe(false);
  });

  it('accepts any valid v1 among several space-separated signatures, and refuses tampering', () => {
    const body = Buffer.from(KNOWN.body);
    const check = (headers: Record<string, string>, bytes = body, secrets = [KNOWN.secret]) =>
      verifyWebhookSignature({ headers, body: bytes, secrets, nowSeconds: KNOWN.timestamp }).ok;
    expect(check(knownHeaders(`v1,AAAA v2,whatever ${KNOWN.signature}`))).toBe(true);
    expect(check(knownHeaders(KNOWN.signature), Buffer.from('{"test": 2432232315}'))).toBe(false);
    expect(check(knownHeaders(KNOWN.signature), body, [generateWebhookSecret('signature')])).toBe(false);
    expect(check(knownHeaders('v1,not-base64!!'))).toBe(false);
    expect(check(knownHeaders('v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='))).toBe(false);
    expect(check({ 'webhook-signature': KNOWN.signature })).toBe(false);
    expect(check({ ...knownHeaders(), 'webhook-timestamp': 'yesterday' })).toBe(false);
    // A different id or timestamp is a different message.
    expect(check({ ...knownHeaders(), 'webhook-id': 'msg_other' })).toBe(false);
  });

  it('verifies what the standardwebhooks library signs, with either of two valid secrets', () => {
    const secret = generateWebhookSecret('signature');
    const previous = generateWebhookSecret('signature');
    const now = new Date();
    const payload = '{"hello":"wörld"}';
    const signature = new Webhook(secret).sign('msg_1', now, payload);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect(
      verifyWebhookSignature({ headers, body: Buffer.from(payload), secrets: [previous, secret] }).ok,
    ).toBe(true);
    expect(verifyWebhookSignature({ headers, body: Buffer.from(payload), secrets: [previous] }).ok).toBe(
      false,
    );
    // And the library accepts what we sign.
    const ours = signStandardWebhook(secret, 'msg_2', Math.floor(now.getTime() / 1000), payload);
    expect(
      new Webhook(secret).verify(payload, { ...headers, 'webhook-id': 'msg_2', 'webhook-signature': ours }),
    ).toEqual({ hello: 'wörld' });
  });
});

describe('simple x-webhook-signature', () => {
  const secret = 'whsec_simple-secret';
  const body = Buffer.from('{"a":1}');
  const check = (signature: string, secrets = [secret]) =>
    verifyWebhookSignature({ headers: { 'x-webhook-signature': signature }, body, secrets });

  it('accepts the hex HMAC-SHA256 of the raw body keyed with the secret string, with or without sha256=', () => {
    const hex = signSimpleWebhook(secret, body);
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(check(hex)).toEqual({ ok: true, scheme: 'simple' });
    expect(check(`sha256=${hex}`).ok).toBe(true);
    expect(check(hex.toUpperCase()).ok).toBe(true);
  });

  it('refuses a wrong secret, a changed body, malformed and missing signatures', () => {
    const hex = signSimpleWebhook(secret, body);
    expect(check(hex, ['whsec_other']).ok).toBe(false);
    expect(
      verifyWebhookSignature({
        headers: { 'x-webhook-signature': hex },
        body: Buffer.from('{"a":2}'),
        secrets: [secret],
      }).ok,
    ).toBe(false);
    expect(check('abc')).toMatchObject({ ok: false, reason: expect.stringMatching(/64 hex/) });
    expect(verifyWebhookSignature({ headers: {}, body, secrets: [secret] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/missing signature/),
    });
  });
});

describe('secrets', () => {
  it('are whsec_ + base64 of 24 bytes; url-secret ones are URL-safe', () => {
    const signing = generateWebhookSecret('signature');
    expect(signing).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(signing.slice(6), 'base64')).toHaveLength(24);
    for (let i = 0; i < 20; i++)
      expect(generateWebhookSecret('url-secret')).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(generateWebhookSecret('signature')).not.toBe(signing);
  });

  it('compares url secrets exactly', () => {
    expect(verifyUrlSecret('whsec_abc', ['whsec_abc'])).toBe(true);
    expect(verifyUrlSecret('whsec_abd', ['whsec_abc'])).toBe(false);
    expect(verifyUrlSecret('whsec_ab', ['whsec_abc'])).toBe(false);
    expect(verifyUrlSecret(undefined, ['whsec_abc'])).toBe(false);
    expect(verifyUrlSecret('whsec_new', ['whsec_old', 'whsec_new'])).toBe(true);
  });

  it('never show in logged paths', () => {
    expect(redactWebhookPath('/webhooks/0b0e/whsec_abc')).toBe('/webhooks/0b0e/[redacted]');
    expect(redactWebhookPath('/webhooks/0b0e')).toBe('/webhooks/0b0e');
    expect(redactWebhookPath('/trpc/webhooks.list')).toBe('/trpc/webhooks.list');
  });
});

describe('IP allowlist', () => {
  it('parses CIDR blocks and names the bad entry', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' });
    expect(parseCidr('192.0.2.7')).toEqual({ address: '192.0.2.7', prefix: 32, family: 'ipv4' });
    expect(allowlistIssues(['10.0.0.0/8', '10.0.0.0/33', 'example.com', '::1/129'])).toEqual([
      { path: 'ipAllowlist[1]', message: expect.stringMatching(/0 to 32/) },
      { path: 'ipAllowlist[2]', message: expect.stringMatching(/not an IPv4 or IPv6/) },
      { path: 'ipAllowlist[3]', message: expect.stringMatching(/0 to 128/) },
    ]);
  });

  it('matches v4, v6 and v4-mapped v6 addresses', () => {
    expect(isIpAllowed('203.0.113.9', [])).toBe(true);
    expect(isIpAllowed('203.0.113.9', ['203.0.113.0/24'])).toBe(true);
    expect(isIpAllowed('203.0.114.9', ['203.0.113.0/24'])).toBe(false);
    expect(isIpAllowed('::ffff:203.0.113.9', ['203.0.113.0/24'])).toBe(true);
    expect(isIpAllowed('2001:db8::1', ['2001:db8::/32'])).toBe(true);
    expect(isIpAllowed('2001:db9::1', ['2001:db8::/32', '10.0.0.0/8'])).toBe(false);
    expect(isIpAllowed('127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(isIpAllowed('not an ip', ['0.0.0.0/0'])).toBe(false);
  });
});

describe('bodies, mapping and logged headers', () => {
  it('parses JSON, forms and text; refuses unsafe keys, deep nesting and other types', () => {
    expect(parseWebhookBody(Buffer.from('{"a":[1,2]}'), 'application/json; charset=utf-8')).toEqual({
      a: [1, 2],
    });
    expect(parseWebhookBody(Buffer.from('{"a":1}'), undefined)).toEqual({ a: 1 });
    expect(parseWebhookBody(Buffer.alloc(0), 'application/json')).toEqual({});
    expect(parseWebhookBody(Buffer.from('a=1&b=x&a=2'), 'application/x-www-form-urlencoded')).toEqual({
      a: ['1', '2'],
      b: 'x',
    });
    expect(parseWebhookBody(Buffer.from('hello'), 'text/plain')).toEqual({ body: 'hello' });
    // `curl -d '{…}'` sends JSON labelled as a form.
    expect(parseWebhookBody(Buffer.from(' {"a":1}'), 'application/x-www-form-urlencoded')).toEqual({ a: 1 });
    expect(() => parseWebhookBody(Buffer.from('{"__proto__":{"x":1}}'), 'application/json')).toThrow(
      /__proto__/,
    );
    expect(() => parseWebhookBody(Buffer.from('__proto__=1'), 'application/x-www-form-urlencoded')).toThrow(
      /__proto__/,
    );
    expect(() =>
      parseWebhookBody(Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`), 'application/json'),
    ).toThrow(/nested deeper/);
    expect(() => parseWebhookBody(Buffer.from('{nope'), 'application/json')).toThrow(/not valid JSON/);
    let status = 0;
    try {
      parseWebhookBody(Buffer.from([1, 2]), 'application/octet-stream');
    } catch (error) {
      status = (error as { status: number }).status;
    }
    expect(status).toBe(415);
  });

  it('maps with JSONata over the body, $headers and $query, within limits', async () => {
    const context = { headers: { 'x-event': 'push' }, query: { source: 'gh' }, ownerId: 'owner' };
    const pool = sharedExpressionPool();
    await expect(
      mapWebhookInput(
        pool,
        '{ "query": repository.name, "event": $headers."x-event", "from": $query.source }',
        {
          repository: { name: 'swarm' },
        },
        context,
      ),
    ).resolves.toEqual({ query: 'swarm', event: 'push', from: 'gh' });
    await expect(mapWebhookInput(pool, null, { a: 1 }, context)).resolves.toEqual({ a: 1 });
    await expect(mapWebhookInput(pool, '{ "a": ', {}, context)).rejects.toMatchObject({
      issues: [{ path: 'mapping', message: expect.stringMatching(/invalid expression/) }],
    });
    await expect(
      mapWebhookInput(pool, '$error("no repository in this event")', {}, context),
    ).rejects.toMatchObject({
      issues: [{ path: 'mapping', message: expect.stringMatching(/no repository/) }],
    });
  });

  it('redacts signatures, authorization and cookies in logged headers', () => {
    const headers = redactHeaders({
      'Webhook-Signature': 'v1,abc',
      'x-webhook-signature': 'ff',
      authorization: 'Bearer t',
      cookie: 'swarm_session=s',
      'content-type': 'application/json',
      'x-long': 'y'.repeat(5000),
    });
    expect(headers).toMatchObject({
      'webhook-signature': REDACTED,
      'x-webhook-signature': REDACTED,
      authorization: REDACTED,
      cookie: REDACTED,
      'content-type': 'application/json',
    });
    expect(headers['x-long']).toHaveLength(1024);
  });
});

describe('webhookCurlExample', () => {
  it('is a bash snippet whose signature the server side accepts', async () => {
    const secret = generateWebhookSecret('signature');
    const received: Array<{ url: string; headers: Record<string, unknown>; body: Buffer }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const body = `{"query":"it's \\"quoted\\" $HOME \`x\`"}`;
      const signed = webhookCurlExample({
        url: `http://127.0.0.1:${port}/webhooks/abc`,
        auth: 'signature',
        secret,
        body,
      });
      await promisify(execFile)('bash', ['-c', signed]);
      const urlSecret = webhookCurlExample({
        url: `http://127.0.0.1:${port}/webhooks/abc/`,
        auth: 'url-secret',
        secret,
      });
      await promisify(execFile)('bash', ['-c', urlSecret]);

      expect(received[0]!.body.toString()).toBe(body);
      expect(
        verifyWebhookSignature({
          headers: received[0]!.headers as Record<string, string>,
          body: received[0]!.body,
          secrets: [secret],
        }),
      ).toEqual({ ok: true, scheme: 'simple' });
      expect(decodeURIComponent(received[1]!.url)).toBe(`/webhooks/abc/${secret}`);
      expect(received[1]!.body.toString()).toBe('{}');
    } finally {
      server.close();
    }
  });
});
