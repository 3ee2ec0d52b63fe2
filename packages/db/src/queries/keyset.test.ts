import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { executions } from '../schema/index.ts';
import { decodeKeysetCursor, encodeKeysetCursor, keysetPage, olderThanCursor, pastKeyset } from './keyset.ts';

const position = { at: new Date('2026-05-01T10:00:00.123Z'), id: '0b7c2a9e-6d7e-4c1f-9a51-8f3e2d1c0b9a' };

describe('keyset cursors', () => {
  it('round-trips a position through an opaque cursor', () => {
    const cursor = encodeKeysetCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeKeysetCursor(cursor)).toEqual(position);
  });

  it('refuses a cursor it did not make, naming the field', () => {
    const forged = Buffer.from(JSON.stringify(['not a date', position.id])).toString('base64url');
    const notUuid = encodeKeysetCursor({ ...position, id: "x' or 1=1" });
    for (const cursor of ['nonsense', forged, notUuid])
      expect(() => decodeKeysetCursor(cursor)).toThrow(
        expect.objectContaining({
          code: 'BAD_REQUEST',
          issues: [{ path: 'cursor', message: 'invalid cursor' }],
        }),
      );
  });

  it('compares the (time, id) pair as a row, with the cursor as parameters', () => {
    const condition = olderThanCursor(
      { at: executions.createdAt, id: executions.id },
      encodeKeysetCursor(position),
    );
    const query = new PgDialect().sqlToQuery(condition);
    expect(query.sql).toBe('("executions"."created_at", "executions"."id") < ($1::timestamptz, $2::uuid)');
    expect(query.params).toEqual([position.at.toISOString(), position.id]);
  });

  it('walks oldest first past a position kept at microsecond precision', () => {
    const condition = pastKeyset({ at: sql.raw('c.started_at'), id: sql.raw('c.id') }, 'newer', {
      at: '2026-05-01 10:00:00.123456+00',
      id: position.id,
    });
    const query = new PgDialect().sqlToQuery(condition);
    expect(query.sql).toBe('(c.started_at, c.id) > ($1::timestamptz, $2::uuid)');
    expect(query.params).toEqual(['2026-05-01 10:00:00.123456+00', position.id]);
  });
});

describe('keyset pages', () => {
  const cursorOf = (n: number) => `after-${n}`;

  it('cuts the extra row and hands out the cursor of the last row kept', () => {
    expect(keysetPage([5, 4, 3], 2, cursorOf)).toEqual({ page: [5, 4], nextCursor: 'after-4' });
  });

  it('has no next cursor on the last page', () => {
    expect(keysetPage([2, 1], 2, cursorOf)).toEqual({ page: [2, 1], nextCursor: null });
    expect(keysetPage([], 2, cursorOf)).toEqual({ page: [], nextCursor: null });
  });
});
