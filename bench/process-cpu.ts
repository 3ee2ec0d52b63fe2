/**
 * CPU time of the processes a benchmark measures, read from /proc (Linux, same machine): Node
 * processes by pid (their own time, their live descendants' — e.g. the expression workers — and
 * what their exited children left in cutime/cstime), and the Postgres backends serving them,
 * found in `pg_stat_activity` by application name. Backends come and go with the pools' idle
 * timeouts, so a sampler reads them every `intervalMs` through the window: a backend that exits
 * counts with its last sample (what it used in its last interval is lost; the count of such
 * backends is reported so a reader can judge).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type postgres from 'postgres';

/** USER_HZ on Linux: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

interface StatTicks {
  /** utime + stime of the process itself. */
  own: number;
  /** cutime + cstime: its exited, reaped children. */
  children: number;
}

function readStat(pid: number): StatTicks | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command name (in parentheses, may hold spaces) start at field 3: utime is
  // field 14, stime 15, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    own: Number(fields[11]) + Number(fields[12]),
    children: Number(fields[13]) + Number(fields[14]),
  };
}

function childPids(pid: number): number[] {
  const pids: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return pids;
  }
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) pids.push(...text.split(' ').map(Number));
    } catch {
      // the thread ended meanwhile
    }
  }
  return pids;
}

/** CPU ms a process tree has used so far: itself, live descendants, reaped children. */
export function processTreeCpuMs(pid: number): number {
  const stat = readStat(pid);
  if (!stat) return Number.NaN;
  let ticks = stat.own + stat.children;
  for (const child of childPids(pid)) ticks += processTreeCpuMs(child) / (1000 / TICKS_PER_SECOND);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

export interface BackendCpu {
  /** CPU ms the matching backends used inside the window. */
  ms: number;
  /** Distinct backends seen in the window. */
  backends: number;
  /** Of those, how many exited before the window closed (counted up to their last sample). */
  exited: number;
}

/**
 * Samples the CPU of the backends of the connected database whose `application_name` is one of
 * `applicationNames`, from `start()` to `stop()`. `sql` must be a connection of the harness's
 * own (its backend is not among the names, so its reads are not counted).
 */
export function backendCpuSampler(sql: postgres.Sql, applicationNames: string[], intervalMs = 200) {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<void> = Promise.resolve();
  let started = false;

  async function sample(): Promise<Set<number>> {
    const rows = (await sql`
      select pid from pg_stat_activity
      where datname = current_database() and application_name = any(${applicationNames})`) as unknown as {
      pid: number;
    }[];
    const alive = new Set<number>();
    for (const { pid } of rows) {
      const stat = readStat(pid);
      if (!stat) continue;
      alive.add(pid);
      // A backend first seen after the window opened started inside it: all its time counts.
      if (!first.has(pid)) first.set(pid, started ? 0 : stat.own);
      last.set(pid, stat.own);
    }
    return alive;
  }

  return {
    /** Whether backends are readable here (the server runs on this machine, as this user may read). */
    async available(): Promise<boolean> {
      const [row] = (await sql`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
      return existsSync(`/proc/${row.pid}/stat`);
    },
    async start() {
      await sample();
      started = true;
      timer = setInterval(() => {
        sampling = sampling.then(() => sample().then(() => {})).catch(() => {});
      }, intervalMs);
    },
    async stop(): Promise<BackendCpu> {
      clearInterval(timer);
      await sampling;
      const alive = await sample();
      let ticks = 0;
      for (const [pid, from] of first) ticks += (last.get(pid) ?? from) - from;
      return {
        ms: (ticks * 1000) / TICKS_PER_SECOND,
        backends: first.size,
        exited: [...first.keys()].filter((pid) => !alive.has(pid)).length,
      };
    },
  };
}
