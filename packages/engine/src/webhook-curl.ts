/**
 * A ready-to-paste shell command that calls a webhook, for the web's "copy curl" button and the
 * README. Signature webhooks are signed with the simple `x-webhook-signature` scheme (hex
 * HMAC-SHA256 of the raw body, keyed with the whole secret string), which a shell can compute with
 * `openssl`; url-secret webhooks carry the secret as the last path segment. The body is sent with
 * `--data-binary` so the bytes signed are the bytes sent.
 */

export interface WebhookCurlExampleOptions {
  /** The webhook's URL without a secret (`https://swarm.example.com/webhooks/<id>`). */
  url: string;
  auth: 'signature' | 'url-secret';
  /** The `whsec_…` secret (shown once, at creation or regeneration). */
  secret: string;
  /** The JSON text to send; default `{}`. */
  body?: string | undefined;
}

/** Quotes a value for POSIX shells: `'…'`, with embedded single quotes closed and escaped. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The multi-line bash snippet (variables, signature, curl) that calls the webhook once. */
export function webhookCurlExample(options: WebhookCurlExampleOptions): string {
  const body = options.body ?? '{}';
  const base = options.url.replace(/\/+$/, '');
  if (options.auth === 'url-secret') {
    const url = `${base}/${encodeURIComponent(options.secret)}`;
    return [
      `BODY=${shellQuote(body)}`,
      `curl -sS -X POST ${shellQuote(url)} \\`,
      `  -H 'content-type: application/json' \\`,
      `  --data-binary "$BODY"`,
    ].join('\n');
  }
  return [
    `BODY=${shellQuote(body)}`,
    `SECRET=${shellQuote(options.secret)}`,
    `SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
    `curl -sS -X POST ${shellQuote(base)} \\`,
    `  -H 'content-type: application/json' \\`,
    `  -H "x-webhook-signature: $SIG" \\`,
    `  --data-binary "$BODY"`,
  ].join('\n');
}
