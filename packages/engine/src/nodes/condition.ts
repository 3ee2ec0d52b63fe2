/**
 * `condition`: evaluates a JSONata predicate over `{ input, nodes }` and takes the `true` or `false`
 * handle (JSONata's `$boolean` truth: "", 0, [], {}, null and no match are false). Its output is the
 * boolean. Nodes reachable only through the other handle are skipped (rule in executor.ts).
 */
import { z } from 'zod';
import { expressionTruth } from '../expressions.ts';
import { defineNode } from '../node-type.ts';

export const conditionNode = defineNode({
  type: 'condition',
  version: 1,
  label: 'Condition',
  category: 'logic',
  description: 'Branch on a JSONata expression',
  configSchema: z.object({
    expression: z
      .string()
      .min(1, 'required')
      .describe('JSONata predicate over { input, nodes }, e.g. input.priority = "high"'),
  }),
  defaultConfig: { expression: 'true' },
  inputs: { min: 0 },
  outputs: ['true', 'false'],
  expressionFields: ['expression'],
  async execute(ctx, { config }) {
    ctx.recordInput({ expression: config.expression });
    const result = expressionTruth(await ctx.evaluateExpression(config.expression));
    return { output: result, branch: result ? 'true' : 'false' };
  },
});
