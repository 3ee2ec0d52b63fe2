/**
 * Runner daemons as real child processes (`src/main.ts` under tsx, exactly as production starts
 * them), for tests that kill, drain or race several runners. Their JSON log lines are collected so
 * tests can wait on them ("runner started", "run started") instead of sleeping.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const runnerDir = fileURLToPath(new URL('../..', import.meta.url));
const mainPath = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface LogLine {
  msg?: string;
  pid?: number;
  executionId?: string;
  runAttempt?: number;
  [key: string]: unknown;
}

export interface RunnerProcess {
  pid: number;
  child: ChildProcess;
  logs: LogLine[];
  /** Output that was not a JSON log line (crashes, stack traces). */
  stderr: string[];
  /** Resolves with the first log line matching `match` (already seen or still to come). */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts one runner on `databaseUrl` and waits until it works its queues. */
export async function spawnRunner(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<RunnerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
    cwd: runnerDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      RUNNER_POLL_SECONDS: '1',
      RUNNER_SUPERVISE_SECONDS: '1',
      RUNNER_DRAIN_SECONDS: '30',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        stderr.push(text);
        continue;
      }
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));

  const runner: RunnerProcess = {
    pid: child.pid!,
    child,
    logs,
    stderr,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitForLog(match, timeoutMs = 30_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (line: LogLine) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(`runner ${child.pid}: no matching log line within ${timeoutMs} ms\n${stderr.join('')}`),
          );
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then(() => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`runner ${child.pid} exited before the log line came\n${stderr.join('')}`));
        });
      });
    },
  };
  await runner.waitForLog((line) => line.msg === 'runner started', 60_000);
  return runner;
}

/** Stops runners that are still alive (SIGKILL: tests that care about draining do it themselves). */
export async function killRunners(runners: RunnerProcess[]) {
  await Promise.all(
    runners.map(async (runner) => {
      runner.kill('SIGKILL');
      await runner.exited;
    }),
  );
}
