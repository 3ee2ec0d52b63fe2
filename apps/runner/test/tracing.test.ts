/**
 * OpenTelemetry traces of runs, as an OTLP/HTTP receiver in this process gets them from a real
 * runner (real exporter, real socket, real router on the mock provider): the span tree run → step
 * → provider attempt, the GenAI attributes of a run whose primary model fails and whose fallback
 * answers, content only when opted in, and a resumed run continuing the stored trace.
 */
import {
  announceRunsReady,
  claimExecution,
  createExecution,
  createJobSender,
  saveTraceParent,
} from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { fallbackAgentWorkflow } from '@swarm/engine/testing/fallback-agent';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner } from '../src/runner.ts';
import { ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';
import { type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.ts';

const database = useTestDatabase();
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
let jobs: ReturnType<typeof createJobSender>;
let runner: ReturnType<typeof createRunner>;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  jobs = createJobSender(database);
  await jobs.start();
  runner = createRunner({
    databaseUrl: database.url,
    logger,
    poolSize: 4,
    drainSeconds: 5,
    superviseSeconds: 1,
    tracing: {
      url: receiver.url,
      serviceName: 'swarm-runner-test',
      captureContent: true,
      exportDelayMs: 20,
    },
  });
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
  await jobs?.stop();
  await receiver?.close();
});

/** Waits until the receiver holds the run span of `executionId` and every span of its trace. */
async function traceOf(executionId: string, spanCount: number): Promise<ReceivedSpan[]> {
  let trace: ReceivedSpan[] = [];
  await expect
    .poll(
      () => {
        const run = receiver.spans.find((s) => s.attributes['swarm.execution.id'] === executionId);
        trace = run ? receiver.spans.filter((s) => s.traceId === run.traceId) : [];
        return trace.length;
      },
      { timeout: 15_000, interval: 25 },
    )
    .toBe(spanCount);
  return trace;
}

describe('traces of runs', () => {
  it('exports run → step → attempt spans with GenAI attributes for a run that fell back', async () => {
    // A model name of this test's own: circuit breakers are shared per provider and model.
    const owner = await ownerWithWorkflow(database.db, fallbackAgentWorkflow('delay:1,fail:500'));
    const { id } = await startRun(database.db, jobs.sender, owner, { query: 'tides' });
    const run = await waitForRun(database.db, owner, id);
    expect(run.status).toBe('succeeded');

    // run, three steps (input, writer, output), two attempts (the failure and the fallback)
    const spans = await traceOf(id, 6);
    expect(receiver.contentTypes[0]).toContain('application/json');
    const runSpan = spans.find((s) => s.name === 'swarm.run')!;
    expect(runSpan.parentSpanId).toBeUndefined();
    expect(runSpan.resource['service.name']).toBe('swarm-runner-test');
    expect(runSpan.attributes).toMatchObject({
      'swarm.execution.id': id,
      'swarm.workflow.id': owner.workflowId,
      'swarm.run.trigger': 'api',
      'swarm.run.attempt': 1,
      'swarm.run.status': 'succeeded',
      'swarm.run.resumed': false,
    });
    expect(runSpan.attributes['swarm.cost_micros']).toBe(run.costMicros ?? 0);

    const steps = spans.filter((s) => s.name.startsWith('swarm.step '));
    expect(steps.map((s) => s.attributes['swarm.node.id']).sort()).toEqual(['input', 'output', 'writer']);
    for (const step of steps) expect(step.parentSpanId).toBe(runSpan.spanId);
    const writer = steps.find((s) => s.attributes['swarm.node.id'] === 'writer')!;
    expect(writer.attributes).toMatchObject({
      'swarm.node.type': 'agent',
      'swarm.step.status': 'succeeded',
      'gen_ai.operation.name': 'invoke_agent',
    });
    // Content was opted in: the step's input and output are on its span.
    expect(String(writer.attributes['swarm.step.output'])).toContain('tides');

    const attempts = spans.filter((s) => s.parentSpanId === writer.spanId);
    expect(attempts.map((s) => s.name)).toEqual(
      expect.arrayContaining(['chat delay:1,fail:500', 'chat echo']),
    );
    const failed = attempts.find((s) => s.name === 'chat delay:1,fail:500')!;
    const answered = attempts.find((s) => s.name === 'chat echo')!;
    expect(failed.kind).toBe(3); // CLIENT
    expect(failed.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'mock',
      'gen_ai.request.model': 'delay:1,fail:500',
      'error.type': 'server',
      'swarm.attempt.reason': 'primary',
    });
    expect(failed.attributes['gen_ai.response.model']).toBeUndefined();
    expect(failed.status?.code).toBe(2); // ERROR
    const ledger = run.steps.find((s) => s.nodeId === 'writer')!.attempts.find((a) => a.errorClass === null)!;
    const usage = ledger.usage!;
    expect(answered.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'mock',
      'gen_ai.request.model': 'echo',
      'gen_ai.response.model': ledger.servedModel,
      'gen_ai.usage.input_tokens': usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
      'gen_ai.usage.output_tokens': usage.outputTokens + usage.reasoningTokens,
      'swarm.attempt.reason': 'fallback:server',
    });
    expect(answered.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    // The attempt sits inside its step in time.
    expect(BigInt(answered.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(writer.startTimeUnixNano));
    expect(BigInt(answered.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(writer.endTimeUnixNano));
  });

  it('continues the stored trace when another runner resumes a run', async () => {
    const owner = await ownerWithWorkflow(database.db, fallbackAgentWorkflow('delay:2,fail:500'));
    const earlier = { traceId: 'a1'.repeat(16), spanId: 'b2'.repeat(8) };
    // A runner claimed the run, stored its trace and died: the job is still there to be taken over.
    const { id } = await database.db.transaction(async (tx) => {
      const execution = await createExecution(tx, jobs.sender, {
        ownerId: owner.ownerId,
        workflowId: owner.workflowId,
        definition: owner.definition,
        input: { query: 'resumed' },
        trigger: 'api',
      });
      const claim = await claimExecution(tx, execution.id);
      expect(claim.outcome).toBe('claimed');
      await saveTraceParent(
        tx,
        { executionId: execution.id, runAttempt: 1 },
        `00-${earlier.traceId}-${earlier.spanId}-01`,
      );
      return execution;
    });
    await announceRunsReady(database.db);
    const run = await waitForRun(database.db, owner, id);
    expect(run).toMatchObject({ status: 'succeeded', runAttempt: 2 });

    const spans = await traceOf(id, 6);
    const runSpan = spans.find((s) => s.name === 'swarm.run')!;
    expect(runSpan.traceId).toBe(earlier.traceId);
    expect(runSpan.parentSpanId).toBe(earlier.spanId);
    expect(runSpan.attributes).toMatchObject({ 'swarm.run.attempt': 2, 'swarm.run.resumed': true });
    // The stored context is the first claim's and is kept.
    const [row] = await database.sql<{ trace_parent: string }[]>`
      select trace_parent from executions where id = ${id}`;
    expect(row!.trace_parent).toBe(`00-${earlier.traceId}-${earlier.spanId}-01`);
  });
});
