/**
 * What every fault drill shares: its result shape, a scratch database of its own, the API as a real
 * process, fixtures (owners, workflows, runs written the way the API writes them), and polling.
 * Drills are plain async functions with size parameters: `pnpm drill` runs them at full size, the
 * test suite at small sizes. Runner daemons come from the runner tests' `spawnRunner`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  announceRunsReady,
  connectDatabase,
  createExecution,
  createJobSender,
  createUser,
  createWorkflow,
  type Db,
} from '@swarm/db';
import {
  createTestDatabase,
  findTestServer,
  prepareTestTemplate,
  type TestDatabase,
} from '@swarm/db/testing';
import type { WorkflowDefinition } from '@swarm/engine';

export const repoRoot = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface DrillResult {
  /** The figures behind the verdict ("500 runs, 8 resumed, 0 lost, …"). */
  figures: string;
  /** Every broken promise, precisely; empty means PASS. */
  failures: string[];
}

export interface Drill<Size = Record<string, number>> {
  name: string;
  /** What a PASS proves, in one line. */
  proves: string;
  /** Full size for `pnpm drill`. */
  size: Size;
  run(size: Size): Promise<DrillResult>;
}

/** Collects failed checks instead of stopping at the first: the report names all of them. */
export class Checks {
  readonly failures: string[] = [];
  check(ok: boolean, failure: string) {
    if (!ok) this.failures.push(failure);
    return ok;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true; false if `timeoutMs` passes first. */
export async function waitUntil(probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/**
 * A fresh migrated database on the test server (DATABASE_URL's, else 127.0.0.1:5432, else an
 * embedded one), dropped by `drop()` — the same scratch databases the test suite uses. The drill's
 * own pool does not end stalled sessions (`connectDatabase`): that is the job of the processes under
 * test, and a drill must not do it for them.
 */
export async function scratchDatabase(): Promise<TestDatabase & { stopServer(): Promise<void> }> {
  const server = await findTestServer(repoRoot);
  const template = await prepareTestTemplate(server.adminUrl);
  const created = await createTestDatabase(server.adminUrl, template);
  await created.close();
  const database = connectDatabase(created.url, { max: 5, idleInTransactionTimeoutMs: 0 });
  return {
    ...database,
    url: created.url,
    name: created.name,
    async drop() {
      await database.close();
      await created.drop();
    },
    stopServer: server.stop,
  };
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  /** Output that was not a JSON log line (crashes, stack traces). */
  stderr: string[];
  stop(): Promise<void>;
}

/** The API exactly as production starts it (`apps/api/src/main.ts` under tsx), on its own port. */
export async function spawnApi(databaseUrl: string, env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps/api/src/main.ts')], {
    cwd: path.join(repoRoot, 'apps/api'),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      try {
        logs.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        stderr.push(text);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const up = await waitUntil(
    async () => {
      if (child.exitCode !== null) return true;
      return fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    60_000,
    200,
  );
  if (!up || child.exitCode !== null) {
    child.kill('SIGKILL');
    throw new Error(`the API process did not start\n${stderr.join('')}`);
  }
  return {
    url,
    child,
    logs,
    stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

let owners = 0;

export async function ownerWithWorkflow(db: Db, definition: WorkflowDefinition) {
  const user = await createUser(db, {
    email: `drill-owner${++owners}-${Date.now()}@example.com`,
    name: '',
    passwordHash: 'x',
  });
  const workflow = await createWorkflow(db, user.id, { name: 'drill workflow', definition });
  return { ownerId: user.id, workflowId: workflow.id, definition };
}

export type Owner = Awaited<ReturnType<typeof ownerWithWorkflow>>;

/** Writes `count` runs the way the API does (row and job in one transaction); returns their ids. */
export async function startRuns(database: TestDatabase, owner: Owner, count: number): Promise<string[]> {
  const jobs = createJobSender(database);
  await jobs.start();
  try {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const run = await createExecution(database.db, jobs.sender, {
        ownerId: owner.ownerId,
        workflowId: owner.workflowId,
        definition: owner.definition,
        input: { query: `q${i}` },
        trigger: 'api',
      });
      ids.push(run.id);
    }
    // One wake-up for the lot, as a burst of API calls would coalesce into.
    await announceRunsReady(database.db, count);
    return ids;
  } finally {
    await jobs.stop();
  }
}

export { agentChain } from '@swarm/runner/testing';

export const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** How many of the workflow's runs have ended. */
export async function finishedCount(database: TestDatabase, workflowId: string): Promise<number> {
  const [row] = await database.sql<{ n: number }[]>`
    select count(*)::int as n from executions
    where workflow_id = ${workflowId} and status in ('succeeded', 'failed', 'cancelled')`;
  return row!.n;
}

export interface StepAudit {
  runs: number;
  succeeded: number;
  notSucceeded: string[];
  /** Runs claimed more than once (resumed after a runner died or was fenced off). */
  resumed: number;
  /** (run, node) pairs without exactly one step row, or whose row is not `succeeded`. */
  badSteps: string[];
  /** Agent steps without exactly one provider-call (cost) row. */
  repeatedCalls: string[];
}

/**
 * The persisted truth about a workflow's runs: every run succeeded, every node of every run has
 * exactly one `succeeded` step row, every agent step exactly one provider call recorded.
 */
export async function auditRuns(database: TestDatabase, owner: Owner): Promise<StepAudit> {
  const runs = await database.sql<{ id: string; status: string; run_attempt: number }[]>`
    select id, status, run_attempt from executions where workflow_id = ${owner.workflowId}`;
  const nodes = owner.definition.nodes.map((n) => n.id);
  const agents = owner.definition.nodes.filter((n) => n.type === 'agent').map((n) => n.id);
  const steps = await database.sql<{ execution_id: string; node_id: string; rows: number; ok: number }[]>`
    select s.execution_id, s.node_id, count(*)::int as rows,
           count(*) filter (where s.status = 'succeeded')::int as ok
    from execution_steps s join executions e on e.id = s.execution_id
    where e.workflow_id = ${owner.workflowId}
    group by s.execution_id, s.node_id`;
  const calls = await database.sql<{ execution_id: string; node_id: string; n: number }[]>`
    select execution_id, node_id, count(*)::int as n from execution_costs
    where workflow_id = ${owner.workflowId} group by execution_id, node_id`;
  const stepOf = new Map(steps.map((s) => [`${s.execution_id}/${s.node_id}`, s]));
  const callsOf = new Map(calls.map((c) => [`${c.execution_id}/${c.node_id}`, c.n]));
  const badSteps: string[] = [];
  const repeatedCalls: string[] = [];
  for (const run of runs) {
    for (const node of nodes) {
      const step = stepOf.get(`${run.id}/${node}`);
      if (step?.rows !== 1 || step.ok !== 1)
        badSteps.push(`${run.id}/${node}: ${step ? `${step.rows} rows, ${step.ok} succeeded` : 'no row'}`);
    }
    for (const agent of agents) {
      const n = callsOf.get(`${run.id}/${agent}`) ?? 0;
      if (n !== 1) repeatedCalls.push(`${run.id}/${agent}: ${n} provider calls`);
    }
  }
  return {
    runs: runs.length,
    succeeded: runs.filter((r) => r.status === 'succeeded').length,
    notSucceeded: runs.filter((r) => r.status !== 'succeeded').map((r) => `${r.id}: ${r.status}`),
    resumed: runs.filter((r) => r.run_attempt > 1).length,
    badSteps,
    repeatedCalls,
  };
}

/** Adds an audit's broken promises to `checks`, with a few examples each. */
export function checkAudit(checks: Checks, audit: StepAudit, expectedRuns: number) {
  const few = (list: string[]) => `${list.length} (e.g. ${list.slice(0, 3).join('; ')})`;
  checks.check(audit.runs === expectedRuns, `${audit.runs} runs in the database, expected ${expectedRuns}`);
  checks.check(audit.notSucceeded.length === 0, `runs not succeeded: ${few(audit.notSucceeded)}`);
  checks.check(audit.badSteps.length === 0, `steps not exactly once: ${few(audit.badSteps)}`);
  checks.check(
    audit.repeatedCalls.length === 0,
    `provider calls repeated or missing: ${few(audit.repeatedCalls)}`,
  );
}

/**
 * Waits (up to `timeoutMs`) until all `runs` of the owner's workflow have ended, checks that they
 * did (`late` says after what), then audits them into `checks`. Returns the audit.
 */
export async function checkAllEnded(
  checks: Checks,
  database: TestDatabase,
  owner: Owner,
  runs: number,
  options: { timeoutMs: number; late: string },
): Promise<StepAudit> {
  const ended = await waitUntil(
    async () => (await finishedCount(database, owner.workflowId)) === runs,
    options.timeoutMs,
    200,
  );
  checks.check(ended, `not every run ended ${options.late}`);
  const audit = await auditRuns(database, owner);
  checkAudit(checks, audit, runs);
  return audit;
}

export interface SessionRow {
  pid: number;
  application_name: string;
  state: string | null;
  wait: string | null;
  backend_xid: string | null;
  query: string;
  xact_start: string | null;
  state_change: string | null;
  blocked_by: number[];
  /** Locks this session waits for (not granted): `locktype relation/transactionid mode`. */
  waiting_for: string | null;
}

/**
 * Who waits on a lock in the drill's database and who holds them up: every session that waits on a
 * lock, blocks one, or sits in a transaction, with its state, wait event, transaction id and
 * `pg_blocking_pids()`. A blocked takeover explains itself with this.
 */
export async function lockWaits(database: TestDatabase): Promise<SessionRow[]> {
  return database.sql<SessionRow[]>`
    with sessions as (
      select a.*, pg_blocking_pids(a.pid) as blocked_by from pg_stat_activity a
      where a.datname = current_database() and a.pid <> pg_backend_pid()
    )
    select s.pid, s.application_name, s.state, s.wait_event_type || ':' || s.wait_event as wait,
      s.backend_xid::text, left(s.query, 120) as query, s.xact_start::text, s.state_change::text,
      s.blocked_by,
      (select string_agg(concat_ws(' ', l.locktype, coalesce(l.relation::regclass::text, l.transactionid::text), l.mode), ', ')
       from pg_locks l where l.pid = s.pid and not l.granted) as waiting_for
    from sessions s
    where s.wait_event_type = 'Lock' or s.xact_start is not null
      or s.pid in (select unnest(blocked_by) from sessions)
    order by s.pid`;
}

/** `lockWaits` as one line per session, blocked sessions first. */
export function formatLockWaits(rows: SessionRow[]): string {
  if (rows.length === 0) return 'no session waits on a lock or sits in a transaction';
  const ordered = [...rows].sort((a, b) => b.blocked_by.length - a.blocked_by.length);
  return ordered
    .map(
      (r) =>
        `pid ${r.pid} [${r.application_name}] ${r.state ?? '?'}${r.wait ? ` wait ${r.wait}` : ''}` +
        `${r.backend_xid ? ` xid ${r.backend_xid}` : ''}${r.blocked_by.length ? ` BLOCKED BY ${r.blocked_by.join(',')}` : ''}` +
        `${r.waiting_for ? ` waiting for ${r.waiting_for}` : ''} xact since ${r.xact_start ?? '-'}, state since ${r.state_change ?? '-'}: ${r.query.replace(/\s+/g, ' ')}`,
    )
    .join('\n      ');
}
