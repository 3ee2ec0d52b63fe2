/**
 * tRPC setup: the request context, the one error formatter, and the procedure builders every
 * router uses. Domain errors thrown by packages become tRPC errors here (by `errors.ts`'s table).
 */
import type {
  Database,
  Db,
  InvalidationFeed,
  PublicUser,
  RunEventFeed,
  RunQueue,
  RunStarter,
} from '@swarm/db';
import { DomainError, formatPath, type NodeRegistry, type ValidationIssue } from '@swarm/engine';
import type { EndpointGuard, ExpressionPool } from '@swarm/engine/server';
import type { SecretKeyring } from '@swarm/providers/store';
import { initTRPC, TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import type { AuthService } from './auth/service.ts';
import { DOMAIN_ERROR_ANSWERS } from './errors.ts';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from './unavailable.ts';
import { wireTransformer } from './wire-format.ts';

/**
 * The session cookie of the response being built, as the app sets it (httpOnly, Secure in
 * production …); the routers only say when. Null where there is no HTTP response (direct callers).
 */
export interface SessionCookieJar {
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

export interface Context {
  db: Db;
  /** The connection behind `db`, for health checks. */
  database: Database;
  auth: AuthService;
  log: Logger;
  user: PublicUser | null;
  /** The client's address (honours X-Forwarded-For only when TRUST_PROXY is set). */
  ip: string;
  /** Where this server is reached (SWARM_PUBLIC_URL, else the host of this request); webhook URLs start with it. */
  publicBaseUrl: string;
  sessionCookie: SessionCookieJar | null;
  /** Hash of the session token this request came with, so logout can end exactly that session. */
  sessionTokenHash: string | null;
  /** Encrypts stored provider keys; null when SWARM_SECRET_KEY is not configured. */
  secretKeys: SecretKeyring | null;
  /**
   * The address guard for users' OpenAI-compatible base URLs (operator's allow-list of private
   * ranges); absent: every private range refused.
   */
  compatibleGuard?: EndpointGuard | undefined;
  /** Lower-cased emails allowed to change pricing and the model map; null: any signed-in user. */
  providerAdmins: ReadonlySet<string> | null;
  /** Built-in node types plus those from SWARM_NODE_PACKAGES. */
  nodeRegistry: NodeRegistry;
  /** Where user JSONata is evaluated (worker processes; never this event loop). */
  expressions: ExpressionPool;
  /** Where runs go: their jobs (enqueued inside the caller's transaction) and the runners' wake-up. */
  runs: RunQueue;
  /** `runs.start`: concurrent calls start their runs in one shared transaction (group commit). */
  runStarter: RunStarter;
  /** Live run events of this process (one LISTEN, fanned out to subscriptions). */
  runEvents: RunEventFeed;
  /** This process's caches of rarely changing rows; a mutation drops what it changed (`invalidate`). */
  invalidations: InvalidationFeed;
  /** The clock (ms since the epoch) for time limits such as a rotated secret's grace; tests set it. */
  now: () => number;
}

function zodIssues(error: ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

const t = initTRPC.context<Context>().create({
  transformer: wireTransformer,
  // Subscriptions (SSE): a ping keeps idle streams (a run waiting in the queue) open through
  // proxies, and a client that hears nothing for longer reconnects, resuming from its last event id.
  sse: { ping: { enabled: true, intervalMs: 10_000 }, client: { reconnectAfterInactivityMs: 30_000 } },
  errorFormatter({ shape, error }) {
    // Postgres out of reach (restart, failover) is an outage to wait out: 503, not a 500. The
    // Retry-After header is added by the server's responseMeta.
    if (isDatabaseUnavailable(error)) {
      const { stack: _stack, ...data } = shape.data;
      return {
        ...shape,
        code: TRPC_ERROR_CODES_BY_KEY.SERVICE_UNAVAILABLE,
        message: DATABASE_UNAVAILABLE_MESSAGE,
        data: { ...data, code: 'SERVICE_UNAVAILABLE' as const, httpStatus: 503, issues: null },
      };
    }
    const cause = error.cause;
    const issues =
      cause instanceof ZodError
        ? zodIssues(cause)
        : cause instanceof DomainError && cause.issues.length
          ? cause.issues
          : null;
    const first = issues?.[0];
    const message =
      error.code === 'INTERNAL_SERVER_ERROR'
        ? 'Something went wrong on our side; the details are in the server log.'
        : cause instanceof ZodError && first
          ? `${first.path || 'input'}: ${first.message}`
          : shape.message;
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, message, data: { ...data, issues } };
  },
});

/** Turns coded domain errors from packages into the matching tRPC error, keeping their issues. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: DOMAIN_ERROR_ANSWERS[cause.code].trpcCode, message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(domainErrors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user)
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in or send an API token first.' });
  return next({ ctx: { ...ctx, user: ctx.user } });
});
