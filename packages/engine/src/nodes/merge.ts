/**
 * `merge`: waits for every incoming branch and joins them into one object keyed by source node id
 * (`{ researcher: ..., critic: ... }`). A branch that was skipped (behind an untaken condition
 * handle) is left out, so a merge after a condition carries whichever side ran.
 */
import { z } from 'zod';
import { defineNode } from '../node-type.ts';

export const mergeNode = defineNode({
  type: 'merge',
  version: 1,
  label: 'Merge',
  category: 'logic',
  description: 'Wait for several branches and join them',
  configSchema: z.object({}),
  defaultConfig: {},
  inputs: { min: 1 },
  outputs: ['out'],
  async execute(_ctx, { input }) {
    return { output: { ...input } };
  },
});
