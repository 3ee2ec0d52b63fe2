/**
 * The API as a child process (`apps/api/src/main.ts` under tsx, as production starts it), for
 * benchmarks that measure its CPU apart from the harness's own (the clients that call it).
 * `nodeOptions` adds Node flags, e.g. `--cpu-prof` to profile it; `gcTraceFile` runs it with
 * `--trace-gc-nvp` into that file (./gc-trace.ts reads it back).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './lib.ts';

export interface ApiProcess {
  pid: number;
  url: string;
  /** `performance.now()` of the harness when it was spawned: about where its own clock starts. */
  spawnedAt: number;
  child: ChildProcess;
  /** SIGTERM (the API drains and exits 0), then waits for the exit. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function spawnApi(
  databaseUrl: string,
  options: { nodeOptions?: string[]; env?: Record<string, string>; gcTraceFile?: string } = {},
): Promise<ApiProcess> {
  const port = await freePort();
  const apiDir = path.join(repoRoot, 'apps/api');
  const nodeOptions = [...(options.nodeOptions ?? []), ...(options.gcTraceFile ? ['--trace-gc-nvp'] : [])];
  // The GC trace is written to stdout, among the API's own (warn-level) log lines: its reader
  // skips what is not a trace line.
  const stdout = options.gcTraceFile ? openSync(options.gcTraceFile, 'w') : 'ignore';
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', 'src/main.ts'], {
    cwd: apiDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', stdout, 'pipe'],
  });
  if (typeof stdout === 'number') closeSync(stdout); // the child has its own copy
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited at start:\n${stderr.join('')}`);
    const ok = await fetch(`${url}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the API did not answer /healthz:\n${stderr.join('')}`);
    await sleep(100);
  }
  return {
    pid: child.pid!,
    url,
    spawnedAt,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
