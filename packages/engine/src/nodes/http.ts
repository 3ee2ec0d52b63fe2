/**
 * `http`: one outbound request with templated url, headers and body, through the address guard
 * (outbound-http.ts, ssrf-guard.ts). Output `{ status, headers, body }`, the body JSON-parsed when
 * the response says it is JSON. A status outside 2xx fails the step (`http_status`) unless
 * `allowErrorStatus` is set, in which case a `condition` after it can branch on `status`.
 */
import { z } from 'zod';
import { defineNode, NodeError } from '../node-type.ts';
import { sendOutboundRequest } from '../outbound-http.ts';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const httpConfigSchema = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
  url: z
    .string()
    .min(1, 'required')
    .max(8_000)
    .describe('Template: https://api.example.com/items/{{input.id}}'),
  headers: z
    .record(z.string().regex(HEADER_NAME, 'not a valid header name').max(200), z.string().max(8_000))
    .optional(),
  /** A string is sent as is; any other JSON value is sent as JSON. */
  body: z.unknown().optional(),
  timeoutMs: z.number().int().min(1).max(600_000).optional(),
  allowErrorStatus: z.boolean().optional(),
});

function isJson(contentType: string | undefined): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType ?? '');
}

export const httpNode = defineNode({
  type: 'http',
  version: 1,
  label: 'HTTP request',
  category: 'integration',
  description: 'Call an external HTTP API',
  configSchema: httpConfigSchema,
  defaultConfig: { method: 'GET', url: 'https://example.com' },
  inputs: { min: 0 },
  outputs: ['out'],
  templateFields: ['url', 'headers', 'body'],
  async execute(ctx, { config, signal }) {
    const url = ctx.renderTemplate(config.url);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.headers ?? {}))
      headers[name.toLowerCase()] = ctx.renderTemplate(value).replace(/[\r\n]/g, ' ');
    let body: string | undefined;
    if (config.body !== undefined && config.body !== null) {
      const rendered = ctx.renderTemplateValue(config.body);
      if (typeof rendered === 'string') body = rendered;
      else {
        body = JSON.stringify(rendered);
        headers['content-type'] ??= 'application/json';
      }
    }
    // Header values may hold secrets; the step records where the request went, not its headers.
    ctx.recordInput({ method: config.method, url, body: body ?? null });

    const response = await sendOutboundRequest(
      { method: config.method, url, headers, body, timeoutMs: config.timeoutMs, signal },
      ctx.services.http,
    );
    const text = response.body.toString('utf8');
    let parsedBody: unknown = text;
    if (isJson(response.headers['content-type']) && text.trim() !== '') {
      try {
        parsedBody = JSON.parse(text);
      } catch {
        parsedBody = text;
      }
    }
    const output = { status: response.status, headers: response.headers, body: parsedBody };
    if (!config.allowErrorStatus && (response.status < 200 || response.status > 299))
      throw new NodeError(
        'http_status',
        `${config.method} ${new URL(response.url).host} answered ${response.status}`,
      );
    return { output };
  },
});
