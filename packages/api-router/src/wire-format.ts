/**
 * The API's wire format is superjson's; this produces it faster for the common case. superjson
 * walks every value of a response, copying it and building a path per value, to annotate Dates,
 * Maps, `undefined`s and shared references; for a response that is plain JSON (workflow
 * definitions, versions, run outputs: often hundreds of KB) there is nothing to annotate and its
 * output is exactly `{ json: value }`. One cheap pass checks that (~50× faster than superjson on
 * two 500-node definitions, which the compare page loads) and anything else goes to superjson, so
 * every client sees the same bytes as before.
 */
import superjson from 'superjson';

/** Keys superjson refuses (prototype pollution); left to it so it throws as it always has. */
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Whether superjson would serialize `value` as itself with no annotations: only null, strings,
 * booleans, finite numbers other than -0, arrays without holes or `undefined`, and objects with
 * `Object.prototype` as prototype, none of them reached twice (superjson annotates repeats).
 */
function isPlainJson(value: unknown, seen: Set<object>): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    default:
      return false;
  }
  const object = value as object;
  if (seen.has(object)) return false;
  seen.add(object);
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      if (!(i in object) || !isPlainJson(object[i], seen)) return false;
    }
    return true;
  }
  if (Object.getPrototypeOf(object) !== Object.prototype) return false;
  for (const key of Object.keys(object)) {
    if (REFUSED_KEYS.has(key) || !isPlainJson((object as Record<string, unknown>)[key], seen)) return false;
  }
  return true;
}

export function serialize(value: unknown): ReturnType<typeof superjson.serialize> {
  return isPlainJson(value, new Set()) ? { json: value as never } : superjson.serialize(value);
}

/** tRPC's transformer (inputs in, outputs out); reading stays superjson's own. */
export const wireTransformer = {
  serialize,
  deserialize: (payload: Parameters<typeof superjson.deserialize>[0]) => superjson.deserialize(payload),
};
