/**
 * Keyset pagination, the one way lists here page: on a (time, id) key, the cursor being the last
 * row's key, so pages never overlap or skip rows however many are inserted meanwhile (API lists
 * newest first with opaque cursors; the cost export oldest first in batches). A list fetches `limit + 1` rows (`keysetPage` tells from the extra row whether there
 * is a next page). Cursors are opaque to clients; one this API did not hand out is a BAD_REQUEST.
 */
import { DomainError } from '@swarm/engine';
import { type AnyColumn, type SQL, sql } from 'drizzle-orm';

/** Where a page ended: the last row's time and id. */
export interface KeysetPosition {
  at: Date;
  id: string;
}

/** The error of a cursor this API did not return. */
export const invalidCursor = () =>
  new DomainError('BAD_REQUEST', 'cursor is not one this API returned', [
    { path: 'cursor', message: 'invalid cursor' },
  ]);

export function encodeKeysetCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

/** The position a cursor names; BAD_REQUEST when it is not one `encodeKeysetCursor` made. */
export function decodeKeysetCursor(cursor: string): KeysetPosition {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const at = new Date(iso);
    if (Number.isNaN(at.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad cursor');
    return { at, id };
  } catch {
    throw invalidCursor();
  }
}

/**
 * The rows strictly past a (time, id) position in the order a list walks: `older` for newest-first
 * lists (`(time, id) < position`), `newer` for oldest-first batches (`>`). `at` is a timestamptz
 * literal: a batch that read it back as text keeps Postgres' microseconds, which a Date would cut.
 */
export function pastKeyset(
  columns: { at: AnyColumn | SQL; id: AnyColumn | SQL },
  direction: 'older' | 'newer',
  position: { at: string; id: string },
): SQL {
  const beyond = sql.raw(direction === 'older' ? '<' : '>');
  return sql`(${columns.at}, ${columns.id}) ${beyond} (${position.at}::timestamptz, ${position.id}::uuid)`;
}

/** The rows after `cursor` in newest-first (time, id) order: `(time, id) < (cursor's time, id)`. */
export function olderThanCursor(columns: { at: AnyColumn; id: AnyColumn }, cursor: string): SQL {
  const { at, id } = decodeKeysetCursor(cursor);
  return pastKeyset(columns, 'older', { at: at.toISOString(), id });
}

/**
 * A page from `limit + 1` fetched rows: the first `limit`, and the cursor of the last of them when
 * the extra row shows there are more.
 */
export function keysetPage<Row>(
  rows: readonly Row[],
  limit: number,
  cursorOf: (last: Row) => string,
): { page: Row[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
