/**
 * Run events go out only for watched runs, and a viewer that registers while a runner writes still
 * ends with the run's final state: both interleavings of the registration's FOR SHARE read with a
 * writer's UPDATE, forced one at a time, and uncoordinated viewers racing runs. "Nothing arrived" is
 * checked without waiting on a clock: a sentinel NOTIFY sent afterwards arrives after everything
 * committed before it (Postgres delivers notices in commit order).
 */
import { sampleWorkflowDefinition } from '@swarm/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobSender } from '../jobs.ts';
import { createRunEventFeed } from '../run-events.ts';
import { useTestDatabase } from '../testing/vitest.ts';
import {
  cancelExecution,
  claimExecution,
  createExecution,
  type FinishedStep,
  finishExecution,
  getExecutionChanges,
  getExecutionState,
  parseRunEventNotice,
  RUN_EVENTS_CHANNEL,
  type RunEventNotice,
  recordStepFinished,
  recordStepStarted,
  recordSteps,
} from './executions/index.ts';
import { pruneExpiredRunWatchers } from './maintenance.ts';
import { openRunWatch, registerRunWatcher } from './run-watchers.ts';
import { createUser } from './users.ts';
import { createWorkflow } from './workflows.ts';

const database = useTestDatabase();
let jobs: ReturnType<typeof createJobSender>;
/** Every payload on the run events channel since the test file started, in arrival order. */
const heard: string[] = [];
let unlisten: (() => Promise<void>) | undefined;

beforeAll(async () => {
  jobs = createJobSender(database);
  await jobs.start();
  const handle = await database.sql.listen(RUN_EVENTS_CHANNEL, (payload) => heard.push(payload));
  unlisten = () => handle.unlisten();
});
afterAll(async () => {
  await unlisten?.();
  await jobs?.stop();
});

let sentinels = 0;
/** The run event notices heard since `from`, once everything committed before this call arrived. */
async function noticesSince(from: number): Promise<RunEventNotice[]> {
  const sentinel = `sentinel-${++sentinels}`;
  await database.sql`select pg_notify(${RUN_EVENTS_CHANNEL}, ${sentinel})`;
  await expect.poll(() => heard.includes(sentinel), { timeout: 10_000 }).toBe(true);
  return heard
    .slice(from, heard.indexOf(sentinel))
    .filter((payload) => !payload.startsWith('sentinel-'))
    .map((payload) => parseRunEventNotice(payload)!);
}

let userCount = 0;
async function newOwner() {
  const user = await createUser(database.db, {
    email: `watch${++userCount}@example.com`,
    name: '',
    passwordHash: 'x',
  });
  const definition = sampleWorkflowDefinition();
  const workflow = await createWorkflow(database.db, user.id, { name: 'wf', definition });
  const start = () =>
    createExecution(database.db, jobs.sender, {
      ownerId: user.id,
      workflowId: workflow.id,
      definition,
      input: { query: 'why' },
      trigger: 'api',
    });
  return { ownerId: user.id, start };
}

async function claimed(executionId: string) {
  const result = await claimExecution(database.db, executionId);
  if (result.outcome !== 'claimed') throw new Error(`expected a claim, got ${result.outcome}`);
  return result.run;
}

const finishedStep = (nodeId: string): FinishedStep => ({
  nodeId,
  nodeType: 'input',
  status: 'succeeded',
  input: {},
  output: { ok: true },
  error: null,
  branch: null,
  startedAt: new Date(),
  finishedAt: new Date(),
  attempts: [],
});

/** Claim, a step started and finished, success: what a runner writes for a one-step run. */
async function runToTheEnd(executionId: string) {
  const run = await claimed(executionId);
  await recordStepStarted(database.db, run, {
    nodeId: 'input',
    nodeType: 'input',
    input: {},
    startedAt: new Date(),
  });
  await recordStepFinished(database.db, run, finishedStep('input'));
  await finishExecution(database.db, run, { status: 'succeeded', output: { done: true }, error: null });
}

const watcherRows = async (executionId: string) =>
  (await database.sql`select watcher_id from run_watchers where execution_id = ${executionId}`).length;

/** Resolves once `count` sessions of this database wait for a lock (a writer or a registration blocked). */
async function lockWaiters(count: number) {
  await expect
    .poll(
      async () =>
        (
          await database.sql`
            select 1 from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`
        ).length,
      { timeout: 10_000 },
    )
    .toBe(count);
}

function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('run events for watched runs only', () => {
  it('sends nothing for a run nobody watches, every event for a watched one, and cancel always', async () => {
    const owner = await newOwner();
    const unwatched = await owner.start();
    const watched = await owner.start();
    await registerRunWatcher(database.db, {
      executionId: watched.id,
      ownerId: owner.ownerId,
      watcherId: crypto.randomUUID(),
    });

    const from = heard.length;
    await runToTheEnd(unwatched.id);
    await runToTheEnd(watched.id);
    const notices = await noticesSince(from);
    expect(notices.filter((n) => n.executionId === unwatched.id)).toEqual([]);
    expect(notices.filter((n) => n.executionId === watched.id).map((n) => [n.kind, n.seq])).toEqual([
      ['status', 1],
      ['step', 2],
      ['step', 3],
      ['status', 4],
    ]);

    // The runner executing a run listens for cancel without registering: that notice always goes.
    const running = await owner.start();
    await claimed(running.id);
    const queued = await owner.start();
    const beforeCancel = heard.length;
    await cancelExecution(database.db, owner.ownerId, running.id);
    await cancelExecution(database.db, owner.ownerId, queued.id);
    expect((await noticesSince(beforeCancel)).map((n) => [n.executionId, n.kind])).toEqual([
      [running.id, 'cancel'],
    ]);
  });

  it('ignores expired watchers, and maintenance prunes them while live ones stay', async () => {
    const owner = await newOwner();
    const expired = await owner.start();
    const live = await owner.start();
    await registerRunWatcher(database.db, {
      executionId: expired.id,
      ownerId: owner.ownerId,
      watcherId: crypto.randomUUID(),
      ttlMs: -1_000,
    });
    await registerRunWatcher(database.db, {
      executionId: live.id,
      ownerId: owner.ownerId,
      watcherId: crypto.randomUUID(),
    });

    const from = heard.length;
    await claimed(expired.id);
    expect(await noticesSince(from)).toEqual([]);

    expect(await pruneExpiredRunWatchers(database.db)).toBeGreaterThanOrEqual(1);
    expect(await watcherRows(expired.id)).toBe(0);
    expect(await watcherRows(live.id)).toBe(1);
  });

  it('sends events from a transaction that is not READ COMMITTED, whose check could miss a new watcher', async () => {
    const owner = await newOwner();
    const { id } = await owner.start();
    const run = await claimed(id);
    const from = heard.length;
    await database.db.transaction(
      (tx) =>
        recordSteps(tx, run, [
          { kind: 'started', nodeId: 'input', nodeType: 'input', input: {}, startedAt: new Date() },
        ]),
      { isolationLevel: 'repeatable read' },
    );
    expect((await noticesSince(from)).map((n) => [n.executionId, n.kind])).toEqual([[id, 'step']]);
  });
});

describe('a viewer registering while a runner writes', () => {
  it('reads the write when the writer updated the run first (its registration waits for the commit)', async () => {
    const owner = await newOwner();
    const { id } = await owner.start();
    const run = await claimed(id);
    const wrote = gate();
    const release = gate();
    const from = heard.length;
    const writer = database.db.transaction(async (tx) => {
      await recordStepFinished(tx, run, finishedStep('input'));
      wrote.open();
      await release.opened;
    });
    await wrote.opened;
    const registering = registerRunWatcher(database.db, {
      executionId: id,
      ownerId: owner.ownerId,
      watcherId: crypto.randomUUID(),
    });
    await lockWaiters(1);
    release.open();
    await writer;
    await registering;

    // The writer checked before the watcher existed, so no notice: the viewer's first read has it.
    expect(await noticesSince(from)).toEqual([]);
    const afterClaim = 1;
    const { state, steps } = await getExecutionChanges(database.db, owner.ownerId, id, afterClaim);
    expect(state.eventSeq).toBe(2);
    expect(steps.map((s) => [s.nodeId, s.status])).toEqual([['input', 'succeeded']]);
  });

  it('is notified when its registration read the run first (the writer waits and then sees the watcher)', async () => {
    const owner = await newOwner();
    const { id } = await owner.start();
    const run = await claimed(id);
    const registered = gate();
    const release = gate();
    const from = heard.length;
    const viewer = database.db.transaction(async (tx) => {
      await registerRunWatcher(tx, {
        executionId: id,
        ownerId: owner.ownerId,
        watcherId: crypto.randomUUID(),
      });
      registered.open();
      await release.opened;
    });
    await registered.opened;
    const writing = recordStepFinished(database.db, run, finishedStep('input'));
    await lockWaiters(1);
    release.open();
    await viewer;
    expect(await writing).toEqual({ ok: true, cancelRequested: false });
    expect((await noticesSince(from)).map((n) => [n.executionId, n.kind, n.seq])).toEqual([[id, 'step', 2]]);
  });

  it('ends with the final state however viewers and runs interleave', async () => {
    const feed = createRunEventFeed(database.sql);
    await feed.start();
    try {
      const owner = await newOwner();
      const runs = await Promise.all(Array.from({ length: 12 }, () => owner.start()));
      // Each viewer does what `runs.events` does, minus the periodic re-read: a missed notice would
      // leave it waiting forever, and the test would time out.
      const view = async (executionId: string) => {
        let wake = () => {};
        let rung = false;
        const unsubscribe = feed.subscribe(executionId, () => {
          rung = true;
          wake();
        });
        const watch = await openRunWatch(database.db, {
          executionId,
          ownerId: owner.ownerId,
          onLapsed: () => {},
          onError: (error) => {
            throw error;
          },
        });
        try {
          for (;;) {
            rung = false;
            const state = await getExecutionState(database.db, owner.ownerId, executionId);
            if (state.status === 'succeeded') return state;
            if (!rung) await new Promise<void>((resolve) => (wake = resolve));
          }
        } finally {
          unsubscribe();
          await watch.close();
        }
      };
      const settled = await Promise.all(
        runs.flatMap(({ id }, i) => [
          (async () => {
            // Viewers start at different points of their run: before, during or after its writes.
            for (let n = 0; n < i % 4; n++) await database.sql`select 1`;
            return view(id);
          })(),
          runToTheEnd(id).then(() => null),
        ]),
      );
      const states = settled.filter((s) => s !== null);
      expect(states.map((s) => [s.status, s.eventSeq])).toEqual(runs.map(() => ['succeeded', 4]));
      for (const { id } of runs) expect(await watcherRows(id)).toBe(0);
    } finally {
      await feed.stop();
    }
  }, 30_000);
});

describe('openRunWatch', () => {
  it('refuses a stranger, renews its row, registers again after a lapse, and removes its row on close', async () => {
    const owner = await newOwner();
    const stranger = await newOwner();
    const { id } = await owner.start();
    const watch = (ownerId: string, onLapsed = () => {}) =>
      openRunWatch(database.db, {
        executionId: id,
        ownerId,
        onLapsed,
        onError: (error) => {
          throw error;
        },
      });
    await expect(watch(stranger.ownerId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await watcherRows(id)).toBe(0);

    let lapses = 0;
    const first = await watch(owner.ownerId, () => lapses++);
    const second = await watch(owner.ownerId);
    expect(await watcherRows(id)).toBe(2);
    await first.renew();
    expect(lapses).toBe(0);

    // Its row gone (expired and pruned, or a crash emptied the table): the next renewal registers
    // again and tells the viewer to re-read.
    await database.sql`delete from run_watchers where watcher_id = ${first.watcherId}`;
    await first.renew();
    expect(lapses).toBe(1);
    expect(await watcherRows(id)).toBe(2);

    await first.close();
    expect(
      (await database.sql`select watcher_id from run_watchers where execution_id = ${id}`).map(
        (r) => r.watcher_id,
      ),
    ).toEqual([second.watcherId]);
    await second.close();
    expect(await watcherRows(id)).toBe(0);
  });
});
