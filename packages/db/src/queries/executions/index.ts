/**
 * Runs of workflows: creating an execution together with its `run` job, the runner's claim and
 * its fenced writes (steps with their attempt ledger, the outcome), cancellation, and the
 * owner-scoped reads behind `runs.list`, `runs.get` and `runs.events`. Which steps a re-run reuses
 * is the engine's rule (`selectReusableSteps`); `createExecution` copies them.
 *
 * Every status change is a compare-and-set from the expected status. Everything a runner writes
 * carries the `run_attempt` it claimed with and is refused once another runner has claimed the run
 * again, so a stale runner (pg-boss delivers at least once) changes nothing. Each write that a live
 * viewer should see bumps `event_seq` and — when somebody watches the run (`run-watchers.ts`) —
 * sends a small NOTIFY on `RUN_EVENTS_CHANNEL` in the same transaction, so listeners hear about
 * exactly the committed changes and re-read them.
 */
export {
  EXECUTION_KINDS,
  EXECUTION_STATUSES,
  type ExecutionKind,
  type ExecutionStatus,
  STEP_STATUSES,
  type StepStatus,
} from '../../schema/index.ts';
export { cancelExecution } from './cancel.ts';
export {
  type ClaimedRun,
  type ClaimResult,
  claimExecution,
  claimExecutions,
  isCancelRequested,
  RUN_ABANDONED_CODE,
  saveTraceParent,
} from './claim.ts';
export {
  MAX_CONCURRENT_RUNS,
  RUN_GROUP_CONCURRENCY,
  runConcurrencyLimit,
  runJobOptions,
} from './concurrency.ts';
export { createExecution, createExecutions, type NewExecution } from './create.ts';
export {
  createRunFinisher,
  failAbandonedExecution,
  finishExecution,
  finishExecutionsInTransaction,
  type RunFinish,
  type RunFinisher,
  type RunFinishWithJob,
  type RunOutcomeInput,
} from './finish.ts';
export { parseRunEventNotice, RUN_EVENTS_CHANNEL, type RunEventNotice } from './notify.ts';
export {
  type ExecutionAttempt,
  type ExecutionDetail,
  type ExecutionState,
  type ExecutionStep,
  type ExecutionSummary,
  getExecution,
  getExecutionChanges,
  getExecutionForRerun,
  getExecutionState,
  type ListExecutionsOptions,
  listExecutionSteps,
  listExecutions,
} from './reads.ts';
export { type FencedWrite, FINISHED_STATUSES, type RunFence } from './shared.ts';
export {
  type FinishedStep,
  recordStepFinished,
  recordStepStarted,
  recordSteps,
  type StartedStep,
  type StepChange,
  stepChangesCost,
  stepChangesCostMicros,
} from './steps.ts';
