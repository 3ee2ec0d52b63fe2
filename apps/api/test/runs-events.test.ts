/**
 * `runs.events` over SSE through the typed client (httpSubscriptionLink behind a splitLink), while
 * a runner in another process executes the run: the current state first, then every status and
 * step change as it is committed, ending when the run ends; resuming from an event id; and no
 * stream for a stranger.
 */

import type { RunEvent } from '@swarm/api-router';
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

/** Subscribes and collects events; `done` settles when the server ends the stream (or fails it). */
function watch(client: Client, input: { id: string; lastEventId?: string }) {
  const events: Array<{ id: string; data: RunEvent }> = [];
  let unsubscribe = () => {};
  const done = new Promise<void>((resolve, reject) => {
    const subscription = client.runs.events.subscribe(input, {
      onData: (event) => events.push(event),
      onError: reject,
      onComplete: resolve,
    });
    unsubscribe = () => subscription.unsubscribe();
  });
  return { events, done, unsubscribe };
}

const chain = (delays: number[], maxConcurrentRuns?: number) => ({
  nodes: [
    { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    ...delays.map((ms, i) => ({
      id: `a${i + 1}`,
      type: 'agent',
      name: `A${i + 1}`,
      position: { x: 200 * (i + 1), y: 0 },
      config: {
        role: `r${i + 1}`,
        provider: 'mock' as const,
        model: `delay:${ms}`,
        prompt: 'go {{input.n}}',
      },
    })),
    { id: 'output', type: 'output', name: 'Out', position: { x: 1000, y: 0 }, config: {} },
  ],
  edges: ['input', ...delays.map((_, i) => `a${i + 1}`), 'output'].slice(1).map((target, i, targets) => ({
    id: `e${i}`,
    source: i === 0 ? 'input' : targets[i - 1]!,
    target,
  })),
  ...(maxConcurrentRuns ? { settings: { maxConcurrentRuns } } : {}),
});

const describeEvent = ({ data }: { data: RunEvent }) =>
  data.kind === 'step' ? `${data.step.nodeId}:${data.step.status}` : `${data.kind}:${data.run.status}`;

describe('runs.events', () => {
  it('sends the current state, then each change as the runner commits it, and ends with the run', async () => {
    const { client } = await api.signUp();
    // One run at a time, and a run holding the slot: the watched run waits, queued, until the test
    // lets it go, so all of its changes happen while we watch.
    const workflow = await client.workflows.create.mutate({ name: 'Live', definition: chain([600_000], 1) });
    const blocker = await client.runs.start.mutate({ workflowId: workflow.id, input: { n: 0 } });
    await expect
      .poll(async () => (await client.runs.get.query({ id: blocker.executionId })).status, {
        timeout: 15_000,
      })
      .toBe('running');
    await client.workflows.update.mutate({ id: workflow.id, definition: chain([20, 20], 1) });
    const { executionId } = await client.runs.start.mutate({ workflowId: workflow.id, input: { n: 1 } });

    const watched = watch(client, { id: executionId });
    await expect.poll(() => watched.events.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(watched.events[0]!.data).toMatchObject({ kind: 'snapshot', run: { status: 'queued', steps: [] } });

    await client.runs.cancel.mutate({ id: blocker.executionId });
    await watched.done;

    const seen = watched.events.map(describeEvent);
    expect(seen[1]).toBe('status:running');
    expect(seen.at(-1)).toBe('status:succeeded');
    // Each step is seen finishing, in graph order; changes that came close together may arrive
    // merged (a step seen only once it finished), never out of order.
    const steps = seen.slice(2, -1);
    expect(steps.filter((e) => e.endsWith(':succeeded'))).toEqual([
      'input:succeeded',
      'a1:succeeded',
      'a2:succeeded',
      'output:succeeded',
    ]);
    for (const e of steps) expect(e).toMatch(/^(input|a1|a2|output):(running|succeeded)$/);
    for (const node of ['input', 'a1', 'a2', 'output']) {
      const running = steps.indexOf(`${node}:running`);
      if (running >= 0) expect(running).toBeLessThan(steps.indexOf(`${node}:succeeded`));
    }
    const ids = watched.events.slice(1).map((e) => Number(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThanOrEqual(ids[i - 1]!);

    const final = await client.runs.get.query({ id: executionId });
    const last = watched.events.at(-1)!.data;
    expect(last.kind === 'status' && last.run).toMatchObject({
      status: 'succeeded',
      output: final.output,
      costMicros: final.costMicros,
    });
    const a1 = watched.events.find((e) => describeEvent(e) === 'a1:succeeded')!.data;
    expect(a1.kind === 'step' && a1.step.attempts).toMatchObject([{ requestedModel: 'delay:20' }]);

    // A client reconnecting after the a1 step event gets what changed since, as it is now.
    const cut = watched.events.findIndex((e) => describeEvent(e) === 'a1:succeeded');
    const resumed = watch(client, { id: executionId, lastEventId: watched.events[cut]!.id });
    await resumed.done;
    expect(resumed.events.map(describeEvent)).toEqual([
      'a2:succeeded',
      'output:succeeded',
      'status:succeeded',
    ]);
    expect(resumed.events.every((e) => Number(e.id) > Number(watched.events[cut]!.id))).toBe(true);
  });

  it('registers a watcher while the stream is open (so the run sends events) and removes it when the client leaves', async () => {
    const { client } = await api.signUp();
    // As above: a blocker holds the workflow's only slot, so the watched run is queued while we subscribe.
    const workflow = await client.workflows.create.mutate({ name: 'Long', definition: chain([600_000], 1) });
    const blocker = await client.runs.start.mutate({ workflowId: workflow.id, input: { n: 4 } });
    await expect
      .poll(async () => (await client.runs.get.query({ id: blocker.executionId })).status, {
        timeout: 15_000,
      })
      .toBe('running');
    const { executionId } = await client.runs.start.mutate({ workflowId: workflow.id, input: { n: 5 } });
    const watchers = async () =>
      (await api.database.sql`select 1 from run_watchers where execution_id = ${executionId}`).length;

    const first = watch(client, { id: executionId });
    const second = watch(client, { id: executionId });
    await expect.poll(() => [first.events.length, second.events.length], { timeout: 10_000 }).toEqual([1, 1]);
    expect(await watchers()).toBe(2);
    expect(first.events[0]!.data).toMatchObject({ kind: 'snapshot', run: { status: 'queued' } });

    // The run starts while watched: its claim and first step reach both open streams.
    await client.runs.cancel.mutate({ id: blocker.executionId });
    for (const stream of [first, second])
      await expect
        .poll(() => stream.events.map(describeEvent), { timeout: 15_000 })
        .toEqual(expect.arrayContaining(['status:running', 'a1:running']));

    first.unsubscribe();
    await expect.poll(watchers, { timeout: 10_000 }).toBe(1);
    await client.runs.cancel.mutate({ id: executionId });
    await second.done;
    expect(second.events.at(-1)!.data).toMatchObject({ kind: 'status', run: { status: 'cancelled' } });
    await expect.poll(watchers, { timeout: 10_000 }).toBe(0);
  });

  it('answers a finished run with its snapshot and ends', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'Done', definition: chain([0]) });
    const { executionId } = await client.runs.start.mutate({ workflowId: workflow.id, input: { n: 2 } });
    await expect
      .poll(async () => (await client.runs.get.query({ id: executionId })).status, { timeout: 15_000 })
      .toBe('succeeded');
    const watched = watch(client, { id: executionId });
    await watched.done;
    expect(watched.events.map(describeEvent)).toEqual(['snapshot:succeeded']);
    const snapshot = watched.events[0]!.data;
    expect(snapshot.kind === 'snapshot' && snapshot.run.steps.map((s) => s.nodeId)).toEqual([
      'input',
      'a1',
      'output',
    ]);
  });

  it("gives a stranger NOT_FOUND and an anonymous caller UNAUTHORIZED, never the run's events", async () => {
    const owner = await api.signUp();
    const stranger = await api.signUp();
    const workflow = await owner.client.workflows.create.mutate({ name: 'Mine', definition: chain([0]) });
    const { executionId } = await owner.client.runs.start.mutate({
      workflowId: workflow.id,
      input: { n: 3 },
    });
    const theirs = watch(stranger.client, { id: executionId });
    await expectApiError(theirs.done, 'NOT_FOUND');
    expect(theirs.events).toEqual([]);
    const anonymous = watch(api.anonymous(), { id: executionId });
    await expectApiError(anonymous.done, 'UNAUTHORIZED');
    expect(anonymous.events).toEqual([]);
  });
});
