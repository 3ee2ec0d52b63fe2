/**
 * The runs API against a real server, database and queue, with a real runner process executing
 * the runs (the API only enqueues): starting, reading steps and costs, listing, cancelling,
 * re-running from a node, and bad input refused with a clear error and nothing half-written.
 */
import { createSwarmClient } from '@swarm/client';
import { sampleWorkflowDefinition, type WorkflowDefinitionInput } from '@swarm/engine';
import { killRunners, type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const api = useApiServer();
let runner: RunnerProcess | undefined;

beforeAll(async () => {
  runner = await spawnRunner(api.database.url);
}, 90_000);

afterAll(async () => {
  if (runner) await killRunners([runner]);
});

type Client = Awaited<ReturnType<typeof api.signUp>>['client'];

async function finished(client: Client, id: string) {
  await expect
    .poll(async () => (await client.runs.get.query({ id })).status, { timeout: 30_000, interval: 50 })
    .toMatch(/^(succeeded|failed|cancelled)$/);
  return client.runs.get.query({ id });
}

/** Rows a refused call must not leave behind. */
async function rowCounts() {
  const [row] = await api.database.sql<{ runs: number; steps: number; costs: number; jobs: number }[]>`
    select (select count(*)::int from executions) as runs,
           (select count(*)::int from execution_steps) as steps,
           (select count(*)::int from execution_costs) as costs,
           (select count(*)::int from pgboss.job where name = 'run') as jobs`;
  return row!;
}

const withAgentModel = (model: string): WorkflowDefinitionInput => ({
  nodes: [
    { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    {
      id: 'slow',
      type: 'agent',
      name: 'Slow',
      position: { x: 200, y: 0 },
      config: { role: 'waiter', provider: 'mock', model, prompt: '{{input.query}}' },
    },
    { id: 'output', type: 'output', name: 'Out', position: { x: 400, y: 0 }, config: {} },
  ],
  edges: [
    { id: 'e1', source: 'input', target: 'slow' },
    { id: 'e2', source: 'slow', target: 'output' },
  ],
  inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
});

describe('starting and reading runs', () => {
  it('starts a run that a runner executes; get shows every step with its attempts and costs', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({
      name: 'Brief',
      definition: sampleWorkflowDefinition(),
    });
    const { executionId } = await client.runs.start.mutate({
      workflowId: workflow.id,
      input: { query: 'tides' },
    });

    const run = await finished(client, executionId);
    expect(run).toMatchObject({
      id: executionId,
      workflowId: workflow.id,
      versionId: null,
      trigger: 'manual',
      status: 'succeeded',
      input: { query: 'tides' },
      error: null,
    });
    expect(run.startedAt).toBeInstanceOf(Date);
    // The definition the run executed comes with it, so a view can draw the graph it ran.
    expect(run.definition).toEqual(workflow.definition);
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    expect(run.steps.map((s) => s.nodeId).sort()).toEqual(
      ['critic', 'input', 'merge', 'output', 'researcher', 'writer'].sort(),
    );
    const writer = run.steps.find((s) => s.nodeId === 'writer')!;
    expect(writer).toMatchObject({ status: 'succeeded', error: null });
    expect(writer.attempts).toEqual([
      expect.objectContaining({
        requestedProvider: 'mock',
        requestedModel: 'echo',
        servedProvider: 'mock',
        servedModel: 'echo',
        reason: 'primary',
        errorClass: null,
        usage: expect.objectContaining({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) }),
        costStatus: expect.stringMatching(/^(priced|unpriced)$/),
      }),
    ]);
    const attempts = run.steps.flatMap((s) => s.attempts);
    expect(run.costMicros).toBe(attempts.reduce((sum, a) => sum + (a.costMicros ?? 0), 0));
    expect(JSON.stringify(run.output)).toContain('tides');
  });

  it('lists the caller’s runs with filters and pages, and records API-token runs as `api`', async () => {
    const { client } = await api.signUp();
    const { token } = await client.auth.createApiToken.mutate({ name: 'script' });
    const script = createSwarmClient({ url: api.url, token });
    const one = await client.workflows.create.mutate({ name: 'One', definition: withAgentModel('echo') });
    const two = await client.workflows.create.mutate({ name: 'Two', definition: withAgentModel('echo') });
    const started = [
      await client.runs.start.mutate({ workflowId: one.id, input: { query: 'a' } }),
      await script.runs.start.mutate({ workflowId: one.id, input: { query: 'b' } }),
      await client.runs.start.mutate({ workflowId: two.id, input: { query: 'c' } }),
    ].map((r) => r.executionId);
    for (const id of started) await finished(client, id);

    const all = await client.runs.list.query({ limit: 2 });
    expect(all.items).toHaveLength(2);
    const rest = await client.runs.list.query({ limit: 2, cursor: all.nextCursor });
    expect(rest.nextCursor).toBeNull();
    expect([...all.items, ...rest.items].map((r) => r.id).sort()).toEqual([...started].sort());
    expect((await client.runs.list.query({ workflowId: two.id })).items.map((r) => r.workflowName)).toEqual([
      'Two',
    ]);
    expect((await client.runs.list.query({ trigger: 'api' })).items.map((r) => r.id)).toEqual([started[1]]);
    expect((await client.runs.list.query({ status: 'failed' })).items).toEqual([]);
  });
});

describe('cancelling', () => {
  it('cancels a running run; refuses to cancel a finished one and leaves it as it was', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({
      name: 'Slow',
      definition: withAgentModel('delay:600000'),
    });
    const { executionId } = await client.runs.start.mutate({
      workflowId: workflow.id,
      input: { query: 'x' },
    });
    await expect
      .poll(
        async () =>
          (await client.runs.get.query({ id: executionId })).steps.find((s) => s.nodeId === 'slow')?.status,
        {
          timeout: 15_000,
        },
      )
      .toBe('running');
    expect(await client.runs.cancel.mutate({ id: executionId })).toMatchObject({
      status: 'running',
      cancelRequested: true,
    });
    const run = await finished(client, executionId);
    expect(run).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(run.steps.find((s) => s.nodeId === 'slow')?.status).toBe('cancelled');

    await expectApiError(client.runs.cancel.mutate({ id: executionId }), 'CONFLICT', {
      message: /already was cancelled; only queued or running runs can be cancelled/,
    });
    const done = await client.workflows.create.mutate({ name: 'Quick', definition: withAgentModel('echo') });
    const quick = await client.runs.start.mutate({ workflowId: done.id, input: { query: 'y' } });
    const before = await finished(client, quick.executionId);
    await expectApiError(client.runs.cancel.mutate({ id: quick.executionId }), 'CONFLICT', {
      message: /already succeeded/,
    });
    expect(await client.runs.get.query({ id: quick.executionId })).toEqual(before);
  });
});

describe('re-running', () => {
  it('re-runs from a node: upstream steps reused without provider calls or cost, downstream executed again', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({
      name: 'Brief',
      definition: sampleWorkflowDefinition(),
    });
    const { executionId: firstId } = await client.runs.start.mutate({
      workflowId: workflow.id,
      input: { query: 'volcanoes' },
    });
    const first = await finished(client, firstId);

    const { executionId } = await client.runs.rerun.mutate({ id: firstId, fromNodeId: 'writer' });
    const rerun = await finished(client, executionId);
    expect(rerun).toMatchObject({
      status: 'succeeded',
      rerunOf: firstId,
      rerunFromNode: 'writer',
      input: { query: 'volcanoes' },
    });
    const byNode = new Map(rerun.steps.map((s) => [s.nodeId, s]));
    const firstByNode = new Map(first.steps.map((s) => [s.nodeId, s]));
    for (const nodeId of ['input', 'researcher', 'critic', 'merge']) {
      expect(byNode.get(nodeId)).toMatchObject({
        status: 'succeeded',
        reusedFromStepId: firstByNode.get(nodeId)!.id,
        output: firstByNode.get(nodeId)!.output,
        costMicros: 0,
        attempts: [],
      });
    }
    for (const nodeId of ['writer', 'output']) {
      expect(byNode.get(nodeId)).toMatchObject({
        status: 'succeeded',
        reusedFromStepId: null,
        runAttempt: 1,
      });
    }
    // The only provider call of the re-run is the writer's.
    const costs = await api.database
      .sql`select node_id from execution_costs where execution_id = ${executionId}`;
    expect(costs.map((c) => c.node_id)).toEqual(['writer']);
    expect(rerun.costMicros).toBe(byNode.get('writer')!.costMicros);
  });

  it('re-runs on the current draft with edited input, running only what changed', async () => {
    const { client } = await api.signUp();
    const definition = sampleWorkflowDefinition();
    const workflow = await client.workflows.create.mutate({ name: 'Brief', definition });
    const { executionId: firstId } = await client.runs.start.mutate({
      workflowId: workflow.id,
      input: { query: 'old' },
    });
    await finished(client, firstId);
    const writer = definition.nodes.find((n) => n.id === 'writer')!;
    writer.config = { ...writer.config, model: 'template:REWRITTEN {{input}}' };
    await client.workflows.update.mutate({ id: workflow.id, definition });

    const { executionId } = await client.runs.rerun.mutate({
      id: firstId,
      fromNodeId: 'merge',
      version: 'draft',
      input: { query: 'new' },
    });
    const rerun = await finished(client, executionId);
    expect(rerun.status).toBe('succeeded');
    expect(rerun.input).toEqual({ query: 'new' });
    const reused = rerun.steps.filter((s) => s.reusedFromStepId !== null).map((s) => s.nodeId);
    // The input changed, so the input node runs again; the agents upstream of `merge` are reused.
    expect(reused.sort()).toEqual(['critic', 'researcher']);
    expect(JSON.stringify(rerun.output)).toContain('REWRITTEN');
  });
});

describe('bad input is refused clearly and writes nothing', () => {
  it('refuses input that fails the workflow’s input schema, naming the path', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({
      name: 'Brief',
      definition: sampleWorkflowDefinition(),
    });
    const before = await rowCounts();
    await expectApiError(
      client.runs.start.mutate({ workflowId: workflow.id, input: { query: 42 } }),
      'BAD_REQUEST',
      {
        paths: ['input.query'],
      },
    );
    await expectApiError(client.runs.start.mutate({ workflowId: workflow.id, input: {} }), 'BAD_REQUEST', {
      message: /input\.query: required/,
    });
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses a workflow that cannot run (unknown node type), naming the node', async () => {
    const { client } = await api.signUp();
    const definition = withAgentModel('echo');
    definition.nodes![1] = { ...definition.nodes![1]!, type: 'acme/teleport' };
    const workflow = await client.workflows.create.mutate({ name: 'Broken', definition });
    const before = await rowCounts();
    await expectApiError(
      client.runs.start.mutate({ workflowId: workflow.id, input: { query: 'x' } }),
      'BAD_REQUEST',
      {
        message: /unknown node type "acme\/teleport"/,
        paths: ['definition.nodes[1].type'],
      },
    );
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses an unknown version, both versionId and versionTag, and a bad concurrency setting', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'W', definition: withAgentModel('echo') });
    const before = await rowCounts();
    await expectApiError(
      client.runs.start.mutate({ workflowId: workflow.id, input: { query: 'x' }, versionTag: 'production' }),
      'NOT_FOUND',
      { message: /production/ },
    );
    await expectApiError(
      client.runs.start.mutate({
        workflowId: workflow.id,
        input: { query: 'x' },
        versionId: '00000000-0000-4000-8000-000000000000',
      }),
      'NOT_FOUND',
    );
    await expectApiError(
      client.runs.start.mutate({
        workflowId: workflow.id,
        input: { query: 'x' },
        versionId: '00000000-0000-4000-8000-000000000000',
        versionTag: 'production',
      }),
      'BAD_REQUEST',
      { paths: ['versionTag'] },
    );
    await client.workflows.update.mutate({
      id: workflow.id,
      definition: { ...withAgentModel('echo'), settings: { maxConcurrentRuns: 0 } },
    });
    await expectApiError(
      client.runs.start.mutate({ workflowId: workflow.id, input: { query: 'x' } }),
      'BAD_REQUEST',
      {
        paths: ['definition.settings.maxConcurrentRuns'],
      },
    );
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses a re-run from a node that does not exist, naming it', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'W', definition: withAgentModel('echo') });
    const { executionId } = await client.runs.start.mutate({
      workflowId: workflow.id,
      input: { query: 'x' },
    });
    await finished(client, executionId);
    const before = await rowCounts();
    await expectApiError(client.runs.rerun.mutate({ id: executionId, fromNodeId: 'nope' }), 'BAD_REQUEST', {
      message: /unknown node "nope"/,
      paths: ['fromNodeId'],
    });
    await expectApiError(
      client.runs.rerun.mutate({ id: executionId, fromNodeId: 'slow', input: { query: 7 } }),
      'BAD_REQUEST',
      { paths: ['input.query'] },
    );
    expect(await rowCounts()).toEqual(before);
  });
});
