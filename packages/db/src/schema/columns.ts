/** Column helpers shared by every table, so ids and timestamps look the same everywhere. */
import { timestamp, uuid } from 'drizzle-orm/pg-core';

export const primaryId = () => uuid('id').primaryKey().defaultRandom();

/**
 * Millisecond precision on purpose: timestamps round-trip through JS `Date` (ms) and are used in
 * keyset cursors, which would skip or repeat rows if Postgres kept microseconds JS cannot see.
 */
export const timestampMs = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const createdAt = () => timestampMs('created_at').notNull().defaultNow();
export const updatedAt = () => timestampMs('updated_at').notNull().defaultNow();
