/**
 * Many-row inserts on the runner's hot path as one fixed statement: the rows travel as a single
 * JSON parameter that `jsonb_to_recordset` reads back into typed columns. Drizzle's insert builder
 * walks every column of every row with runtime type checks — in a B3 profile, building the step
 * and ledger inserts cost the runner ~0.5 ms per run — and writes a different text for every row
 * count (a new prepared statement each time). This text is built once per table and column list.
 * Omitted columns take their database defaults; a value left out of a row (or `undefined`) is NULL.
 */
import { type AnyColumn, getTableColumns, type SQL, sql, type Table } from 'drizzle-orm';

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

/**
 * `= any(<ids>)` with the ids as ONE text parameter: a fixed statement text for any number of ids
 * (one prepared statement), and a condition the planner answers with the primary key's index. A
 * join with `jsonb_array_elements_text(…)` instead gets a row estimate of 100 and, planned once
 * while the table was small, a sequential scan it keeps for good (the claim of a batch cost
 * ~320 µs per run that way in B3).
 */
export function equalsAnyId(column: SQL | AnyColumn, ids: readonly string[]): SQL {
  return sql`${column} = any(string_to_array(${ids.join(',')}, ',')::uuid[])`;
}
