export { type ApiEnv, parseApiEnv } from './env.ts';
export { buildApiServer, type StartApiServerOptions, startApiServer } from './server.ts';
