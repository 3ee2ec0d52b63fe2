/**
 * Regular expressions written by users (JSONata regexes, JSON Schema `pattern`s) run on V8's
 * backtracking engine, where no time limit can step in: `/(a+)+$/` against thirty `a`s and a `!`
 * takes minutes. Patterns that can backtrack catastrophically — a quantified group that itself
 * contains a quantifier, or a backreference — and overlong ones are refused before they are compiled.
 */

/** Why a pattern is refused, or null when it may be used. */
export function unsafeRegExpReason(source: string): string | null {
  if (source.length > 500) return 'regular expression longer than 500 characters';
  if (/\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]/.test(source) || /\\\d/.test(source))
    return `regular expression /${source}/ can take exponential time (nested quantifiers or backreferences)`;
  return null;
}
