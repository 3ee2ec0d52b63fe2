/** `transform`: reshapes data with a JSONata expression over `{ input, nodes }` (see expressions.ts). */
import { z } from 'zod';
import { defineNode } from '../node-type.ts';

export const transformNode = defineNode({
  type: 'transform',
  version: 1,
  label: 'Transform',
  category: 'data',
  description: 'Reshape data with a JSONata expression',
  configSchema: z.object({
    expression: z
      .string()
      .min(1, 'required')
      .describe('JSONata over { input, nodes }, e.g. nodes.search.output.items[0].title'),
  }),
  defaultConfig: { expression: '$' },
  inputs: { min: 0 },
  outputs: ['out'],
  expressionFields: ['expression'],
  async execute(ctx, { config }) {
    ctx.recordInput({ expression: config.expression });
    return { output: await ctx.evaluateExpression(config.expression) };
  },
});
