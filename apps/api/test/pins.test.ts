/**
 * Testing one node and pinned outputs, against a real server, database, queue and runner (the
 * offline `mock` provider, priced by the seed): a node test is a real run with attempts and cost;
 * a draft test run uses pins instead of calling the provider; real runs (API, version, tag,
 * webhook, schedule) never do; versions and exports leave pins out unless asked, and an import
 * with pins restores them into the draft.
 */
import { createJobSender, fireDueSchedules } from '@swarm/db';
import { sampleWorkflowDefinition } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError } from './expect-error.ts';
import { post, useWebhookApi } from './webhooks-harness.ts';

const { api } = useWebhookApi({ runner: true });
let jobs: ReturnType<typeof createJobSender>;

beforeAll(async () => {
  jobs = createJobSender(api.database);
  await jobs.start();
});
afterAll(async () => {
  await jobs?.stop();
});

type Client = Awaited<ReturnType<typeof api.signUp>>['client'];

async function finished(client: Client, id: string) {
  await expect
    .poll(async () => (await client.runs.get.query({ id })).status, { timeout: 30_000, interval: 50 })
    .toMatch(/^(succeeded|failed|cancelled)$/);
  return client.runs.get.query({ id });
}

/** The attempt ledger's rows of a run, by node. */
async function ledgerNodes(executionId: string): Promise<string[]> {
  const rows = await api.database.sql<{ node_id: string }[]>`
    select node_id from execution_costs where execution_id = ${executionId} order by node_id`;
  return rows.map((r) => r.node_id);
}

async function sample() {
  const { client } = await api.signUp();
  const workflow = await client.workflows.create.mutate({
    name: 'Brief',
    definition: sampleWorkflowDefinition(),
  });
  return { client, workflow };
}

describe('testing one node', () => {
  it('runs only that node on the given data, with attempts and cost like a real step', async () => {
    const { client, workflow } = await sample();
    const { executionId } = await client.runs.testNode.mutate({
      workflowId: workflow.id,
      nodeId: 'writer',
      input: { query: 'tides' },
      upstream: { researcher: 'HAND FACTS', critic: 'HAND RISKS', merge: { a: 1 } },
    });
    const run = await finished(client, executionId);
    expect(run).toMatchObject({ kind: 'node_test', status: 'succeeded', trigger: 'manual' });
    const writer = run.steps.find((s) => s.nodeId === 'writer')!;
    expect(writer).toMatchObject({ status: 'succeeded', pinned: false });
    expect(String(writer.output)).toContain('HAND FACTS');
    expect(writer.attempts).toEqual([
      expect.objectContaining({ requestedProvider: 'mock', reason: 'primary', costStatus: 'priced' }),
    ]);
    expect(writer.costMicros).toBeGreaterThan(0);
    expect(run.costMicros).toBe(writer.costMicros);
    // Upstream nodes were given, not executed: marked pinned, no provider call, nothing downstream.
    for (const id of ['input', 'researcher', 'critic', 'merge'])
      expect(run.steps.find((s) => s.nodeId === id)).toMatchObject({ pinned: true, attempts: [] });
    expect(run.steps.some((s) => s.nodeId === 'output')).toBe(false);
    expect(await ledgerNodes(executionId)).toEqual(['writer']);
  });

  it('takes its data from the last run when none is given, and offers it to the panel', async () => {
    const { client, workflow } = await sample();
    expect(await client.runs.nodeTestData.query({ workflowId: workflow.id, nodeId: 'writer' })).toEqual({
      input: {},
      upstream: {},
      fromExecutionId: null,
    });
    const first = await client.runs.start.mutate({ workflowId: workflow.id, input: { query: 'comets' } });
    const full = await finished(client, first.executionId);
    const data = await client.runs.nodeTestData.query({ workflowId: workflow.id, nodeId: 'writer' });
    expect(data.fromExecutionId).toBe(first.executionId);
    expect(data.input).toEqual({ query: 'comets' });
    expect(Object.keys(data.upstream).sort()).toEqual(['critic', 'input', 'merge', 'researcher']);
    expect(data.upstream.researcher).toEqual(full.steps.find((s) => s.nodeId === 'researcher')!.output);

    const { executionId } = await client.runs.testNode.mutate({ workflowId: workflow.id, nodeId: 'writer' });
    const run = await finished(client, executionId);
    expect(run.input).toEqual({ query: 'comets' });
    expect(String(run.steps.find((s) => s.nodeId === 'writer')!.output)).toContain('comets');
    expect(await ledgerNodes(executionId)).toEqual(['writer']);
  });

  it('refuses a node that is not in the draft and bad data, writing nothing', async () => {
    const { client, workflow } = await sample();
    await expectApiError(
      client.runs.testNode.mutate({ workflowId: workflow.id, nodeId: 'nope' }),
      'NOT_FOUND',
    );
    await expectApiError(
      client.runs.testNode.mutate({
        workflowId: workflow.id,
        nodeId: 'writer',
        // Nested past the depth limit: refused with the path, before anything is written.
        upstream: { researcher: JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) },
      }),
      'BAD_REQUEST',
      { message: /upstream\.researcher/ },
    );
    expect((await client.runs.list.query({ workflowId: workflow.id })).items).toEqual([]);
  });
});

describe('pins', () => {
  async function pinnedSample() {
    const { client, workflow } = await sample();
    await client.pins.set.mutate({ workflowId: workflow.id, nodeId: 'researcher', output: 'PINNED FACTS' });
    return { client, workflow };
  }

  it('are set, listed, edited and removed from the draft; unknown nodes are refused', async () => {
    const { client, workflow } = await pinnedSample();
    await client.pins.set.mutate({ workflowId: workflow.id, nodeId: 'researcher', output: { edited: true } });
    expect(await client.pins.list.query({ workflowId: workflow.id })).toEqual([
      { nodeId: 'researcher', output: { edited: true }, updatedAt: expect.any(Date) },
    ]);
    await expectApiError(
      client.pins.set.mutate({ workflowId: workflow.id, nodeId: 'ghost', output: 1 }),
      'BAD_REQUEST',
      { paths: ['nodeId'] },
    );
    await client.pins.remove.mutate({ workflowId: workflow.id, nodeId: 'researcher' });
    expect(await client.pins.list.query({ workflowId: workflow.id })).toEqual([]);
  });

  it('a draft test run uses the pinned output and does not call the provider for that node', async () => {
    const { client, workflow } = await pinnedSample();
    const { executionId } = await client.runs.start.mutate({
      workflowId: workflow.id,
      input: { query: 'tides' },
      test: true,
    });
    const run = await finished(client, executionId);
    expect(run).toMatchObject({ kind: 'test', status: 'succeeded', versionId: null });
    const researcher = run.steps.find((s) => s.nodeId === 'researcher')!;
    expect(researcher).toMatchObject({
      status: 'succeeded',
      pinned: true,
      output: 'PINNED FACTS',
      attempts: [],
    });
    expect(String(run.steps.find((s) => s.nodeId === 'writer')!.output)).toContain('PINNED FACTS');
    expect(await ledgerNodes(executionId)).toEqual(['critic', 'writer']);
    await expectApiError(
      client.runs.start.mutate({
        workflowId: workflow.id,
        input: { query: 'x' },
        test: true,
        versionTag: 'p',
      }),
      'BAD_REQUEST',
      { paths: ['test'] },
    );
  });

  it('are ignored by real runs: the API on the draft, a version, a tag, a webhook, a schedule', async () => {
    const { client, workflow } = await pinnedSample();
    const version = await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'v1' });
    await client.versions.tag.mutate({ versionId: version.id, tag: 'production' });
    const webhook = await client.webhooks.create.mutate({ workflowId: workflow.id, auth: 'url-secret' });
    const hooked = await post(webhook.triggerUrl, JSON.stringify({ query: 'hooked' }));
    expect(hooked.status).toBe(202);
    const schedule = await client.schedules.create.mutate({
      workflowId: workflow.id,
      cron: '* * * * *',
      timezone: 'UTC',
      input: { query: 'scheduled' },
    });
    await fireDueSchedules(api.database.db, jobs.sender, {
      now: schedule.nextFireAt!,
      registry: createNodeRegistry(),
    });
    const [scheduled] = (await client.runs.list.query({ workflowId: workflow.id, trigger: 'schedule' }))
      .items;

    const ids = [
      (await client.runs.start.mutate({ workflowId: workflow.id, input: { query: 'a' } })).executionId,
      (
        await client.runs.start.mutate({
          workflowId: workflow.id,
          input: { query: 'b' },
          versionId: version.id,
        })
      ).executionId,
      (
        await client.runs.start.mutate({
          workflowId: workflow.id,
          input: { query: 'c' },
          versionTag: 'production',
        })
      ).executionId,
      hooked.body.executionId as string,
      scheduled!.id,
    ];
    for (const id of ids) {
      const run = await finished(client, id);
      expect(run).toMatchObject({ kind: 'run', status: 'succeeded' });
      const researcher = run.steps.find((s) => s.nodeId === 'researcher')!;
      expect(researcher.pinned).toBe(false);
      expect(researcher.attempts.length).toBeGreaterThan(0);
      expect(JSON.stringify(run.output)).not.toContain('PINNED');
      expect(await ledgerNodes(id)).toContain('researcher');
    }
    // Nor does a re-run of a real run, on its own definition or on the draft.
    for (const version of ['original', 'draft'] as const) {
      const again = await client.runs.rerun.mutate({ id: ids[0]!, fromNodeId: 'researcher', version });
      const rerun = await finished(client, again.executionId);
      expect(rerun.kind).toBe('run');
      expect(rerun.steps.find((s) => s.nodeId === 'researcher')).toMatchObject({ pinned: false });
      expect(await ledgerNodes(again.executionId)).toContain('researcher');
    }
  });

  it('stay out of versions and exports unless asked; an import with pins restores them', async () => {
    const { client, workflow } = await pinnedSample();
    const version = await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'v1' });
    expect(JSON.stringify(await client.versions.get.query({ versionId: version.id }))).not.toContain(
      'PINNED',
    );

    const plain = await client.transfer.export.query({ workflowId: workflow.id });
    expect(plain).not.toHaveProperty('pins');
    expect(JSON.stringify(plain)).not.toContain('PINNED');
    const withPins = await client.transfer.export.query({ workflowId: workflow.id, include: { pins: true } });
    expect(withPins.pins).toEqual({ researcher: 'PINNED FACTS' });
    const overHttp = await fetch(`${api.url}/api/workflows/${workflow.id}/export?pins=true`, {
      headers: { authorization: `Bearer ${(await client.auth.createApiToken.mutate({ name: 't' })).token}` },
    });
    expect(((await overHttp.json()) as { pins?: unknown }).pins).toEqual({ researcher: 'PINNED FACTS' });
    const anonymized = await client.transfer.export.query({
      workflowId: workflow.id,
      include: { pins: true },
      anonymize: true,
    });
    expect(anonymized).not.toHaveProperty('pins');

    const imported = await client.transfer.import.mutate({ document: withPins, mode: 'new' });
    const copy = imported.workflowIds[0]!;
    expect(await client.pins.list.query({ workflowId: copy })).toEqual([
      expect.objectContaining({ nodeId: 'researcher', output: 'PINNED FACTS' }),
    ]);
    const importedPlain = await client.transfer.import.mutate({ document: plain, mode: 'new' });
    expect(await client.pins.list.query({ workflowId: importedPlain.workflowIds[0]! })).toEqual([]);
  });
});
