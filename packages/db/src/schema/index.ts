export * from './accounts.ts';
export * from './analytics.ts';
export * from './executions.ts';
export * from './providers.ts';
export * from './rate-limits.ts';
export * from './triggers.ts';
export * from './versions.ts';
export * from './workflows.ts';
