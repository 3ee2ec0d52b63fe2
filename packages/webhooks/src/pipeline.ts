/**
 * What happens to a webhook call once its sender is known to hold the secret (or it is the
 * owner's "send test" or a replay): body → value → mapping → the same checks as every trigger
 * (`prepareRun`) → run + log row in one transaction. Shared by the public route and the tRPC
 * router, so a test or a replay goes exactly the way a real delivery would.
 *
 * Logging never turns a good call into a failure: log rows for calls that started nothing are
 * written best-effort (a failure is written to the server log instead). The accepted call's row
 * and its idempotency key are part of the run's transaction.
 */
import {
  type AcceptedWebhookCall,
  acceptWebhookCall,
  acceptWebhookCalls,
  createGroupCommitter,
  type Db,
  type ExecutionState,
  FINISHED_STATUSES,
  findAcceptedWebhookCall,
  type GroupCommitter,
  getExecutionState,
  hitRateLimit,
  insertWebhookLog,
  type NewWebhookLog,
  openRunWatch,
  type RunEventFeed,
  type RunQueue,
  type WebhookCallSource,
  type WebhookCallToAccept,
  type WebhookForCall,
  type WebhookRateLimit,
} from '@swarm/db';
import {
  DomainError,
  type NodeRegistry,
  redactSecrets,
  redactSecretsDeep,
  type ValidationIssue,
} from '@swarm/engine';
import type { ExpressionPool } from '@swarm/engine/server';
import type { Logger } from 'pino';
import {
  boundedBody,
  mapWebhookInput,
  parseWebhookBody,
  redactHeaders,
  WebhookPayloadError,
} from './payload.ts';
import { headerValue, type RequestHeaders } from './signature.ts';

export interface WebhookServices {
  db: Db;
  runs: RunQueue;
  nodeRegistry: NodeRegistry;
  /** Where mappings are evaluated (the API's expression pool). */
  expressions: ExpressionPool;
  log: Logger;
  /** Accepts calls in shared transactions (`createWebhookAcceptor`); without one each call is alone. */
  acceptor?: WebhookAcceptor | undefined;
}

export type WebhookAcceptor = GroupCommitter<WebhookCallToAccept, AcceptedWebhookCall>;

/** The most calls one shared transaction accepts (bounds how long it holds the webhooks' hot rows). */
const MAX_CALLS_PER_COMMIT = 100;

/**
 * Group commit for the public route: calls that arrive while a batch of accepted calls is being
 * committed are accepted together in the next transaction (`acceptWebhookCalls`), each with the
 * answer it would have got alone. The first call after a quiet moment goes at once.
 */
export function createWebhookAcceptor(db: Db, runs: RunQueue, log: Logger): WebhookAcceptor {
  return createGroupCommitter({
    commit: (calls) => acceptWebhookCalls(db, runs, calls),
    maxBatch: MAX_CALLS_PER_COMMIT,
    onBatchFailed: (err, size) =>
      log.warn({ err, calls: size }, 'a batch of webhook calls failed; accepting them one by one'),
  });
}

/** One call to run through the pipeline. */
export interface WebhookCall {
  webhook: WebhookForCall;
  source: WebhookCallSource;
  /** The raw body, exactly as received (or as stored, for a replay). */
  body: Buffer;
  headers: RequestHeaders;
  query: Record<string, unknown>;
  /**
   * The sender's id of this delivery, for idempotency (and shown in the log): the `webhook-id`, or
   * a sender preset's own (`X-GitHub-Delivery`, a Stripe event id, …); null: none given.
   */
  messageId: string | null;
  /** A sender preset's event (`pull_request`, `invoice.paid`), shown in the log. */
  event?: string | null | undefined;
  ip: string | null;
  replayOf?: string | null | undefined;
  /** `performance.now()` when the call arrived, for the logged latency. */
  startedAt: number;
  /** Counts the call against the webhook's limit (public deliveries; not tests or replays). */
  rateLimit?: WebhookRateLimit | undefined;
  /**
   * The webhook's secrets in clear, when the caller decrypted them: replaced by value wherever the
   * call would store or answer them (log headers and body, mapped input, error messages) — a sender
   * may echo its secret in a header or the body, and a mapping may copy it into the run.
   */
  secrets?: readonly string[] | undefined;
}

export type WebhookCallResult =
  | { kind: 'accepted'; status: 202; executionId: string }
  | { kind: 'duplicate'; status: 200; executionId: string | null }
  | { kind: 'invalid'; status: 400 | 415; message: string; issues: ValidationIssue[] }
  /** A blocking budget of the workflow is used up: no run (409, like `runs.start`'s CONFLICT). */
  | { kind: 'blocked'; status: 409; message: string }
  /** Over `call.rateLimit`: no run and not logged yet (the caller answers and logs it). */
  | { kind: 'rate-limited'; status: 429 };

/**
 * What identifies this delivery to its sender, for idempotency: the `webhook-id` header (Standard
 * Webhooks senders send it with every delivery; senders of the other schemes may send one too), or
 * the id a sender preset gives its deliveries (the route reads it).
 */
function deliveryKeyOf(call: WebhookCall): string | null {
  return call.messageId;
}

/** The log fields every row of this call shares. */
export function callLogBase(call: Omit<WebhookCall, 'webhook' | 'query'> & { webhookId: string }) {
  const { body, bodyTruncated } = boundedBody(call.body);
  return {
    webhookId: call.webhookId,
    source: call.source,
    messageId: call.messageId,
    event: call.event ?? null,
    ip: call.ip,
    headers: redactSecretsDeep(redactHeaders(call.headers), call.secrets),
    replayOf: call.replayOf ?? null,
    body: body === null ? null : redactSecrets(body, call.secrets),
    bodyTruncated,
  };
}

/** Writes a log row for a call that started nothing; a failure goes to the server log, not the caller. */
export async function logWebhookCall(
  services: WebhookServices,
  entry: Omit<NewWebhookLog, 'latencyMs'> & { startedAt: number },
) {
  const { startedAt, ...row } = entry;
  try {
    await insertWebhookLog(services.db, { ...row, latencyMs: performance.now() - startedAt });
  } catch (err) {
    services.log.error(
      { err, webhookId: row.webhookId, outcome: row.outcome },
      'webhook call could not be logged',
    );
  }
}

/**
 * Mapping, checks and the run, for an authenticated call. Logs its outcome, except a call over the
 * rate limit (the caller answers those with its own headers).
 *
 * An accepted call is one transaction (`acceptWebhookCalls`: duplicate check, run, log row, rate
 * limit), shared with concurrent calls when `services.acceptor` is set. A call that starts nothing
 * is still counted against the limit, and a call over the limit is refused as such whatever else is
 * wrong with it; a repeated delivery key is answered as a duplicate before either.
 */
export async function runWebhookCall(
  services: WebhookServices,
  call: WebhookCall,
): Promise<WebhookCallResult> {
  const { webhook } = call;
  const base = callLogBase({ ...call, webhookId: webhook.id });
  const headers = redactHeaders(call.headers);
  try {
    const value = parseWebhookBody(call.body, headerValue(call.headers, 'content-type'));
    // The run keeps no secret: the webhook's own by value, anything credential-shaped by shape.
    const input = redactSecretsDeep(
      await mapWebhookInput(services.expressions, webhook.mapping, value, {
        headers,
        query: call.query,
        ownerId: webhook.ownerId,
      }),
      call.secrets,
    );
    const toAccept: WebhookCallToAccept = {
      log: { ...base, latencyMs: performance.now() - call.startedAt },
      run: {
        ownerId: webhook.ownerId,
        workflowId: webhook.workflowId,
        input,
        trigger: 'webhook',
        versionTag: webhook.versionTag,
        registry: services.nodeRegistry,
      },
      deliveryKey: deliveryKeyOf(call),
      rateLimit: call.rateLimit,
    };
    const accepted = services.acceptor
      ? await services.acceptor.submit(toAccept)
      : await acceptWebhookCall(services.db, services.runs, toAccept);
    if ('rateLimited' in accepted) return { kind: 'rate-limited', status: 429 };
    if (accepted.duplicate) return logDuplicate(services, call, base, accepted.executionId);
    return { kind: 'accepted', status: 202, executionId: accepted.executionId };
  } catch (error) {
    // Refused before or by the run checks: answered as a duplicate or as over the limit first, as
    // an accepted call would have been.
    const deliveryKey = deliveryKeyOf(call);
    if (deliveryKey) {
      const first = await findAcceptedWebhookCall(services.db, webhook.id, deliveryKey);
      if (first) return logDuplicate(services, call, base, first.executionId);
    }
    if (call.rateLimit) {
      const { key, windowSeconds, limit, at } = call.rateLimit;
      if ((await hitRateLimit(services.db, key, windowSeconds, at)) > limit)
        return { kind: 'rate-limited', status: 429 };
    }
    if (error instanceof DomainError && error.code === 'CONFLICT') {
      await logWebhookCall(services, {
        ...base,
        outcome: 'blocked',
        status: 409,
        error: error.message,
        startedAt: call.startedAt,
      });
      return { kind: 'blocked', status: 409, message: error.message };
    }
    const refused = invalidCall(error, webhook);
    // A mapping's error may quote the value it choked on, which may be the secret.
    const invalid = refused && redactSecretsDeep(refused, call.secrets);
    if (!invalid) {
      await logWebhookCall(services, {
        ...base,
        outcome: 'error',
        status: 500,
        error: 'internal error (see the server log)',
        startedAt: call.startedAt,
      });
      throw error;
    }
    await logWebhookCall(services, {
      ...base,
      outcome: 'invalid-input',
      status: invalid.status,
      error: invalid.message,
      startedAt: call.startedAt,
    });
    return { kind: 'invalid', ...invalid };
  }
}

async function logDuplicate(
  services: WebhookServices,
  call: WebhookCall,
  base: ReturnType<typeof callLogBase>,
  executionId: string | null,
): Promise<WebhookCallResult> {
  await logWebhookCall(services, {
    ...base,
    outcome: 'duplicate',
    status: 200,
    executionId,
    startedAt: call.startedAt,
  });
  return { kind: 'duplicate', status: 200, executionId };
}

/**
 * A call the workflow cannot take, as a 400/415 naming what failed: the body, the mapping, the
 * input against the schema — or the webhook's own settings (its workflow or pinned tag is gone).
 */
function invalidCall(
  error: unknown,
  webhook: WebhookForCall,
): { status: 400 | 415; message: string; issues: ValidationIssue[] } | null {
  if (error instanceof WebhookPayloadError)
    return { status: error.status, message: error.message, issues: error.issues };
  if (!(error instanceof DomainError)) return null;
  if (error.code === 'BAD_REQUEST')
    return {
      status: 400,
      message: error.message,
      issues: error.issues.length > 0 ? error.issues : [{ path: 'input', message: error.message }],
    };
  if (error.code === 'NOT_FOUND') {
    const path = webhook.versionTag !== null ? 'webhook.versionTag' : 'webhook.workflowId';
    return { status: 400, message: `${path}: ${error.message}`, issues: [{ path, message: error.message }] };
  }
  return null;
}

/** How often a waiting call re-reads the run without a notice: a safety net, not the delivery path. */
const WAIT_RECHECK_MS = 1_000;

/**
 * Waits up to `seconds` for a run to finish, woken by the process's run-event feed. Returns the
 * finished run, or null when it is still going (the caller answers 202).
 */
export async function waitForRunEnd(
  db: Db,
  runEvents: RunEventFeed,
  ownerId: string,
  executionId: string,
  seconds: number,
): Promise<ExecutionState | null> {
  const deadline = performance.now() + seconds * 1000;
  let wake: (() => void) | null = null;
  let closed = false;
  // Subscribe, then register as the run's watcher (runs nobody watches send no events), then read:
  // a change after the registration is heard, one before it is read.
  const unsubscribe = runEvents.subscribe(executionId, (signal) => {
    if (signal.kind === 'closed') closed = true;
    wake?.();
  });
  const watch = await openRunWatch(db, {
    executionId,
    ownerId,
    onLapsed: () => wake?.(),
    // A failed renewal or removal costs at most a re-read a second later (below); the row expires.
    onError: () => {},
  }).catch((error: unknown) => {
    unsubscribe();
    throw error;
  });
  try {
    while (true) {
      const state = await getExecutionState(db, ownerId, executionId);
      if (FINISHED_STATUSES.includes(state.status)) return state;
      const left = deadline - performance.now();
      if (left <= 0 || closed) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, WAIT_RECHECK_MS));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    unsubscribe();
    await watch.close();
  }
}
