/**
 * The SWARM API as a tRPC router, free of any HTTP server: the request context an app must
 * provide, the procedures and routers, the accounts service they use, and the one table turning
 * domain errors into HTTP statuses and tRPC codes (also used by the app's plain routes).
 */
export { hashPassword } from './auth/secrets.ts';
export {
  type AuthLimits,
  type AuthService,
  type AuthServiceOptions,
  createAuthService,
  defaultAuthLimits,
} from './auth/service.ts';
export { DOMAIN_ERROR_ANSWERS, type DomainErrorAnswer, domainErrorBody } from './errors.ts';
export { type AppRouter, appRouter } from './routers/root.ts';
export type { RunEvent } from './routers/runs.ts';
export { importedWebhookSecrets, importWarnings } from './routers/transfer.ts';
export type { Context, SessionCookieJar } from './trpc.ts';
export {
  DATABASE_RETRY_AFTER_SECONDS,
  DATABASE_UNAVAILABLE_MESSAGE,
  isDatabaseUnavailable,
} from './unavailable.ts';
