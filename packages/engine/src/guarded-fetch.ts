/**
 * A `fetch` for endpoints users choose (the base URL of an OpenAI-compatible credential): a user-set
 * URL is an SSRF vector, so it gets the `http` node's address guard. Each request's host is checked
 * as a literal, or resolved once with every address checked, and the socket is handed exactly the
 * checked addresses through the `lookup` hook — a DNS-rebinding server gets no second resolution to
 * answer differently. Built on `node:http`/`node:https` (only they let us choose the address a
 * socket connects to); the response body streams, so server-sent events arrive as they are sent.
 *
 * `checkEndpointUrl` is the same check without a request, for refusing a URL when it is saved.
 */
// The modules' objects, read at call time: instrumentation that wraps `request` (tracing, msw in
// tests) sees these requests too.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { ResolvedAddress } from './node-type.ts';
import { NodeError } from './node-type.ts';
import {
  type AddressPolicy,
  createAddressCheck,
  type HostResolver,
  normalizeIpLiteral,
  systemResolver,
} from './ssrf-guard.ts';

export interface EndpointGuard extends AddressPolicy {
  /** Replaces DNS resolution (tests; split-horizon setups). Every address returned is checked. */
  resolveHost?: HostResolver | undefined;
}

/** Parses an endpoint URL: http(s) only, no credentials in it. Throws a NodeError saying why. */
export function parseEndpointUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new NodeError('invalid_url', `not a valid URL: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new NodeError('invalid_url', `only http and https URLs can be used, not ${url.protocol}`);
  if (url.username || url.password)
    throw new NodeError('invalid_url', 'credentials in URLs are not allowed; use the API key or a header');
  return url;
}

/**
 * Checks where a URL's host leads: the literal itself, or every address its name resolves to.
 * Returns the checked addresses (empty for a literal, which needs no lookup). Throws
 * `BlockedAddressError` (private, loopback, link-local… unless the policy allows the range) or a
 * `dns_error` NodeError.
 */
export async function checkEndpointUrl(url: URL, guard: EndpointGuard): Promise<ResolvedAddress[]> {
  const check = createAddressCheck(guard);
  const literal = normalizeIpLiteral(url.hostname);
  if (literal) {
    check(url.hostname, literal);
    return [];
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await (guard.resolveHost ?? systemResolver)(url.hostname);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new NodeError('dns_error', `could not resolve ${url.hostname}: ${message}`);
  }
  if (addresses.length === 0) throw new NodeError('dns_error', `${url.hostname} did not resolve`);
  for (const a of addresses) check(url.hostname, a.address);
  return addresses;
}

/** A `lookup` that answers with addresses already checked, never asking DNS again. */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
    const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
    if (usable.length === 0) {
      const error = new NodeError('dns_error', `${hostname} has no checked IPv${wanted} address`);
      callback(error as NodeJS.ErrnoException, '', 0);
    } else if (options.all) callback(null, usable);
    else callback(null, usable[0]!.address, usable[0]!.family);
  };
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** A WHATWG `fetch` whose every connection passes the address guard. No redirects are followed. */
export function createGuardedFetch(guard: EndpointGuard): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = parseEndpointUrl(request.url);
    const addresses = await checkEndpointUrl(url, guard);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    if (body) headers['content-length'] = String(body.length);
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise<Response>((resolve, reject) => {
      const req = send(
        url,
        {
          method: request.method,
          headers,
          ...(addresses.length > 0 ? { lookup: pinnedLookup(addresses) } : {}),
          // No pooling: a kept-alive socket must not outlive the check that allowed it.
          agent: false,
          signal: init?.signal ?? undefined,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const responseHeaders = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          }
          const empty = NULL_BODY_STATUSES.has(status) || request.method === 'HEAD';
          if (empty) res.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status,
              statusText: res.statusMessage ?? '',
              headers: responseHeaders,
            }),
          );
        },
      );
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
  };
}
