/**
 * Model names as metric labels, bounded: a model name comes from users' workflow definitions (any
 * string), and every distinct label value is a time series Prometheus keeps. Models the caller
 * knows (priced, or in the capability table) keep their name; of the rest, the first `maxModels`
 * a process sees keep theirs, and later ones are `other`.
 */

export interface ModelLabelOptions {
  /** Models that always keep their name (the runner passes the providers' known models). */
  isKnownModel?: ((provider: string, model: string) => boolean) | undefined;
  /** Unknown models that keep their name per process. Default 50. */
  maxModels?: number | undefined;
}

export const OTHER_MODEL = 'other';

export function createModelLabels(options: ModelLabelOptions = {}) {
  const max = options.maxModels ?? 50;
  const kept = new Set<string>();
  return {
    label(provider: string, model: string): string {
      const key = `${provider}/${model}`;
      if (kept.has(key)) return model;
      if (options.isKnownModel?.(provider, model)) return model;
      if (kept.size < max) {
        kept.add(key);
        return model;
      }
      return OTHER_MODEL;
    },
  };
}

export type ModelLabels = ReturnType<typeof createModelLabels>;
