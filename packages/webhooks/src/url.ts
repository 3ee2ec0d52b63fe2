/**
 * A webhook's public URLs and how its path may appear in logs. The base URL comes from the app
 * (SWARM_PUBLIC_URL, or the host the owner's request came to); this module only appends to it.
 */

/** `<base>/webhooks/<id>`: where signed calls go (url-secret calls append `/<secret>`). */
export function webhookUrl(base: string, webhookId: string): string {
  return `${base}/webhooks/${webhookId}`;
}

/** The URL a sender calls: with the secret as the last segment in url-secret mode. */
export function webhookTriggerUrl(
  base: string,
  webhook: { id: string; auth: string },
  secret: string,
): string {
  const url = webhookUrl(base, webhook.id);
  return webhook.auth === 'url-secret' ? `${url}/${encodeURIComponent(secret)}` : url;
}

/** The request path as logs may show it: a url-secret webhook's secret segment replaced. */
export function redactWebhookPath(path: string): string {
  return path.replace(/^(\/webhooks\/[^/?#]+\/)[^/?#]+/, '$1[redacted]');
}
