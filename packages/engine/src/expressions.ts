/**
 * JSONata for `transform` and `condition` nodes (and webhook payload mappings). JSONata is
 * interpreted by its own evaluator — nothing reaches `eval`, `new Function` or `vm` — but a user
 * expression can still recurse forever, build huge sequences or backtrack a regex for minutes, so
 * every evaluation runs with jsonata's guardrails (time, stack depth, sequence length) plus a length
 * limit on the source and a screen on regular expressions. Failures are `expression_error`s that
 * say which limit was hit.
 *
 * jsonata's time limit is checked between evaluation steps, so one builtin call (`$pad` building a
 * 200 MB string) runs past it and blocks its thread. That is why evaluation itself happens only in
 * the expression pool's worker threads (expression-pool.ts, which adds a hard deadline, a heap cap
 * and size caps); this module is what those workers run. Compiling (parsing) stays in-process: it is
 * linear in the source, which is at most `maxLength` characters.
 */
import jsonata from 'jsonata';
import { NodeError } from './node-type.ts';
import { unsafeRegExpReason } from './regex-screen.ts';
import type { TemplateScope } from './templating.ts';

export interface ExpressionLimits {
  /** Longest expression source, in characters. */
  maxLength: number;
  /** Wall time one evaluation may take. */
  timeoutMs: number;
  /** Nested evaluation depth (recursion through `$f` calls counts). */
  maxDepth: number;
  /** Longest sequence an evaluation may build. */
  maxSequence: number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = {
  maxLength: 10_000,
  timeoutMs: 1_000,
  maxDepth: 300,
  maxSequence: 100_000,
};

export class ExpressionError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('expression_error', message, options);
    this.name = 'ExpressionError';
  }
}

/**
 * Refuses regular expressions that can backtrack catastrophically (a quantified group that itself
 * contains a quantifier, like `(a+)+`) — the evaluator's timeout cannot interrupt a native regex.
 */
class ScreenedRegExp extends RegExp {
  constructor(pattern: string | RegExp, flags?: string) {
    const reason = unsafeRegExpReason(typeof pattern === 'string' ? pattern : pattern.source);
    if (reason !== null) throw new ExpressionError(reason);
    super(pattern, flags);
  }
}

/** Widest `$pad` result, in characters (the one builtin whose output size is a plain number). */
export const MAX_PAD_WIDTH = 1_000_000;

const codePoints = (text: string) => Array.from(text);

/**
 * jsonata's `$pad` with its width bounded: `$pad("", 200000000, "x")` builds 200 MB in one builtin
 * call, where no time limit can step in. Same result as jsonata's own below the bound (widths count
 * code points; a multi-character `char` is repeated and cut; negative widths pad on the left).
 */
function boundedPad(text: string | undefined, width: number, char?: string): string | undefined {
  if (text === undefined) return undefined;
  const fill = char === undefined || char.length === 0 ? ' ' : char;
  const wanted = Math.trunc(width);
  if (Math.abs(wanted) > MAX_PAD_WIDTH)
    throw new ExpressionError(
      `expression failed: $pad to ${Math.abs(wanted)} characters is over the limit of ${MAX_PAD_WIDTH} characters`,
    );
  const padLength = Math.abs(wanted) - codePoints(text).length;
  if (padLength <= 0) return text;
  const fillPoints = codePoints(fill);
  const padding =
    fillPoints.length === 1 && fill.length === 1
      ? fill.repeat(padLength)
      : codePoints(fill.repeat(Math.ceil(padLength / fillPoints.length)))
          .slice(0, padLength)
          .join('');
  return wanted > 0 ? text + padding : padding + text;
}

interface JsonataFailure {
  code?: string;
  message?: string;
  position?: number;
  value?: unknown;
  error?: JsonataFailure;
}

function describeFailure(err: unknown, limits: ExpressionLimits): string {
  if (err instanceof ExpressionError) return err.message;
  const failure = (err ?? {}) as JsonataFailure;
  // `$eval` wraps the inner failure; report the one that says what happened.
  const inner =
    (failure.code === 'D3121' || failure.code === 'D3120') && failure.error ? failure.error : failure;
  switch (inner.code) {
    case 'D1011':
      return `expression recursed deeper than ${limits.maxDepth} levels (a function that never stops calling itself?)`;
    case 'D1012':
      return `expression ran longer than ${limits.timeoutMs} ms`;
    case 'D2015':
      return `expression built a sequence longer than ${limits.maxSequence} items`;
  }
  if (err instanceof RangeError) return `expression ran out of resources: ${err.message}`;
  const message = inner.message ?? (err instanceof Error ? err.message : String(err));
  const where = typeof inner.position === 'number' ? ` (at character ${inner.position})` : '';
  return `${message}${where}`;
}

function limitsWith(overrides?: Partial<ExpressionLimits>): ExpressionLimits {
  return { ...DEFAULT_EXPRESSION_LIMITS, ...overrides };
}

/**
 * Compiled expressions by limits and source, least recently used first out. Parsing and setting up
 * jsonata's function library cost ~50 µs per expression, more than most evaluations; a workflow runs
 * the same few expressions over and over. Sharing is safe: jsonata 2.x evaluates in a fresh frame
 * per call, and nothing assigns bindings on a compiled expression (the one function registered,
 * the bounded `$pad`, is registered once, before it is shared).
 */
const compiled = new Map<string, jsonata.Expression>();
const COMPILED_CACHE_SIZE = 500;

/** Parses an expression, throwing `ExpressionError` with the position of a syntax error. */
export function compileExpression(source: string, overrides?: Partial<ExpressionLimits>): jsonata.Expression {
  const limits = limitsWith(overrides);
  if (typeof source !== 'string' || source.trim() === '') throw new ExpressionError('expression is empty');
  if (source.length > limits.maxLength)
    throw new ExpressionError(`expression longer than ${limits.maxLength} characters`);
  const key = `${limits.timeoutMs}/${limits.maxDepth}/${limits.maxSequence}\n${source}`;
  const hit = compiled.get(key);
  if (hit) {
    compiled.delete(key);
    compiled.set(key, hit);
    return hit;
  }
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source, {
      timeout: limits.timeoutMs,
      stack: limits.maxDepth,
      sequence: limits.maxSequence,
      RegexEngine: ScreenedRegExp as unknown as RegExpConstructor,
    });
  } catch (err) {
    throw new ExpressionError(`invalid expression: ${describeFailure(err, limits)}`, { cause: err });
  }
  // Same signature as jsonata's own (`<s-ns?:s>`: a string or the context, a number, a string).
  expression.registerFunction('pad', boundedPad, '<s-ns?:s>');
  compiled.set(key, expression);
  if (compiled.size > COMPILED_CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
  return expression;
}

/** The problem with an expression's syntax, or null (for validation: never evaluates it). */
export function checkExpressionSyntax(source: string, overrides?: Partial<ExpressionLimits>): string | null {
  try {
    compileExpression(source, overrides);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Node ids an expression reads as `nodes.<id>` (a static scan of the syntax tree, for validation).
 * Dynamic access (`nodes.*`, `$lookup(nodes, $x)`) is not found here and simply reads what ran.
 */
export function expressionNodeReferences(source: string): string[] {
  let ast: jsonata.ExprNode;
  try {
    ast = compileExpression(source).ast();
  } catch {
    return [];
  }
  const found = new Set<string>();
  const stack: unknown[] = [ast];
  let visited = 0;
  while (stack.length > 0 && visited++ < 100_000) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    const expr = node as jsonata.ExprNode;
    if ((expr.type as string) === 'path' && Array.isArray(expr.steps)) {
      const [first, second] = expr.steps;
      if (first?.type === 'name' && first.value === 'nodes' && second?.type === 'name')
        found.add(String(second.value));
    }
    for (const value of Object.values(expr)) if (value && typeof value === 'object') stack.push(value);
  }
  return [...found];
}

export interface InThreadEvaluation {
  limits?: Partial<ExpressionLimits> | undefined;
  /** Extra `$name` bindings (a webhook mapping's `$headers` and `$query`). */
  bindings?: Record<string, unknown> | undefined;
}

/**
 * Evaluates `source` over `data` within the limits, on the calling thread; `undefined` (no match)
 * comes back as `null`. Only expression workers call this: anywhere else, use an `ExpressionPool`.
 */
export async function evaluateInThisThread(
  source: string,
  data: unknown,
  options: InThreadEvaluation = {},
): Promise<unknown> {
  return JSON.parse(await evaluateToJson(source, data, options));
}

/** `evaluateInThisThread`'s result as JSON text (what a worker sends back: serialised once). */
export async function evaluateToJson(
  source: string,
  data: unknown,
  options: InThreadEvaluation = {},
): Promise<string> {
  const limits = limitsWith(options.limits);
  const expression = compileExpression(source, limits);
  let result: unknown;
  try {
    result = await expression.evaluate(data, options.bindings);
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    throw new ExpressionError(`expression failed: ${describeFailure(err, limits)}`, { cause: err });
  }
  return jsonText(result);
}

/**
 * What of `{ input, nodes }` an expression can read: the ids of the nodes it names statically
 * (`nodes.<id>...`), or `all` when it may reach `nodes` dynamically (`nodes.*`, `$lookup(nodes, x)`,
 * `$`/`$$`, `%`, `**`, `$eval`). Lets a caller send a worker only the upstream outputs it reads, so a
 * step's cost does not grow with the number of nodes before it. Conservative: anything unclear is `all`.
 */
export function expressionReads(source: string): { nodes: 'all' | readonly string[] } {
  const cached = readsCache.get(source);
  if (cached) return cached;
  let reads: { nodes: 'all' | readonly string[] };
  try {
    reads = scanReads(compileExpression(source).ast());
  } catch {
    reads = { nodes: 'all' };
  }
  readsCache.set(source, reads);
  if (readsCache.size > COMPILED_CACHE_SIZE) readsCache.delete(readsCache.keys().next().value as string);
  return reads;
}

/**
 * `{ input, nodes }` as an expression reads it, with only the upstream outputs it names when it names
 * them statically: the data goes to a worker process as JSON, and sending every ancestor's output
 * would make each step's cost grow with the length of the graph before it.
 */
export function expressionData(expression: string, scope: TemplateScope): unknown {
  const reads = expressionReads(expression).nodes;
  if (reads === 'all') return { input: scope.input, nodes: { ...scope.nodes } };
  const nodes: Record<string, { output: unknown }> = {};
  for (const id of reads) {
    const entry = scope.nodes[id];
    if (entry) nodes[id] = entry;
  }
  return { input: scope.input, nodes };
}

const readsCache = new Map<string, { nodes: 'all' | readonly string[] }>();

function scanReads(ast: jsonata.ExprNode): { nodes: 'all' | readonly string[] } {
  const ids = new Set<string>();
  // Name nodes that are the `<id>` or `nodes` of a static `nodes.<id>` path: not dynamic uses.
  const accounted = new Set<object>();
  const stack: unknown[] = [ast];
  let visited = 0;
  while (stack.length > 0) {
    if (visited++ > 100_000) return { nodes: 'all' };
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    const expr = node as jsonata.ExprNode & { procedure?: jsonata.ExprNode };
    const type = expr.type as string;
    if (type === 'parent' || type === 'wildcard' || type === 'descendant') return { nodes: 'all' };
    if (type === 'variable' && (expr.value === '' || expr.value === '$')) return { nodes: 'all' };
    if (type === 'function' && expr.procedure?.value === 'eval') return { nodes: 'all' };
    if (type === 'path' && Array.isArray(expr.steps)) {
      const [first, second] = expr.steps;
      if (first?.type === 'name' && first.value === 'nodes' && second?.type === 'name') {
        ids.add(String(second.value));
        accounted.add(first);
      }
    }
    if (type === 'name' && expr.value === 'nodes' && !accounted.has(expr)) return { nodes: 'all' };
    // Visit path steps last-pushed-first so a path is seen before its own steps.
    for (const value of Object.values(expr)) if (value && typeof value === 'object') stack.push(value);
  }
  return { nodes: [...ids] };
}

/**
 * JSONata results can be its internal sequences (arrays with extra flags) or functions; downstream
 * nodes and the database want plain JSON.
 */
function jsonText(value: unknown): string {
  if (value === undefined) return 'null';
  if (typeof value === 'function') throw new ExpressionError('expression returned a function, not data');
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (err) {
    throw new ExpressionError(`expression result is not JSON: ${(err as Error).message}`);
  }
}

/** JSONata's `$boolean` rules: empty strings, 0, empty arrays/objects, null and no match are false. */
export function expressionTruth(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some((item) => expressionTruth(item));
  if (typeof value === 'object') return Object.keys(value).length > 0;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  return Boolean(value);
}
