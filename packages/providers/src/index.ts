export * from './breakers.ts';
export * from './cost.ts';
export * from './events.ts';
export * from './latency.ts';
export * from './model-map.ts';
export * from './ports.ts';
export * from './pricing.ts';
export * from './types.ts';
