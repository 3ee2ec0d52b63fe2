import { describe, expect, test } from 'vitest';
import {
  applyRunEvent,
  fallbackPath,
  formatDuration,
  nodeRunStatuses,
  type RunAttempt,
  type RunDetail,
  type RunEvent,
  type RunStep,
  runEventSeq,
  statusOfNode,
} from './run-state.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

function step(nodeId: string, status: RunStep['status'], eventSeq: number): RunStep {
  return {
    id: `step-${nodeId}`,
    nodeId,
    nodeType: 'agent',
    parentNodeId: null,
    status,
    input: null,
    output: status === 'succeeded' ? `${nodeId} done` : null,
    error: null,
    branch: null,
    startedAt: at(eventSeq),
    finishedAt: status === 'running' ? null : at(eventSeq + 1),
    durationMs: status === 'running' ? null : 1000,
    costMicros: 0,
    knownCostMicros: 0,
    unknownCostAttempts: 0,
    runAttempt: 1,
    reusedFromStepId: null,
    pinned: false,
    eventSeq,
    attempts: [],
  };
}

const run = (overrides: Partial<RunDetail> = {}): RunDetail =>
  ({
    id: 'run-1',
    workflowId: 'wf',
    workflowName: 'Flow',
    versionId: null,
    trigger: 'manual',
    status: 'running',
    error: null,
    costMicros: 0,
    createdAt: at(0),
    startedAt: at(0),
    finishedAt: null,
    durationMs: null,
    rerunOf: null,
    rerunFromNode: null,
    cancelRequestedAt: null,
    input: { query: 'q' },
    output: null,
    runAttempt: 1,
    eventSeq: 2,
    steps: [step('a', 'running', 2)],
    ...overrides,
  }) as RunDetail;

describe('applyRunEvent', () => {
  test('a snapshot replaces the run; step events update or add steps and the cost', () => {
    const snapshot = run();
    let current = applyRunEvent(null, { kind: 'snapshot', run: snapshot } as RunEvent);
    expect(current).toBe(snapshot);
    current = applyRunEvent(current, {
      kind: 'step',
      step: step('a', 'succeeded', 3),
      costMicros: 120,
    } as RunEvent);
    current = applyRunEvent(current, {
      kind: 'step',
      step: step('b', 'running', 4),
      costMicros: 120,
    } as RunEvent);
    expect(current?.steps.map((s) => [s.nodeId, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'running'],
    ]);
    expect(current?.costMicros).toBe(120);
    expect(runEventSeq(current!)).toBe(4);
  });

  test('an older step event never replaces a newer one; a status event keeps the steps', () => {
    const current = run({ steps: [step('a', 'succeeded', 5)] });
    expect(
      applyRunEvent(current, { kind: 'step', step: step('a', 'running', 2), costMicros: 0 } as RunEvent),
    ).toBe(current);
    const { steps: _steps, ...state } = run({
      status: 'succeeded',
      eventSeq: 6,
      output: 'done',
      finishedAt: at(9),
    });
    const finished = applyRunEvent(current, { kind: 'status', run: state } as RunEvent);
    expect(finished).toMatchObject({ status: 'succeeded', output: 'done', steps: current.steps });
    // A stale status (lower event number) is ignored.
    expect(
      applyRunEvent(finished, {
        kind: 'status',
        run: { ...state, status: 'running', eventSeq: 3 },
      } as RunEvent),
    ).toBe(finished);
  });

  test('events before the snapshot have nothing to update', () => {
    expect(
      applyRunEvent(undefined, { kind: 'step', step: step('a', 'running', 1), costMicros: 0 } as RunEvent),
    ).toBe(null);
  });
});

test('nodes without a step wait while the run goes on, and did not run once it ended', () => {
  const live = run();
  expect(statusOfNode(live, nodeRunStatuses(live), 'a')).toBe('running');
  expect(statusOfNode(live, nodeRunStatuses(live), 'z')).toBe('pending');
  const ended = run({ status: 'failed' });
  expect(statusOfNode(ended, nodeRunStatuses(ended), 'z')).toBe('not-run');
});

test('fallbackPath folds retries of one model and marks the model that answered', () => {
  const attempt = (provider: string, model: string, errorClass: string | null) =>
    ({ servedProvider: provider, servedModel: model, errorClass }) as RunAttempt;
  expect(
    fallbackPath([
      attempt('openai', 'gpt-4o', 'rate_limited'),
      attempt('openai', 'gpt-4o', 'rate_limited'),
      attempt('anthropic', 'claude-sonnet-4-5', null),
    ]),
  ).toEqual([
    { label: 'openai/gpt-4o', tries: 2, ok: false },
    { label: 'anthropic/claude-sonnet-4-5', tries: 1, ok: true },
  ]);
});

test('formatDuration', () => {
  expect(formatDuration(null)).toBe('—');
  expect(formatDuration(42)).toBe('42 ms');
  expect(formatDuration(1234)).toBe('1.23 s');
  expect(formatDuration(12_345)).toBe('12.3 s');
  expect(formatDuration(125_000)).toBe('2 min 5 s');
});
