/**
 * The runner's `/metrics` endpoint: a bare `node:http` server on its own port
 * (`RUNNER_METRICS_PORT`), since a runner serves nothing else. The API answers `/metrics` on its
 * own Fastify server with the same `answerMetrics`. With a token configured, a scrape without
 * `Authorization: Bearer <token>` gets 401.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.ts';

/** Whether an `Authorization` header carries the bearer token (always true without a token). */
export function metricsAuthorized(header: string | undefined, token: string | null | undefined): boolean {
  if (!token) return true;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A `/metrics` answer: status, headers and body. */
export async function answerMetrics(
  metrics: Metrics,
  authorization: string | undefined,
  token: string | null | undefined,
): Promise<{ status: number; contentType: string; body: string }> {
  if (!metricsAuthorized(authorization, token))
    return { status: 401, contentType: 'text/plain; charset=utf-8', body: 'unauthorized\n' };
  const { contentType, body } = await metrics.expose();
  return { status: 200, contentType, body };
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function serveMetrics(
  metrics: Metrics,
  options: { port: number; host: string; token?: string | null | undefined },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    answerMetrics(metrics, req.headers.authorization, options.token).then(
      (answer) => res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
