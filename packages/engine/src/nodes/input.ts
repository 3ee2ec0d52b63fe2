/** `input`: where the run input enters the graph. Its output is the run input, unchanged. */
import { z } from 'zod';
import { defineNode } from '../node-type.ts';

export const inputNode = defineNode({
  type: 'input',
  version: 1,
  label: 'Input',
  category: 'trigger',
  description: 'Where the run input enters the workflow',
  configSchema: z.object({}),
  defaultConfig: {},
  inputs: { min: 0, max: 0 },
  outputs: ['out'],
  async execute(ctx) {
    ctx.recordInput(ctx.runInput);
    return { output: ctx.runInput };
  },
});
