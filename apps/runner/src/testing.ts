/**
 * `@swarm/runner/testing`: what other packages' tests, benches and drills use to get a runner —
 * real runner daemons as child processes (`spawnRunner`), or the pieces an in-process runner is
 * composed from (`createRunner` with the real `createLlmClient`) — and small workflows to run on them.
 */
export { createLlmClient } from './llm.ts';
export { createRunner } from './runner.ts';
export { killRunners, type LogLine, type RunnerProcess, spawnRunner } from './testing/runner-process.ts';
export { agentChain, passThrough, toolAgent } from './testing/workflows.ts';
