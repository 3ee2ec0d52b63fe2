export * from './definition.ts';
export * from './errors.ts';
export * from './json-safety.ts';
export * from './run-contract.ts';
export * from './sample-workflow.ts';
export * from './validation.ts';
