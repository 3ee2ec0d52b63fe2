/**
 * How much of what a route allocates outlives the young generation — a probe, not a benchmark.
 *
 * `pnpm exec tsx bench/gc-survival.ts [shape] [calls/s]` serves one route shape from a child process
 * run with `--trace-gc-nvp`, sends it the paced load of B2's half-load phase (./paced-load.ts) for
 * 10 s and prints its collections (./gc-trace.ts: scavenges and their pauses, mark-compacts) and,
 * per second of load, the bytes it allocated, the bytes that survived a scavenge and the bytes
 * promoted to the old generation. Shapes:
 * - `hello`: Fastify and nothing else;
 * - `query`: one postgres.js query per call;
 * - `two`: two postgres.js queries one after the other;
 * - `begin`: a postgres.js transaction with one query in it.
 *
 * Why it exists: in B2 the API's scavenges took 4–8 ms, each promoting ~3 MB though the live heap
 * under load was small, and the promoted garbage brought a mark-compact every ~14 s. This probe
 * found the layer: on the 2-vCPU test VM (2026-12-06) at 2,400 calls/s, promoted per second of
 * load, `hello` 0.00 MB, `query` ~0.55, `two` 1.7–2.9, `begin` ~8 — with postgres.js 3.4.9, patched
 * or not, on Node 20 and 24. The cause was two kinds of function assignment in postgres.js (see
 * "What changed on 2026-12-06, afternoon" in docs/performance.md); with both changed in the patch,
 * `two` 0.03 MB/s, `begin` 0.5–0.7 MB/s.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import postgres from 'postgres';
import { formatGcSummary, parseGcTrace, summariseGc } from './gc-trace.ts';
import { scratchDatabase } from './lib.ts';
import { pacedLoad } from './paced-load.ts';

const SHAPES = ['hello', 'query', 'two', 'begin'] as const;
type Shape = (typeof SHAPES)[number];

/** The child: serves `shape` on 127.0.0.1 and prints its URL. */
async function serve(shape: Shape, databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 10, onnotice: () => {} });
  const app = Fastify();
  app.post('/', async () => {
    if (shape === 'query') await sql`select 1 as x`;
    else if (shape === 'two') {
      await sql`select 1 as x`;
      await sql`select 2 as x`;
    } else if (shape === 'begin')
      await sql.begin(async (tx) => {
        await tx`select 1 as x`;
      });
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Its clock too, as the GC trace counts it: the scavenges after it are the load's.
  process.stderr.write(`url http://127.0.0.1:${port}/ at ${Math.round(performance.now())}\n`);
  process.once('SIGTERM', () => process.exit(0));
}

async function probe(shape: Shape, rate: number): Promise<void> {
  const { database } = await scratchDatabase();
  const gcLog = path.join(os.tmpdir(), `gc-survival-${process.pid}.log`);
  const traceFd = openSync(gcLog, 'w');
  const child = spawn(
    process.execPath,
    ['--trace-gc-nvp', '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', shape],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, GC_SURVIVAL_DATABASE_URL: database.url },
      // The GC trace goes to stdout: to a file; the child says where it listens on stderr.
      stdio: ['ignore', traceFd, 'pipe'],
    },
  );
  closeSync(traceFd); // the child has its own copy
  try {
    child.stderr!.setEncoding('utf8');
    let url = '';
    let listeningAt = 0;
    for await (const chunk of child.stderr!) {
      const found = /url (\S+) at (\d+)/.exec(String(chunk));
      if (found) {
        url = found[1]!;
        listeningAt = Number(found[2]);
        break;
      }
    }
    if (!url) throw new Error("the probe's server exited before it listened");
    const load = await pacedLoad({ url, method: 'POST', headers: {}, body: undefined }, rate, 10, 50);
    // Only the collections of the load (the trace counts the child's clock, as `listeningAt` does).
    const ofChild = parseGcTrace(readFileSync(gcLog, 'utf8')).filter((e) => e.atMs > listeningAt);
    // The first scavenges after the start still copy what the child allocated while starting.
    const third = ofChild.filter((e) => e.kind === 's')[2];
    const ofLoad = third ? ofChild.slice(ofChild.indexOf(third)) : [];
    // Per second of JS time between the scavenges (the load's time, without the pauses).
    const seconds = ofLoad.filter((e) => e.kind === 's').reduce((total, e) => total + e.mutatorMs, 0) / 1000;
    console.log(
      `${shape} at ${rate}/s: p50 ${load.p50Ms.toFixed(2)} ms, p99 ${load.p99Ms.toFixed(2)} ms; ` +
        formatGcSummary(summariseGc(ofLoad, seconds)),
    );
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    await database.drop();
    rmSync(gcLog, { force: true });
  }
}

if (process.argv[2] === '--serve')
  await serve(process.argv[3] as Shape, process.env.GC_SURVIVAL_DATABASE_URL!);
else {
  const shape = (process.argv[2] ?? 'begin') as Shape;
  if (!SHAPES.includes(shape)) throw new Error(`shape: one of ${SHAPES.join(', ')}`);
  await probe(shape, Number(process.argv[3] ?? 2400));
}
