/**
 * The public URL of a webhook: from SWARM_PUBLIC_URL when set (behind a proxy or on a domain the
 * API cannot see), else from the request the owner made (its protocol and host, which honour
 * X-Forwarded-* only when TRUST_PROXY is on).
 */
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** SWARM_PUBLIC_URL without a trailing slash; null: derive from each request. */
    swarmPublicUrl: string | null;
  }
}

export function publicBaseUrl(req: FastifyRequest | null): string {
  const configured = req?.server.swarmPublicUrl;
  if (configured) return configured.replace(/\/+$/, '');
  if (!req) return '';
  return `${req.protocol}://${req.host}`;
}

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
