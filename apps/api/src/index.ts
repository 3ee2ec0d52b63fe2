export { hashPassword } from './auth/secrets.ts';
export { type ApiEnv, parseApiEnv } from './env.ts';
export type { AppRouter } from './routers/root.ts';
export { appRouter } from './routers/root.ts';
export { buildApiServer, type StartApiServerOptions, startApiServer } from './server.ts';
