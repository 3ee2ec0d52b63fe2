/** Asserting on API errors the way a client sees them: the tRPC code, message and issue paths. */
import { isSwarmError } from '@swarm/client';
import { expect } from 'vitest';

export async function expectApiError(
  call: Promise<unknown>,
  code: string,
  expected: { message?: RegExp; paths?: string[] } = {},
) {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isSwarmError(error))
    throw new Error(`expected a ${code} API error, got ${error === null ? 'success' : String(error)}`);
  expect(error.data?.code).toBe(code);
  if (expected.message) expect(error.message).toMatch(expected.message);
  if (expected.paths)
    expect(error.data?.issues?.map((i) => i.path)).toEqual(expect.arrayContaining(expected.paths));
  return error;
}
