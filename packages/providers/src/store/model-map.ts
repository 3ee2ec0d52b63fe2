/**
 * The editable cross-provider model map (`model_map`): which models stand in for one another when
 * a fallback crosses providers, in preference order.
 */
import {
  type Db,
  type DbOrTx,
  type InvalidationFeed,
  listModelMap,
  MODEL_MAP_TOPIC,
  modelEquivalents,
  replaceModelEquivalents,
} from '@swarm/db';
import { isProviderId, PROVIDER_IDS, parseInput } from '@swarm/engine';
import { z } from 'zod';
import type { ModelMap } from '../ports.ts';
import type { ModelRef } from '../types.ts';

const toRef = (row: ModelRef): ModelRef => ({ provider: row.provider, model: row.model });

export interface ModelMapOptions {
  /**
   * Keeps each model's equivalents per process, dropped when a writer announces a change of the map
   * or of an alias. Without it, every lookup reads the table.
   */
  invalidation?: InvalidationFeed | undefined;
  /** How long a cached answer lives even without a notice. Default 10 minutes. */
  cacheMs?: number | undefined;
}

export function createModelMap(db: Db, options: ModelMapOptions = {}): ModelMap {
  const load = async (key: string) => {
    const [provider = '', model = ''] = key.split('\u0000');
    // Keys are only ever made from a `ModelRef` below; a name outside the list has no equivalents.
    if (!isProviderId(provider)) return [];
    const rows = await modelEquivalents(db, { provider, model });
    return rows.map(toRef);
  };
  const cache = options.invalidation?.cache(MODEL_MAP_TOPIC, {
    ttlMs: Math.max(0, options.cacheMs ?? 10 * 60_000),
    load,
  });
  return {
    async equivalents(ref) {
      const key = `${ref.provider}\u0000${ref.model}`;
      // A copy: callers may not change what other calls get from the cache.
      return [...(await (cache ? cache.get(key) : load(key)))];
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
