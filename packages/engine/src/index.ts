/**
 * `@swarm/engine`: what runs anywhere, the browser editor included — the workflow definition and
 * its checks, expressions and templates (evaluated in this thread), run contracts, cron, transfer
 * documents. Everything that needs Node is in `@swarm/engine/server` (server.ts).
 */
export * from './compare.ts';
export * from './cron.ts';
export * from './definition.ts';
export * from './errors.ts';
export * from './expressions.ts';
export * from './humanize-issues.ts';
export * from './json-safety.ts';
export * from './node-test.ts';
export * from './node-type.ts';
export * from './nodes/agent.ts';
export * from './nodes/condition.ts';
export * from './nodes/input.ts';
export * from './nodes/merge.ts';
export * from './nodes/output.ts';
export * from './nodes/transform.ts';
export * from './provider-ids.ts';
export * from './redact-secrets.ts';
export * from './rerun.ts';
export * from './run-contract.ts';
export * from './run-input.ts';
export * from './sample-workflow.ts';
export * from './schedule-policy.ts';
export * from './schema-example.ts';
export * from './templating.ts';
export * from './tool-bindings.ts';
export * from './transfer/document.ts';
export * from './transfer/format.ts';
export * from './transfer/layout.ts';
export * from './transfer/remap.ts';
export * from './transfer/zip.ts';
export * from './validation.ts';
export * from './webhook-curl.ts';
export * from './workflow-validation.ts';
