/**
 * Which server and token a command uses — `--url`/`--token`, then `SWARM_URL`/`SWARM_TOKEN`, then
 * the file `swarm login` wrote — and the typed client on them. Also turns the API's errors into
 * the CLI's exit codes, so a rejected token is always exit 3 whatever the command.
 */
import { createSwarmClient, isSwarmError, type SwarmClient } from '@swarm/client';
import { readLogin } from './config-file.ts';
import type { CliEnv } from './env.ts';
import { CliError, EXIT } from './exit-codes.ts';

export interface ConnectionOptions {
  url?: string | undefined;
  token?: string | undefined;
}

export interface Connection {
  url: string;
  token: string;
  client: SwarmClient;
}

export async function connect(options: ConnectionOptions, env: CliEnv): Promise<Connection> {
  const stored = await readLogin(env.configDir);
  const url = options.url ?? env.url ?? stored?.url;
  const token = options.token ?? env.token ?? stored?.token;
  if (!url || !token) {
    throw new CliError(
      'not logged in: run swarm login --url URL (or set SWARM_URL and SWARM_TOKEN)',
      EXIT.auth,
    );
  }
  return { url: url.replace(/\/+$/, ''), token, client: createSwarmClient({ url, token }) };
}

/** An API error as a CliError with the right exit code; anything else unchanged. */
export function explainApiError(error: unknown): unknown {
  if (!isSwarmError(error)) {
    if (error instanceof TypeError && /fetch failed/.test(error.message)) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      return new CliError(`cannot reach the server${cause ? `: ${cause}` : ''}`, EXIT.error);
    }
    return error;
  }
  const code = error.data?.code;
  if (code === 'UNAUTHORIZED') {
    return new CliError('the server refused the token: run swarm login again', EXIT.auth);
  }
  const issues = (error.data as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues;
  const detail = issues?.length ? issues.map((i) => `${i.path}: ${i.message}`).join('; ') : error.message;
  return new CliError(code ? `${code}: ${detail}` : detail, code === 'BAD_REQUEST' ? EXIT.usage : EXIT.error);
}

/** The plain HTTP routes (ZIP export and import) with the same bearer token. */
export async function httpRequest(
  connection: Pick<Connection, 'url' | 'token'>,
  path: string,
  init: { method: 'GET' | 'POST'; body?: Uint8Array | string; contentType?: string },
): Promise<Response> {
  const response = await fetch(`${connection.url}${path}`, {
    method: init.method,
    headers: {
      authorization: `Bearer ${connection.token}`,
      ...(init.contentType ? { 'content-type': init.contentType } : {}),
    },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  if (response.status === 401)
    throw new CliError('the server refused the token: run swarm login again', EXIT.auth);
  if (!response.ok) {
    const text = await response.text();
    let message = text;
    try {
      const body = JSON.parse(text) as { message?: string; error?: { message?: string } };
      message = body.message ?? body.error?.message ?? text;
    } catch {}
    throw new CliError(`${response.status}: ${message}`, response.status === 400 ? EXIT.usage : EXIT.error);
  }
  return response;
}
