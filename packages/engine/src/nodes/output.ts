/**
 * `output`: the run's result. Like `merge`, its output is an object keyed by the source node ids of
 * the branches that reached it (`{ writer: "..." }`), so the result has one shape whether one or
 * several nodes feed it; shape it further with a `transform` in front. The run's output is this
 * node's output (several output nodes: see `runWorkflow`).
 */
import { z } from 'zod';
import { defineNode } from '../node-type.ts';

export const outputNode = defineNode({
  type: 'output',
  version: 1,
  label: 'Output',
  category: 'result',
  description: 'The result of the workflow',
  configSchema: z.object({}),
  defaultConfig: {},
  inputs: { min: 1 },
  outputs: [],
  async execute(_ctx, { input }) {
    return { output: { ...input } };
  },
});
