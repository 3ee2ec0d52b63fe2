/**
 * Many-row inserts on the runner's hot path as one fixed statement: the rows travel as a single
 * JSON parameter that `jsonb_to_recordset` reads back into typed columns. Drizzle's insert builder
 * walks every column of every row with runtime type checks — in a B3 profile, building the step
 * and ledger inserts cost the runner ~0.5 ms per run — and writes a different text for every row
 * count (a new prepared statement each time). This text is built once per table and column list.
 * Omitted columns take their database defaults; a value left out of a row (or `undefined`) is NULL.
 */
import { getTableColumns, type SQL, sql, type Table } from 'drizzle-orm';

export function recordsetInsert<T extends Table, K extends keyof T['$inferInsert'] & string>(
  table: T,
  keys: readonly K[],
) {
  const columns = getTableColumns(table) as Record<string, { name: string; getSQLType(): string }>;
  const names = keys.map((key) => (columns[key] as { name: string }).name);
  const list = sql.raw(names.map((name) => `"${name}"`).join(', '));
  const types = sql.raw(
    keys
      .map((key, i) => `"${names[i]}" ${(columns[key] as { getSQLType(): string }).getSQLType()}`)
      .join(', '),
  );
  return {
    /** `insert into <table> (<columns>) select … from jsonb_to_recordset(<rows>)`, to append to. */
    values(rows: ReadonlyArray<Pick<T['$inferInsert'], K>>): SQL {
      const json = JSON.stringify(
        rows.map((row) => {
          const out: Record<string, unknown> = {};
          for (const [i, key] of keys.entries()) out[names[i] as string] = row[key] ?? null;
          return out;
        }),
      );
      return sql`insert into ${table} (${list}) select ${list} from jsonb_to_recordset(${json}::jsonb) as r(${types})`;
    },
  };
}
