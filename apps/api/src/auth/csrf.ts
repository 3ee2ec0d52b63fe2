/**
 * Cross-site request forgery guard: a request the browser may have sent on its own — with our
 * session cookie attached — because some other page told it to is refused before anything reads
 * its body.
 *
 * Why SameSite=Lax is not enough: it stops *cross-site* requests, but a page on another port of
 * the same host (`http://localhost:8080`) or on a sibling host (`https://blog.example.com`) is
 * *same-site*, so the browser still attaches the cookie; browsers that predate SameSite attach it
 * everywhere. Such a page can send, without asking us first (no CORS preflight), a POST whose body
 * is a form (`multipart/form-data`, `application/x-www-form-urlencoded`), `text/plain`, or has no
 * Content-Type at all — and tRPC accepts multipart for any mutation, treats a body-less POST as
 * "no input", and the import route reads `text/plain` as JSON.
 *
 * The rule applies to every request that can change state (any method but GET, HEAD and OPTIONS;
 * tRPC serves mutations only over POST) and may be authenticated by the cookie: it has no
 * `Authorization` header (with one, the cookie is never consulted, see `requestToken`; another
 * origin's page cannot add that header without a preflight we never approve). Public webhook routes
 * (`/webhooks/…`: their own signature or secret, never the cookie) are exempt. Such a request must
 *   1. come from one of our own origins (scheme + host + port): its `Origin` header when present
 *      (`null` — sandboxed frames, `file:` pages — is never ours); without `Origin`,
 *      `Sec-Fetch-Site` must be `same-origin` or `none` (typed by the user); with neither header it
 *      passes this step: current browsers send `Origin` on every cross-origin POST, so the sender
 *      is a script or tool that holds the cookie itself and forges nothing — and step 2 still holds;
 *   2. carry a body type no page can send across origins without a preflight: Content-Type
 *      `application/json`, or (the import route's bytes) `application/zip`,
 *      `application/x-zip-compressed`, `application/octet-stream`. Forms, `text/plain` and a
 *      missing Content-Type are refused; this alone stops form-based forgery even from an old
 *      browser that sends neither header.
 * A refused request gets 403 (tRPC-shaped FORBIDDEN under /trpc) and no handler runs.
 *
 * Our own origins: the one the request was addressed to (its scheme and `Host`; with TRUST_PROXY
 * the proxy's X-Forwarded-Proto/-Host), SWARM_PUBLIC_URL's, and SWARM_ALLOWED_ORIGINS. Trusting
 * `Host` is sound here because in a forgery the browser writes both headers: `Host` names the
 * server it is talking to (us), `Origin` the page that made the request (the attacker's); page
 * scripts can set neither, nor X-Forwarded-* without a preflight. The two agree only when the page
 * is served from that very scheme, host and port. A page that makes the browser reach us under its
 * own name (DNS rebinding) does match, but the browser holds no cookie of ours for that name.
 * Behind a TLS-terminating proxy set SWARM_PUBLIC_URL (or TRUST_PROXY with X-Forwarded-Proto):
 * otherwise the browser's `https://` origin is compared with the `http://` the API sees. The Vite
 * dev server proxies with the browser's Host kept (`changeOrigin: false`): dev needs no setting.
 */
import { type AnyRouter, getErrorShape, TRPCError, transformTRPCResponse } from '@trpc/server';
import type { TRPCErrorResponse } from '@trpc/server/rpc';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

/** Methods that never change state here (tRPC refuses mutations over GET). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Body types a cookie-authenticated request may carry: none of them can be sent by another
 * origin's page without a CORS preflight, which this server never approves.
 */
export const CSRF_ALLOWED_BODY_TYPES: readonly string[] = [
  'application/json',
  'application/zip',
  'application/x-zip-compressed',
  'application/octet-stream',
];

/** Route patterns never authenticated by the cookie (signed public webhooks). */
const EXEMPT_ROUTE_PREFIXES = ['/webhooks/'];

/** `Sec-Fetch-Site` values that mean "not sent on another site's behalf". */
const TRUSTED_FETCH_SITES = new Set(['same-origin', 'none']);

/**
 * `scheme://host[:port]` of an http(s) URL, default port dropped and host lower-cased; null for
 * anything else (`null`, other schemes, userinfo, a path or query where an origin belongs).
 */
export function originOf(text: string | undefined | null): string | null {
  if (!text) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash) return null;
  return url.origin;
}

/** True for `http(s)://host[:port]` with nothing after it (a trailing `/` aside). */
export function isBareOrigin(text: string): boolean {
  if (!originOf(text)) return false;
  return new URL(text).pathname === '/';
}

/** The origins configured as ours: SWARM_PUBLIC_URL's and each of SWARM_ALLOWED_ORIGINS. */
export function configuredOrigins(
  publicUrl: string | null | undefined,
  allowedOrigins: readonly string[] | null | undefined,
): Set<string> {
  const origins = new Set<string>();
  for (const text of [publicUrl, ...(allowedOrigins ?? [])]) {
    if (!text) continue;
    // A base URL may carry a path (`https://example.com/swarm`): only its origin counts.
    let origin: string | null = null;
    try {
      origin = originOf(new URL(text).origin);
    } catch {}
    if (!origin) throw new Error(`not an http(s) origin: ${JSON.stringify(text)}`);
    origins.add(origin);
  }
  return origins;
}

/** What the guard looks at, taken from a request (plain, so the rule is testable on its own). */
export interface CsrfRequestFacts {
  method: string;
  /** The matched route's pattern (`/trpc/:path`), undefined when no route matched. */
  routeUrl: string | undefined;
  authorization: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  contentType: string | undefined;
  /** The origin the request was addressed to (scheme + Host), null when it has no usable Host. */
  addressedOrigin: string | null;
}

/** Header text for a message: one line, bounded, quoted. */
function quoted(value: string): string {
  const oneLine = value.replace(/[\r\n\t]+/g, ' ');
  return JSON.stringify(oneLine.length > 120 ? `${oneLine.slice(0, 120)}…` : oneLine);
}

/** Whether the rule applies: state-changing, possibly cookie-authenticated, not a public webhook. */
export function isCsrfChecked(facts: Pick<CsrfRequestFacts, 'method' | 'routeUrl' | 'authorization'>) {
  if (SAFE_METHODS.has(facts.method.toUpperCase())) return false;
  if (facts.authorization !== undefined) return false;
  const route = facts.routeUrl;
  return !(route && EXEMPT_ROUTE_PREFIXES.some((prefix) => route.startsWith(prefix)));
}

/** Why the request is refused, or null when it may proceed. */
export function csrfRefusal(facts: CsrfRequestFacts, configured: ReadonlySet<string>): string | null {
  if (!isCsrfChecked(facts)) return null;
  const ours = new Set(configured);
  if (facts.addressedOrigin) ours.add(facts.addressedOrigin);
  // Names only the origin the request was addressed to (the sender knows it already), not the
  // configured list; it is what an operator needs to see a proxy that hides the public address.
  const addressed = facts.addressedOrigin ?? 'unknown: no Host header';
  const useToken =
    "Requests signed in by the session cookie must come from SWARM's own pages; other apps send an API token (Authorization: Bearer …).";

  if (facts.origin !== undefined) {
    const origin = originOf(facts.origin);
    if (!origin || !ours.has(origin))
      return `Cross-origin request refused: it came from ${quoted(facts.origin)}, not from the origin it was sent to (${addressed}). ${useToken} If SWARM is served at that address, set SWARM_PUBLIC_URL or add it to SWARM_ALLOWED_ORIGINS.`;
  } else if (facts.secFetchSite !== undefined) {
    const site = facts.secFetchSite.trim().toLowerCase();
    if (!TRUSTED_FETCH_SITES.has(site))
      return `Cross-origin request refused: the browser marked it Sec-Fetch-Site: ${quoted(facts.secFetchSite)}. ${useToken}`;
  }

  const mediaType = facts.contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (!CSRF_ALLOWED_BODY_TYPES.includes(mediaType))
    return `Content-Type ${mediaType ? quoted(mediaType) : '(none)'} refused for a request signed in by the session cookie: send ${CSRF_ALLOWED_BODY_TYPES.join(', ')}. ${useToken}`;
  return null;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function csrfFactsOf(req: FastifyRequest): CsrfRequestFacts {
  return {
    method: req.method,
    routeUrl: req.routeOptions.url,
    authorization: header(req, 'authorization'),
    origin: header(req, 'origin'),
    secFetchSite: header(req, 'sec-fetch-site'),
    contentType: header(req, 'content-type'),
    addressedOrigin: req.host ? originOf(`${req.protocol}://${req.host}`) : null,
  };
}

/**
 * The refusal as tRPC would answer it: one error per call of a batch (`?batch=1`, paths joined by
 * commas), shaped by the router's error formatter and encoded by its transformer.
 */
function trpcForbiddenBody(router: AnyRouter, req: FastifyRequest, pathText: string, message: string) {
  const config = router._def._config;
  const error = new TRPCError({ code: 'FORBIDDEN', message });
  let decoded = pathText;
  try {
    decoded = decodeURIComponent(pathText);
  } catch {}
  const isBatch = (req.query as Record<string, unknown> | undefined)?.batch === '1';
  const items: TRPCErrorResponse[] = (isBatch ? decoded.split(',') : [decoded]).map((path) => ({
    error: getErrorShape({ config, error, type: 'unknown', path, input: undefined, ctx: undefined }),
  }));
  return transformTRPCResponse(config, isBatch ? items : items[0]!);
}

export interface CsrfGuardOptions {
  /** SWARM_PUBLIC_URL: its origin is ours. */
  publicUrl?: string | null | undefined;
  /** SWARM_ALLOWED_ORIGINS: more origins whose pages may use the cookie (a dev server, a second name). */
  allowedOrigins?: readonly string[] | null | undefined;
  /** Refusals under `trpcPrefix` are answered in tRPC's shape with this router's formatter. */
  trpcRouter: AnyRouter;
  trpcPrefix: string;
}

/** The rule as a Fastify `onRequest` hook: it runs before any body is read or handler called. */
export function csrfGuard(options: CsrfGuardOptions): onRequestAsyncHookHandler {
  const configured = configuredOrigins(options.publicUrl, options.allowedOrigins);
  const trpcRoute = `${options.trpcPrefix}/:path`;
  return async function guard(req: FastifyRequest, reply: FastifyReply) {
    // Reads, token calls and webhooks (most requests) are let through before an origin is parsed.
    const { method } = req;
    const authorization = header(req, 'authorization');
    if (!isCsrfChecked({ method, routeUrl: req.routeOptions.url, authorization })) return;
    const facts = csrfFactsOf(req);
    const message = csrfRefusal(facts, configured);
    if (!message) return;
    req.log.warn(
      {
        origin: facts.origin,
        secFetchSite: facts.secFetchSite,
        contentType: facts.contentType,
        addressedOrigin: facts.addressedOrigin,
      },
      'cross-site request refused',
    );
    reply.code(403).header('cache-control', 'no-store');
    if (facts.routeUrl === trpcRoute) {
      const pathText = (req.params as { path?: string } | undefined)?.path ?? '';
      return reply.send(trpcForbiddenBody(options.trpcRouter, req, pathText, message));
    }
    return reply.send({ error: { message, code: 'FORBIDDEN', issues: [] } });
  };
}
