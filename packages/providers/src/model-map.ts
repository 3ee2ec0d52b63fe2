/**
 * The editable cross-provider model map (`model_map`): which models stand in for one another when
 * a fallback crosses providers, in preference order.
 */
import { type Db, type DbOrTx, listModelMap, modelEquivalents, replaceModelEquivalents } from '@swarm/db';
import { parseInput } from '@swarm/engine';
import { z } from 'zod';
import type { ModelMap } from './ports.ts';
import { type ModelRef, PROVIDER_IDS, type ProviderId } from './types.ts';

const toRef = (row: { provider: string; model: string }): ModelRef => ({
  provider: row.provider as ProviderId,
  model: row.model,
});

export function createModelMap(db: Db): ModelMap {
  return {
    async equivalents(ref) {
      const rows = await modelEquivalents(db, ref);
      return rows.map(toRef);
    },
  };
}

const modelRefSchema = z.object({
  provider: z.enum(PROVIDER_IDS),
  model: z.string().trim().min(1, 'required').max(200),
});

export const modelEquivalentsInputSchema = z.object({
  from: modelRefSchema,
  to: z.array(modelRefSchema).max(20),
});

/** Replaces the equivalents of `from` with `to`, in that order (an empty list removes them). */
export async function setModelEquivalents(
  db: DbOrTx,
  input: z.input<typeof modelEquivalentsInputSchema>,
): Promise<ModelRef[]> {
  const { from, to } = parseInput(modelEquivalentsInputSchema, input);
  await replaceModelEquivalents(db, from, to);
  return to;
}

/** The whole map, for the settings page. */
export async function listModelEquivalents(db: DbOrTx) {
  const rows = await listModelMap(db);
  return rows.map((row) => ({ from: toRef(row.from), position: row.position, to: toRef(row.to) }));
}
