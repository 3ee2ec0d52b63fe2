/**
 * The `swarm` CLI as users get it, for tests: built (`pnpm --filter @swarm/cli build`), packed
 * with `pnpm pack` and installed with npm into a throwaway folder outside this repository — the
 * tarball has no dependencies, so this needs no registry — then run as a subprocess on the
 * system's Node (the oldest the CLI promises) with its own config directory.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const SYSTEM_NPM = '/usr/bin/npm';
/** Node 20 when the system has it (what `engines` promises), else the Node running the tests. */
export const CLI_NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;

/** pnpm itself: the one running this test (`pnpm test`), else the one on PATH. */
function pnpm(args: string[]) {
  const execPath = process.env.npm_execpath;
  return execPath && /pnpm/.test(execPath) && /\.c?js$/.test(execPath)
    ? run(process.execPath, [execPath, ...args], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 })
    : run('pnpm', args, { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
}

/** This process's environment without pnpm's, npm's and SWARM's variables. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(npm_|pnpm_|SWARM_|DATABASE_URL$|XDG_CONFIG_HOME$|NO_COLOR$)/i.test(key),
    ),
  );
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InstalledCli {
  /** Where npm installed the package (its `bin` is `dist/swarm.js`). */
  packageDir: string;
  /** The config directory the CLI uses (`XDG_CONFIG_HOME/swarm`). */
  configDir: string;
  swarm(args: string[], options?: { cwd?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Like `swarm`, with each stdout line passed to `onLine` as it arrives. */
  swarmStreaming(
    args: string[],
    onLine: (line: string) => void,
    options?: { cwd?: string; env?: Record<string, string> },
  ): Promise<CliResult>;
  cleanup(): Promise<void>;
}

/**
 * Runs `work` while holding a lock directory: test files run in parallel workers, and one build
 * (which starts by emptying `dist/`) must not run while another packs. A lock left by a dead
 * process is taken over.
 */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = join(repoRoot, 'packages/cli/.build-lock');
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
      let alive = holder === 0; // no pid yet: its holder is writing it
      try {
        if (holder) alive = process.kill(holder, 0);
      } catch {}
      if (!alive) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200)); // poll the lock
    }
  }
  await writeFile(join(lock, 'pid'), String(process.pid));
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export async function installCli(): Promise<InstalledCli> {
  const root = await mkdtemp(join(tmpdir(), 'swarm-cli-'));
  const consumer = join(root, 'consumer');
  await mkdir(consumer);
  const { stdout } = await withBuildLock(async () => {
    await pnpm(['--filter', '@swarm/cli', 'build']);
    return pnpm(['--filter', '@swarm/cli', 'pack', '--pack-destination', root]);
  });
  const tarball = stdout
    .trim()
    .split('\n')
    .findLast((line) => line.endsWith('.tgz'));
  if (!tarball) throw new Error(`pnpm pack printed no tarball:\n${stdout}`);
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ private: true }));
  await run(SYSTEM_NPM, ['install', tarball, '--offline', '--no-audit', '--no-fund'], {
    cwd: consumer,
    env: { ...cleanEnv(), PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}` },
  });
  const packageDir = join(consumer, 'node_modules/@swarm/cli');
  const bin = join(consumer, 'node_modules/.bin/swarm');
  const xdg = join(root, 'config');
  const envFor = (extra: Record<string, string> = {}) => ({ ...cleanEnv(), XDG_CONFIG_HOME: xdg, ...extra });

  const swarmStreaming = (
    args: string[],
    onLine: (line: string) => void,
    options: { cwd?: string; env?: Record<string, string> } = {},
  ) =>
    new Promise<CliResult>((resolve, reject) => {
      // The `bin` link npm made, run by the chosen Node (the link's shebang would pick PATH's).
      const child = spawn(CLI_NODE, [bin, ...args], { cwd: options.cwd ?? root, env: envFor(options.env) });
      let stdout = '';
      let stderr = '';
      let pending = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  return {
    packageDir,
    configDir: join(xdg, 'swarm'),
    swarm: (args, options) => swarmStreaming(args, () => {}, options),
    swarmStreaming,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** `git` in `cwd`, with an identity so commits work on a bare CI machine. */
export async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run(
    'git',
    ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args],
    {
      cwd,
    },
  );
  return stdout;
}
