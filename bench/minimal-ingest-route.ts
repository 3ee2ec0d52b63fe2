/**
 * B2's `R_min`: the naive minimum a webhook ingest must do, written the obvious way — a Fastify
 * route that, per call, opens ONE transaction, inserts one row into the real `executions` table and
 * sends one job to the real `run` queue of the job catalog (pg-boss `send` on that transaction),
 * commits, and answers 202. No signature, no rate limit, no log row, no idempotency, no batching:
 * what SWARM's signed webhook route (group commit) has to beat. postgres.js and pg-boss directly,
 * the way a hand-written service would do it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import postgres from 'postgres';
// pg-boss is @swarm/db's dependency, not the root's: import the very copy SWARM runs.
import { PgBoss } from '../packages/db/node_modules/pg-boss/dist/index.js';

export interface MinimalIngestRoute {
  url: string;
  close(): Promise<void>;
}

export interface MinimalIngestOptions {
  databaseUrl: string;
  poolSize: number;
  workflowId: string;
  ownerId: string;
  definition: unknown;
}

/**
 * Starts the route on 127.0.0.1 (POST /ingest, JSON body = the run's input) over a pool of
 * `poolSize` connections, writing runs of `workflowId` (owned by `ownerId`, running `definition`).
 * Runs are written with trigger `api`, so they can be told apart from the webhook's.
 */
export async function startMinimalIngestRoute(options: MinimalIngestOptions): Promise<MinimalIngestRoute> {
  const sql = postgres(options.databaseUrl, { max: options.poolSize, onnotice: () => {} });
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    schema: 'pgboss',
    max: 1,
    migrate: false,
    supervise: false,
    schedule: false,
    registerInstance: false,
  });
  boss.on('error', (err) => console.error('R_min pg-boss error:', err));
  await boss.start();
  const definition = sql.json(options.definition as postgres.JSONValue);
  const app = Fastify();
  app.post('/ingest', async (request, reply) => {
    const executionId = await sql.begin(async (tx) => {
      const [run] = (await tx`
        insert into executions (workflow_id, owner_id, definition, trigger, input)
        values (${options.workflowId}, ${options.ownerId}, ${definition}, 'api',
          ${tx.json(request.body as postgres.JSONValue)})
        returning id`) as unknown as [{ id: string }];
      const db = {
        executeSql: async (text: string, values?: unknown[]) => ({
          rows: await tx.unsafe(text, values as postgres.ParameterOrJSON<never>[]),
        }),
      };
      const jobId = await boss.send('run', { executionId: run.id }, { db });
      if (!jobId) throw new Error('pg-boss did not create the run job');
      return run.id;
    });
    return reply.code(202).send({ executionId });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    close: async () => {
      await app.close();
      await boss.stop({ graceful: false, timeout: 5_000 }).catch(() => {});
      await sql.end({ timeout: 5 });
    },
  };
}

const thisFile = fileURLToPath(import.meta.url);

/**
 * The route in a process of its own (this file under tsx), as the API runs in B2: neither shares an
 * event loop with the load generator.
 */
export async function spawnMinimalIngestRoute(options: MinimalIngestOptions): Promise<MinimalIngestRoute> {
  const child = spawn(process.execPath, ['--import', 'tsx', thisFile], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MINIMAL_INGEST: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  child.stdout!.setEncoding('utf8');
  const [line] = (await Promise.race([once(child.stdout!, 'data'), exited])) as [string | number];
  if (typeof line !== 'string') throw new Error('the minimal ingest route exited at start');
  return {
    url: line.trim(),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv[1] === thisFile && process.env.MINIMAL_INGEST) {
  const route = await startMinimalIngestRoute(JSON.parse(process.env.MINIMAL_INGEST) as MinimalIngestOptions);
  process.once('SIGTERM', () => void route.close().then(() => process.exit(0)));
  process.stdout.write(`${route.url}\n`);
}
