/** Recognising Postgres errors through drizzle's wrapper, so queries can turn them into domain errors. */

function postgresCode(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown) => postgresCode(error) === '23505';
export const isForeignKeyViolation = (error: unknown) => postgresCode(error) === '23503';
/** `lock_timeout` ran out (or NOWAIT found the row locked). */
export const isLockNotAvailable = (error: unknown) => postgresCode(error) === '55P03';
