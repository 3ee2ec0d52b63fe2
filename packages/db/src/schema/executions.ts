/**
 * Runs of workflows: one `executions` row per run (the definition it runs is snapshotted on it),
 * one `execution_steps` row per node as it runs, and one `execution_costs` row per provider attempt
 * (the attempt ledger, priced). Status changes are compare-and-set; `run_attempt` fences writes of
 * a runner whose claim has lapsed.
 */
import {
  type AttemptReason,
  type ErrorClass,
  EXECUTION_TRIGGERS,
  type ProviderId,
  type RunError,
  type WorkflowDefinition,
} from '@swarm/engine';
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { createdAt, primaryId, timestampMs, updatedAt } from './columns.ts';
import { scheduleFires } from './triggers.ts';
import { workflowVersions } from './versions.ts';
import { workflows } from './workflows.ts';

export const EXECUTION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
/**
 * What a run is for: `run` (every trigger's real run), `test` (the editor's draft test run, which
 * uses the workflow's pinned outputs) or `node_test` (one node tested from its panel). The trigger
 * stays who started it (`manual` / `api`), so the public trigger values do not change.
 */
export const EXECUTION_KINDS = ['run', 'test', 'node_test'] as const;
export type ExecutionKind = (typeof EXECUTION_KINDS)[number];
export const STEP_STATUSES = ['running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** What a failed run or step reports (the engine's `RunError`). */
export type ExecutionError = RunError;

export const executions = pgTable(
  'executions',
  {
    id: primaryId(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    /** Denormalised from the workflow so ownership checks and analytics need no join. */
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The committed version this run pinned; null when it ran the draft. */
    versionId: uuid('version_id').references(() => workflowVersions.id, { onDelete: 'set null' }),
    /** Exactly what runs: the pinned version's or the draft's definition at start time. */
    definition: jsonb('definition').$type<WorkflowDefinition>().notNull(),
    trigger: text('trigger', { enum: EXECUTION_TRIGGERS }).notNull(),
    kind: text('kind', { enum: EXECUTION_KINDS }).notNull().default('run'),
    /**
     * Outputs used instead of executing nodes (`{ [nodeId]: { output } }`), snapshotted when a test
     * run starts; always null for real runs, so nothing but a test ever reads a pin.
     */
    pins: jsonb('pins').$type<Record<string, { output: unknown }>>(),
    status: text('status', { enum: EXECUTION_STATUSES }).notNull().default('queued'),
    input: jsonb('input').$type<unknown>().notNull(),
    output: jsonb('output').$type<unknown>(),
    error: jsonb('error').$type<ExecutionError>(),
    /**
     * Incremented each time a runner claims the run. Every write a runner makes carries the value
     * it claimed with, so a runner whose claim lapsed (and was taken over) changes nothing.
     */
    runAttempt: integer('run_attempt').notNull().default(0),
    cancelRequestedAt: timestampMs('cancel_requested_at'),
    /** For re-runs: the run whose steps were reused, and the node the re-run started from. */
    rerunOf: uuid('rerun_of'),
    rerunFromNode: text('rerun_from_node'),
    /** For scheduled runs: the occurrence that started it (see schedule_fires). */
    scheduleFireId: uuid('schedule_fire_id').references((): AnyPgColumn => scheduleFires.id, {
      onDelete: 'set null',
    }),
    /** 1 for the first run of a trigger; a retry of a failed scheduled run is 2, 3, … */
    triggerAttempt: integer('trigger_attempt').notNull().default(1),
    /**
     * W3C `traceparent` of the run's first traced claim (only when OpenTelemetry export is on): a
     * runner resuming the run after a crash continues that trace instead of starting another.
     */
    traceParent: text('trace_parent'),
    /**
     * What this run cost, in micro-dollars; null when any attempt's cost is unknown (an answer
     * with no usage, or a model without a price): unknown is never shown or summed as $0.
     */
    costMicros: bigint('cost_micros', { mode: 'number' }).default(0),
    /** Sum of the priced attempts (the known part, whatever the unknown ones cost). */
    knownCostMicros: bigint('known_cost_micros', { mode: 'number' }).notNull().default(0),
    /** Attempts whose cost is unknown: see `isUnknownCost` (queries/executions/cost.ts). */
    unknownCostAttempts: integer('unknown_cost_attempts').notNull().default(0),
    /**
     * Bumped by every change a live viewer should see (claim, each step write, finish, cancel). Step
     * rows keep the value of their last change, so a reconnecting viewer asks for "everything after
     * N" and misses nothing (these are the ids of the `runs.events` subscription).
     */
    eventSeq: integer('event_seq').notNull().default(0),
    createdAt: createdAt(),
    startedAt: timestampMs('started_at'),
    finishedAt: timestampMs('finished_at'),
    durationMs: integer('duration_ms'),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('executions_owner_created_idx').on(t.ownerId, t.createdAt.desc(), t.id.desc()),
    index('executions_workflow_created_idx').on(t.workflowId, t.createdAt.desc(), t.id.desc()),
    index('executions_version_idx').on(t.versionId),
    // One run per attempt of an occurrence: a retry created twice (a finish replayed) conflicts.
    uniqueIndex('executions_schedule_fire_attempt_key')
      .on(t.scheduleFireId, t.triggerAttempt)
      .where(sql`${t.scheduleFireId} is not null`),
    index('executions_active_idx')
      .on(t.workflowId, t.status)
      .where(sql`${t.status} in ('queued', 'running')`),
    check(
      'executions_finished_has_time',
      sql`${t.status} in ('queued', 'running') or ${t.finishedAt} is not null`,
    ),
  ],
);

export const executionSteps = pgTable(
  'execution_steps',
  {
    id: primaryId(),
    executionId: uuid('execution_id')
      .notNull()
      .references(() => executions.id, { onDelete: 'cascade' }),
    nodeId: text('node_id').notNull(),
    nodeType: text('node_type').notNull(),
    status: text('status', { enum: STEP_STATUSES }).notNull(),
    input: jsonb('input').$type<unknown>(),
    output: jsonb('output').$type<unknown>(),
    error: jsonb('error').$type<ExecutionError>(),
    /** For `condition` nodes: the handle taken (`true` / `false`). */
    branch: text('branch'),
    /**
     * Set on a child step — an agent's model turn (`<node>/turn-<n>`, carrying that turn's ledger
     * rows) or one of its tool calls (`<node>/turn-<n>/call-<k>`) — to the agent's node id. The
     * agent's own row then sums its children's cost.
     */
    parentNodeId: text('parent_node_id'),
    /** Set when a re-run reused this step's result from an earlier run instead of executing it. */
    reusedFromStepId: uuid('reused_from_step_id'),
    /** Set when a test run used the node's pinned output instead of executing it. */
    pinned: boolean('pinned').notNull().default(false),
    /** The run attempt that wrote this row (see executions.run_attempt). */
    runAttempt: integer('run_attempt').notNull(),
    startedAt: timestampMs('started_at'),
    finishedAt: timestampMs('finished_at'),
    durationMs: integer('duration_ms'),
    /** As on `executions`: null when any of the step's attempts has an unknown cost. */
    costMicros: bigint('cost_micros', { mode: 'number' }).default(0),
    knownCostMicros: bigint('known_cost_micros', { mode: 'number' }).notNull().default(0),
    unknownCostAttempts: integer('unknown_cost_attempts').notNull().default(0),
    /** The run's `event_seq` when this row last changed (see executions.event_seq). */
    eventSeq: integer('event_seq').notNull().default(0),
  },
  (t) => [uniqueIndex('execution_steps_node_key').on(t.executionId, t.nodeId)],
);

/**
 * Who is watching a run live right now: one row per open `runs.events` subscription (each viewer its
 * own `watcher_id`), renewed while the subscription is open. Run events are NOTIFYed only for runs
 * with a live row here (see `notifyRunEvent`); expired rows are ignored and pruned by maintenance.
 * The migration creates it UNLOGGED: rows live for minutes and a crash that empties the table only
 * makes open viewers register again (they do on the listener's resync and at every renewal).
 */
export const runWatchers = pgTable(
  'run_watchers',
  {
    executionId: uuid('execution_id')
      .notNull()
      .references(() => executions.id, { onDelete: 'cascade' }),
    watcherId: uuid('watcher_id').notNull(),
    expiresAt: timestampMs('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.executionId, t.watcherId] })],
);

/** The attempt ledger: one row per provider attempt, including failed, retried and fallen-back ones. */
export const executionCosts = pgTable(
  'execution_costs',
  {
    id: primaryId(),
    executionId: uuid('execution_id')
      .notNull()
      .references(() => executions.id, { onDelete: 'cascade' }),
    stepId: uuid('step_id').references(() => executionSteps.id, { onDelete: 'cascade' }),
    nodeId: text('node_id').notNull(),
    /** Denormalised for analytics (by workflow, by owner) without joins over large tables. */
    workflowId: uuid('workflow_id').notNull(),
    ownerId: uuid('owner_id').notNull(),
    agentRole: text('agent_role'),
    requestedProvider: text('requested_provider').$type<ProviderId>().notNull(),
    requestedModel: text('requested_model').notNull(),
    servedProvider: text('served_provider').$type<ProviderId>().notNull(),
    servedModel: text('served_model').notNull(),
    /** `primary`, `retry`, `probe` or `fallback:<error class | latency>`. */
    reason: text('reason').$type<AttemptReason>().notNull(),
    errorClass: text('error_class').$type<ErrorClass>(),
    errorMessage: text('error_message'),
    startedAt: timestampMs('started_at').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    timeToFirstTokenMs: integer('time_to_first_token_ms'),
    inputTokens: integer('input_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    reasoningTokens: integer('reasoning_tokens').notNull().default(0),
    priceId: uuid('price_id'),
    /** Null unless `cost_status` is `priced`: an unknown price is never recorded as $0. */
    costMicros: bigint('cost_micros', { mode: 'number' }),
    costStatus: text('cost_status', { enum: ['priced', 'unpriced', 'no_usage'] }).notNull(),
    /** Given up on by the caller's own policy (latency threshold, a short timeout): not a provider fault. */
    abandoned: boolean('abandoned').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    index('execution_costs_execution_idx').on(t.executionId),
    index('execution_costs_owner_started_idx').on(t.ownerId, t.startedAt),
    index('execution_costs_workflow_started_idx').on(t.workflowId, t.startedAt),
    index('execution_costs_served_started_idx').on(t.servedProvider, t.servedModel, t.startedAt),
  ],
);

/** Provider API keys per user, encrypted at rest (AES-256-GCM); never returned, logged or exported. */
export const credentials = pgTable(
  'credentials',
  {
    id: primaryId(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').$type<ProviderId>().notNull(),
    /** base64 of iv ‖ ciphertext ‖ auth tag; the key comes from configuration, never the database. */
    secret: text('secret').notNull(),
    /** Which configured key encrypted it, so keys can be rotated. */
    keyId: text('key_id').notNull(),
    /** Last four characters, so users can tell keys apart without seeing them. */
    hint: text('hint').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('credentials_owner_provider_key').on(t.ownerId, t.provider)],
);
