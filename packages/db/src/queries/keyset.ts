/**
 * Keyset pagination, the one way lists here page: newest first on a (time, id) key, the cursor
 * being the last row's key, so pages never overlap or skip rows however many are inserted
 * meanwhile. A list fetches `limit + 1` rows (`keysetPage` tells from the extra row whether there
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

/** The rows after `cursor` in newest-first (time, id) order: `(time, id) < (cursor's time, id)`. */
export function olderThanCursor(columns: { at: AnyColumn; id: AnyColumn }, cursor: string): SQL {
  const { at, id } = decodeKeysetCursor(cursor);
  return sql`(${columns.at}, ${columns.id}) < (${at.toISOString()}::timestamptz, ${id}::uuid)`;
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
