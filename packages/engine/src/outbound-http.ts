/**
 * Outbound HTTP for workflow nodes: one request with the address guard on every connection,
 * redirects followed by hand (each hop re-checked, at most 5), a total time limit, and a cap on the
 * response body. Built on `node:http`/`node:https` rather than `fetch` because only they let us
 * choose the address a socket connects to (`lookup`), which is what makes the guard hold.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HttpSettings } from './node-type.ts';
import { NodeError } from './node-type.ts';
import { createAddressCheck, createGuardedLookup, normalizeIpLiteral } from './ssrf-guard.ts';

export const DEFAULT_MAX_RESPONSE_BYTES = 1_000_000;
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
export const MAX_REDIRECTS = 5;

export interface OutboundRequest {
  method: string;
  url: string;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface OutboundResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", " (`set-cookie` with "\n"). */
  headers: Record<string, string>;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

const SENSITIVE_ON_CROSS_ORIGIN = ['authorization', 'cookie', 'proxy-authorization'];

function flattenHeaders(message: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(name === 'set-cookie' ? '\n' : ', ') : value;
  }
  return out;
}

/** Sends one request and follows redirects, refusing any hop that lands on a blocked address. */
export async function sendOutboundRequest(
  request: OutboundRequest,
  settings: HttpSettings = {},
): Promise<OutboundResponse> {
  const maxBytes = settings.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const maxTimeout = settings.maxTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const timeoutMs = Math.min(request.timeoutMs ?? maxTimeout, maxTimeout);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const check = createAddressCheck(settings);
  const lookup = createGuardedLookup(check, settings.resolveHost);

  let url = parseTarget(request.url);
  let method = request.method.toUpperCase();
  let body = request.body;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  if (settings.userAgent && !headers['user-agent']) headers['user-agent'] = settings.userAgent;

  try {
    for (let hop = 0; ; hop++) {
      // Node skips `lookup` for IP literals, so literals are checked here.
      const literal = normalizeIpLiteral(url.hostname);
      if (literal) check(url.hostname, literal);
      const response = await sendOnce(url, method, headers, body, lookup, signal, maxBytes);
      const location = response.headers.location;
      if (![301, 302, 303, 307, 308].includes(response.status) || location === undefined) return response;
      if (hop >= MAX_REDIRECTS)
        throw new NodeError('too_many_redirects', `more than ${MAX_REDIRECTS} redirects`);
      const next = parseTarget(location, url);
      if (next.origin !== url.origin) for (const name of SENSITIVE_ON_CROSS_ORIGIN) delete headers[name];
      // Browsers' rule: 303 always, and 301/302 after POST, continue as GET without a body.
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      ) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        delete headers['content-type'];
        delete headers['content-length'];
      }
      url = next;
    }
  } catch (err) {
    if (timeout.aborted && !request.signal?.aborted)
      throw new NodeError('timeout', `request to ${url.host} took longer than ${timeoutMs} ms`);
    throw err;
  }
}

function parseTarget(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new NodeError('invalid_url', `not a valid URL: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new NodeError('invalid_url', `only http and https URLs can be requested, not ${url.protocol}`);
  if (url.username || url.password)
    throw new NodeError('invalid_url', 'credentials in URLs are not allowed; send an Authorization header');
  return url;
}

function sendOnce(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  lookup: ReturnType<typeof createGuardedLookup>,
  signal: AbortSignal,
  maxBytes: number,
): Promise<OutboundResponse> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        headers:
          body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        // No pooling: a kept-alive socket from another run could carry a different policy.
        agent: false,
        signal,
      },
      (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          res.destroy();
          reject(tooLarge(maxBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            res.destroy();
            reject(tooLarge(maxBytes));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: flattenHeaders(res),
            body: Buffer.concat(chunks),
            url: url.href,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(describeConnectionError(err, url)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function tooLarge(maxBytes: number): NodeError {
  return new NodeError('response_too_large', `response body larger than ${maxBytes} bytes`);
}

function describeConnectionError(err: Error, url: URL): Error {
  if (err instanceof NodeError) return err;
  if (err.name === 'AbortError') return err;
  return new NodeError('http_error', `request to ${url.host} failed: ${err.message}`, { cause: err });
}
