/**
 * B5 — what one step costs beyond the node's own work.
 *
 * Persisted: a 40-node chain (input → 38 `transform` nodes with the constant expression `1` →
 * output; every step is persisted) run `B5_RUNS` times (default 20), one at a time, through the
 * API and one real runner process. Per run: (run duration − Σ step durations) ÷ 40, where run
 * duration = `finished_at − started_at` of the execution (the runner's claim to its finish) and
 * each step's duration = its `finished_at − started_at` — all database timestamps (ms precision).
 * Same-run baseline: one autocommit one-row INSERT on the same database (a step write can hardly
 * cost less than one commit).
 *
 * Engine only (no database): `runWorkflow` in this process with in-memory hooks over chains of
 * 100, 1,000 and 2,000 nodes — once of a do-nothing node type (`bench/noop`: the executor alone)
 * and once of `transform` with `1` (the cheapest built-in: adds config parsing and a JSONata
 * evaluation) — µs per node at each size, to show whether the cost is linear in graph size.
 * Same-run baseline: the 100-node chain of the same node type. And once more of `transform` with
 * its expressions evaluated on this thread instead of in the expression pool's worker processes
 * (isolation off, as before the pool existed): the pool's cost per node is the ratio of the two
 * at each size (bar: at most 2×).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer } from '@swarm/api';
import { createSwarmClient } from '@swarm/client';
import {
  defineNode,
  mergeNode,
  type RunHooks,
  type RunServices,
  type WorkflowDefinition,
  workflowDefinitionSchema,
} from '@swarm/engine';
import { createNodeRegistry, runWorkflow } from '@swarm/engine/server';
import { inThreadExpressions } from '@swarm/engine/testing/in-thread-expressions';
import { spawnRunner } from '@swarm/runner/testing';
import {
  type Benchmark,
  type BenchResult,
  type BenchRow,
  percentile,
  scratchDatabase,
  signUpBenchUser,
  time,
} from './lib.ts';

const PERSISTED_NODES = 40;
const PERSISTED_RUNS = Number(process.env.B5_RUNS ?? 20);
const ENGINE_SIZES = (process.env.B5_SIZES ?? '100,1000,2000').split(',').map(Number);
const ENGINE_REPEATS = Number(process.env.B5_REPEATS ?? 5); // at least; small graphs run more often
const STEP_BAR_MS = 5;
const NODE_BAR_US = 50;
/** Per-node cost may grow this much from the smallest to a larger graph and still count as linear. */
const LINEAR_SLACK = 1.5;
/** Most a `transform` node may cost through the expression pool, over the same node evaluated in-thread. */
const ISOLATION_BAR = 2;

/** A node type that does nothing: what remains is the executor's own cost per node. */
const noopNode = defineNode({
  type: 'bench/noop',
  version: 1,
  label: 'No-op',
  category: 'test',
  description: 'Does nothing (benchmark)',
  // An empty object schema, borrowed so the root needs no zod of its own.
  configSchema: mergeNode.configSchema,
  inputs: { min: 0 },
  outputs: ['out'],
  async execute() {
    return { output: null };
  },
});

/** input → (size − 2) `middle` nodes in a chain → output. */
function chain(size: number, middle: { type: string; config: Record<string, unknown> }) {
  const nodes = [
    { id: 'input', type: 'input', name: 'Input', position: { x: 0, y: 0 }, config: {} },
    ...Array.from({ length: size - 2 }, (_, i) => ({
      id: `n${i + 1}`,
      type: middle.type,
      name: `Step ${i + 1}`,
      position: { x: (i + 1) * 200, y: 0 },
      config: middle.config,
    })),
    { id: 'output', type: 'output', name: 'Output', position: { x: (size - 1) * 200, y: 0 }, config: {} },
  ];
  const edges = nodes.slice(1).map((node, i) => ({ id: `e${i}`, source: nodes[i]!.id, target: node.id }));
  return { nodes, edges };
}

interface EngineSeries {
  label: string;
  type: string;
  config: Record<string, unknown>;
  services?: RunServices;
}

const transformStep = { type: 'transform', config: { expression: '1' } };
const engineSeries: EngineSeries[] = [
  { label: 'bench/noop', type: 'bench/noop', config: {} },
  { label: 'transform', ...transformStep },
  {
    label: 'transform, evaluated in-thread',
    ...transformStep,
    services: { expressions: inThreadExpressions },
  },
];

async function engineOnly(): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const registry = createNodeRegistry([noopNode]);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const run = (definition: WorkflowDefinition, series: EngineSeries, hooks?: RunHooks) =>
    runWorkflow({
      definition,
      input: {},
      registry,
      executionId: 'bench-b5',
      services: series.services,
      hooks,
    });
  // Warm the JIT on every series first, so the first measured one is not the cold one.
  for (const series of engineSeries) {
    const definition = workflowDefinitionSchema.parse(chain(100, series));
    for (let i = 0; i < 50; i++) await run(definition, series);
  }
  /** µs per node by series label and size, for the isolation ratio. */
  const perNodeUs = new Map<string, number>();
  for (const series of engineSeries) {
    let baseline: { name: string; usPerNode: number } | null = null;
    for (const size of ENGINE_SIZES) {
      const definition = workflowDefinitionSchema.parse(chain(size, series));
      let stepsSeen = 0;
      let failure: string | null = null;
      const once = async () => {
        let finished = 0;
        const outcome = await run(definition, series, {
          async stepStarted() {},
          async stepFinished() {
            finished++;
          },
        });
        stepsSeen = finished;
        if (outcome.status !== 'succeeded') failure ??= JSON.stringify(outcome.error);
      };
      // Small graphs run more often, so every size gets about the same number of node executions.
      const repeats = Math.max(ENGINE_REPEATS, Math.ceil(20_000 / size));
      const t = await time(once, repeats, Math.ceil(repeats / 4));
      // Per-node cost in ms, like every other row (the name spells it out in µs).
      const perNode = t.samples.map((ms) => ms / size).sort((a, b) => a - b);
      const msPerNode = percentile(perNode, 50);
      const usPerNode = msPerNode * 1000;
      perNodeUs.set(`${series.label}/${size}`, usPerNode);
      const name = `engine only, ${size}-node chain of ${series.label}: ${usPerNode.toFixed(1)} µs per node`;
      rows.push({
        name,
        samples: t.samples.length,
        p50Ms: msPerNode,
        p95Ms: percentile(perNode, 95),
        baseline: baseline?.name ?? null,
        ratio: baseline ? usPerNode / baseline.usPerNode : null,
        bar: `≤ ${NODE_BAR_US} µs per node; linear (≤ ${LINEAR_SLACK}× the smallest graph's)`,
        met:
          usPerNode <= NODE_BAR_US && (baseline === null || usPerNode / baseline.usPerNode <= LINEAR_SLACK),
      });
      notes.push(
        `engine only ${series.label} × ${size}: run p50 ${t.p50.toFixed(1)} ms → ${usPerNode.toFixed(1)} µs/node; ${stepsSeen} steps reported${failure ? `; FAILED: ${failure}` : ''}`,
      );
      baseline ??= { name, usPerNode };
    }
  }
  for (const size of ENGINE_SIZES) {
    const pooled = perNodeUs.get(`transform/${size}`)!;
    const inThread = perNodeUs.get(`transform, evaluated in-thread/${size}`)!;
    rows.push({
      name: `engine only, ${size}-node chain: transform through the expression pool vs in-thread`,
      samples: 1,
      p50Ms: pooled / 1000,
      p95Ms: Number.NaN,
      baseline: `${size}-node chain of transform, evaluated in-thread (${inThread.toFixed(1)} µs per node)`,
      ratio: pooled / inThread,
      bar: `≤ ${ISOLATION_BAR}× in-thread`,
      met: pooled / inThread <= ISOLATION_BAR,
    });
  }
  return { rows, notes };
}

export const b5: Benchmark = {
  id: 'B5',
  title: `step overhead: ${PERSISTED_NODES}-node chain through a runner; engine-only µs per node`,
  async run(): Promise<BenchResult> {
    const versions: Record<string, string> = {};
    const notes: string[] = [];
    const rows: BenchRow[] = [];

    // Engine first, while nothing of ours competes for the CPU.
    const engine = await engineOnly();

    const { database, postgresVersion } = await scratchDatabase();
    let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
    let runner: Awaited<ReturnType<typeof spawnRunner>> | undefined;
    try {
      versions.postgres = postgresVersion;

      await database.sql`create table bench_b5_commit (id bigserial primary key, v int not null)`;
      const commit = await time(() => database.sql`insert into bench_b5_commit (v) values (1)`, 200);
      await database.sql`drop table bench_b5_commit`;
      const commitName = 'one-row INSERT, autocommit (same database)';
      rows.push({
        name: commitName,
        samples: commit.samples.length,
        p50Ms: commit.p50,
        p95Ms: commit.p95,
        baseline: null,
        ratio: null,
        bar: null,
        met: null,
      });

      server = await startApiServer({ databaseUrl: database.url, logLevel: 'silent' });
      runner = await spawnRunner(database.url, { RUNNER_POLL_SECONDS: '2' });
      const token = await signUpBenchUser(server.url, 'b5');
      const swarm = createSwarmClient({ url: server.url, token });
      const workflow = await swarm.workflows.create.mutate({
        name: 'B5 40-step chain',
        definition: chain(PERSISTED_NODES, transformStep),
      });

      const overheadMs: number[] = [];
      const stepMs: number[] = [];
      let failed = 0;
      for (let i = 0; i < PERSISTED_RUNS + 2; i++) {
        const { executionId: id } = await swarm.runs.start.mutate({ workflowId: workflow.id, input: {} });
        const deadline = Date.now() + 60_000;
        let status = 'queued';
        while (Date.now() < deadline) {
          const [row] = (await database.sql`select status from executions where id = ${id}`) as unknown as [
            { status: string },
          ];
          status = row.status;
          if (status !== 'queued' && status !== 'running') break;
          await sleep(10);
        }
        if (status !== 'succeeded') {
          failed++;
          continue;
        }
        if (i < 2) continue; // warm-up runs
        const [run] = (await database.sql`
          select extract(epoch from e.finished_at - e.started_at) * 1000 as run_ms,
            (select sum(extract(epoch from s.finished_at - s.started_at) * 1000)
              from execution_steps s where s.execution_id = e.id) as steps_ms,
            (select count(*)::int from execution_steps s where s.execution_id = e.id) as steps
          from executions e where e.id = ${id}`) as unknown as [
          { run_ms: string; steps_ms: string; steps: number },
        ];
        if (run.steps !== PERSISTED_NODES) notes.push(`run ${id} persisted ${run.steps} steps`);
        overheadMs.push((Number(run.run_ms) - Number(run.steps_ms)) / PERSISTED_NODES);
        stepMs.push(Number(run.run_ms) / PERSISTED_NODES);
      }
      overheadMs.sort((a, b) => a - b);
      stepMs.sort((a, b) => a - b);
      const overheadP50 = percentile(overheadMs, 50);
      rows.push({
        name: `persisted: (run − Σ node time) ÷ ${PERSISTED_NODES} steps`,
        samples: overheadMs.length,
        p50Ms: overheadP50,
        p95Ms: percentile(overheadMs, 95),
        baseline: commitName,
        ratio: overheadP50 / commit.p50,
        bar: `≤ ${STEP_BAR_MS} ms per persisted step`,
        met: overheadP50 <= STEP_BAR_MS,
      });
      rows.push({
        name: `persisted: run duration ÷ ${PERSISTED_NODES} steps`,
        samples: stepMs.length,
        p50Ms: percentile(stepMs, 50),
        p95Ms: percentile(stepMs, 95),
        baseline: commitName,
        ratio: percentile(stepMs, 50) / commit.p50,
        bar: null,
        met: null,
      });
      rows.push(...engine.rows);
      notes.push(
        `persisted: ${PERSISTED_RUNS} measured runs one at a time (+2 warm-up), ${failed} not succeeded; step times are database timestamps at ms precision, so a sub-ms node counts as 0 or 1 ms`,
        ...engine.notes,
        'engine-only rows: p50/p95 columns are ms per node (whole run ÷ nodes); ratio = per-node cost ÷ the smallest chain of the same type (1.0 = linear in size)',
      );
      return {
        parameters: {
          persistedNodes: PERSISTED_NODES,
          persistedRuns: PERSISTED_RUNS,
          persistedNode: 'transform, expression "1"',
          engineSizes: ENGINE_SIZES,
          engineRepeats: ENGINE_REPEATS,
          runnerRunConcurrency: 'default (8)',
        },
        versions,
        rows,
        notes,
      };
    } finally {
      runner?.kill('SIGTERM');
      await runner?.exited;
      await server?.close().catch(() => {});
      await database.drop().catch(() => {});
    }
  },
};
