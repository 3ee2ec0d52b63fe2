/**
 * A runner process killed with SIGKILL in the middle of an agent's tool loop: turn 1 (two tool
 * calls) and both tool calls are done and durable, turn 2 is waiting on the provider. Another
 * runner resumes the run and sends only turn 2 again — the fake OpenAI endpoint counts the
 * requests of each turn (msw handlers in OpenAI's streamed wire format, served over a real
 * socket, since the runners are child processes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createJobSender, getExecution } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { getResponse } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killRunners, type RunnerProcess, spawnRunner } from '../src/testing/runner-process.ts';
import { toolAgent } from '../src/testing/workflows.ts';
import { ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';
import { FINAL_ANSWER, toolWire, turnCostMicros } from './tool-wire.ts';

const database = useTestDatabase();
let jobs: ReturnType<typeof createJobSender>;
let runners: RunnerProcess[] = [];
let server: Server;
let wire: ReturnType<typeof toolWire>;

/** The msw handlers answering real HTTP requests from the runner processes. */
async function serveWire(): Promise<string> {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string') headers.set(name, value);
    const request = new Request(`${base}${req.url}`, {
      method: req.method,
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const response = await getResponse(wire.handlers, request);
    if (!response) {
      res.writeHead(404).end();
      return;
    }
    const body = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  wire = toolWire({ openai: base, anthropic: base, gemini: base });
  return base;
}

beforeAll(async () => {
  const base = await serveWire();
  jobs = createJobSender(database);
  await jobs.start();
  const env = { OPENAI_API_KEY: 'sk-operator', OPENAI_BASE_URL: `${base}/v1` };
  runners = await Promise.all([1, 2].map(() => spawnRunner(database.url, env)));
}, 90_000);

afterAll(async () => {
  await killRunners(runners);
  await jobs?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe('an agent killed mid-loop', () => {
  it('resumes on another runner without repeating its finished turn or tool calls', async () => {
    let release!: () => void;
    wire.hold(new Promise<void>((resolve) => (release = resolve)));
    const owner = await ownerWithWorkflow(database.db, toolAgent({ provider: 'openai', model: 'gpt-4.1' }));
    const { id } = await startRun(database.db, jobs.sender, owner, { city: 'Paris' });

    // Turn 2 reached the provider: turn 1 and both tool calls were recorded before it was sent.
    await expect.poll(() => wire.seen.turns.openai[1], { timeout: 30_000, interval: 25 }).toBe(1);
    const before = await getExecution(database.db, owner.ownerId, id);
    expect(
      before.steps
        .filter((s) => s.parentNodeId === 'agent')
        .map((s) => s.nodeId)
        .sort(),
    ).toEqual(['agent/turn-1', 'agent/turn-1/call-1', 'agent/turn-1/call-2']);
    const holder = runners.find((runner) =>
      runner.logs.some((line) => line.msg === 'run started' && line.executionId === id),
    )!;
    holder.kill('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');
    release();

    const run = await waitForRun(database.db, owner, id, ['succeeded', 'failed', 'cancelled'], 60_000);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'succeeded', runAttempt: 2, output: { agent: FINAL_ANSWER } });
    // Turn 1 went to the provider once; turn 2 twice (the first answer never arrived).
    expect(wire.seen.turns.openai).toEqual([1, 2]);
    const attemptOf = Object.fromEntries(run.steps.map((s) => [s.nodeId, s.runAttempt]));
    expect(attemptOf).toMatchObject({
      'agent/turn-1': 1,
      'agent/turn-1/call-1': 1,
      'agent/turn-1/call-2': 1,
      'agent/turn-2': 2,
      agent: 2,
    });
    // The ledger holds each turn once, and the run's cost is the two turns'.
    const ledger = await database.sql<{ n: number }[]>`
      select count(*)::int as n from execution_costs where execution_id = ${id}`;
    expect(ledger[0]!.n).toBe(2);
    const total = turnCostMicros('openai', 0) + turnCostMicros('openai', 1);
    expect(run.costMicros).toBe(total);
    expect(run.steps.find((s) => s.nodeId === 'agent')!.costMicros).toBe(total);
  }, 90_000);
});
