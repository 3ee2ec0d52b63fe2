/**
 * Every parameterised query as a named prepared statement. drizzle's postgres-js driver sends its
 * queries unprepared (`prepare: false`), and postgres.js then asks the server to describe each one
 * before binding it: two round trips per query, and the server parses, analyses and plans the text
 * again every time — in a B3 profile (perf on the backends) a third of Postgres's CPU per run.
 * Prepared, a text repeated on a connection (every hot-path statement) is parsed once and, after
 * Postgres's five custom plans, planned once, in one round trip. Statements live as long as their
 * connection (`idle_timeout` closes idle ones); PgBouncer's transaction mode, which cannot keep
 * them, is unsupported anyway (docs/production.md).
 */
import type postgres from 'postgres';

type Unsafe = postgres.Sql['unsafe'];
type Callback = (sql: postgres.Sql) => unknown;

/** `sql` whose `unsafe` prepares queries with parameters, in transactions and savepoints too. */
export function preparingClient<T extends postgres.Sql | postgres.TransactionSql>(sql: T): T {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'unsafe') {
        return ((query: string, args?: unknown[], options?: postgres.UnsafeQueryOptions) =>
          (target.unsafe as Unsafe)(
            query,
            args as postgres.ParameterOrJSON<never>[],
            args && args.length > 0 ? { ...options, prepare: true } : options,
          )) as Unsafe;
      }
      if (prop === 'begin' || prop === 'savepoint') {
        // The callback comes last (after optional options or a savepoint name).
        return (...params: unknown[]) => {
          const callback = params.pop() as Callback;
          return (value as (...a: unknown[]) => unknown).call(target, ...params, (tx: postgres.Sql) =>
            callback(preparingClient(tx)),
          );
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
