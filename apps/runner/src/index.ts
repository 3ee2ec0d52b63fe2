export { createRunner, type RunnerOptions } from './runner.ts';
