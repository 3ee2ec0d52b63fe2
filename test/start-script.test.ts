/**
 * `pnpm start` stopped with Ctrl-C: the terminal sends SIGINT to the whole foreground process
 * group (pnpm, tsx, the start script, the API, the runner). The API and runner drain first, then
 * the embedded database stops — so nobody logs "terminating connection due to administrator
 * command" — and everything exits 0, so pnpm has no failure to report.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The `start` script's command after the web build (`node --import tsx scripts/start.ts`). Not the
 * `tsx` CLI: it relays a Ctrl-C to its child and, if the child has not acknowledged it within
 * 30 ms (a busy machine), kills it and exits 130 — the ELIFECYCLE pnpm then reports.
 */
function startCommand(): string[] {
  const scripts = (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const command = scripts.start!.split('&&').at(-1)!.trim().split(/\s+/);
  expect(command).not.toContain('tsx/cli');
  expect(command[0]).toBe('node');
  return command;
}

const started: ChildProcess[] = [];
const stateDirs: string[] = [];
afterEach(async () => {
  // A failed test must not leave the stack running: the group is ours, its id is the child's pid.
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  for (const dir of stateDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('pnpm start', () => {
  it('stops on Ctrl-C in order and quietly: exit 0, no cut-off connections, no ELIFECYCLE', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'swarm-start-'));
    stateDirs.push(stateDir);
    // As root, the embedded server runs as the `postgres` user, who must reach its data folder.
    await chmod(stateDir, 0o755);
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: String(await freePort()),
      SWARM_EMBEDDED_PG_PORT: String(await freePort()),
      SWARM_STATE_DIR: stateDir,
      FORCE_COLOR: '0',
    };
    delete env.DATABASE_URL;
    delete env.SWARM_SECRET_KEY;
    // What `pnpm start` runs after building the web app, under pnpm, in a process group of its own
    // as a shell gives a foreground job.
    const command = startCommand();
    const child = spawn('pnpm', ['exec', ...command], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let output = '';
    let onOutput = () => {};
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      onOutput();
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    // Up, or gone before it got there (then the output says why).
    const up = new Promise<void>((resolve) => {
      onOutput = () => {
        if (output.includes('SWARM is up')) resolve();
      };
    });
    await Promise.race([up, exited]);
    expect(output).toContain('SWARM is up');

    // Ctrl-C: SIGINT to every process of the foreground group at once.
    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/terminating connection|ELIFECYCLE|Command failed|exited \(/);
  }, 150_000);
});
