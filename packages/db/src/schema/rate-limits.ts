/**
 * Fixed-window counters for rate limits that every API instance must share (login attempts,
 * webhook calls). Kept in Postgres so limits hold across processes without another service.
 */
import { integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestampMs } from './columns.ts';

export const rateLimitCounters = pgTable(
  'rate_limit_counters',
  {
    key: text('key').notNull(),
    windowStart: timestampMs('window_start').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
);
