/**
 * `{{input.query}}` / `{{nodes.researcher.output.title}}` placeholders in node config strings.
 * Deliberately not an expression language: a placeholder is a path (dots, `[0]`, `["a key"]`) from
 * one of two roots, resolved over own properties only — nothing is evaluated, nothing reaches a
 * prototype. Logic belongs in `transform`/`condition` nodes (JSONata, with limits).
 *
 * Missing values render as the empty string: a branch that was skipped, or an optional input field
 * left out, must not fail the run. Malformed placeholders and references to nodes that don't run
 * before the node are caught when the workflow is validated, so the only runtime surprise is "".
 *
 * Why templates are rendered in-process while expressions go to worker processes: rendering cannot
 * block. Placeholders are found by one forward scan with `indexOf` (no regular expression that could
 * backtrack), each is parsed by a sticky, anchored step pattern that never backtracks across steps,
 * and each path step is one own-property lookup. A value is turned into text once per placeholder
 * source (JSON of a node output the executor already capped at its size limit), and the rendered
 * text stops at `MAX_RENDERED_LENGTH`: a 200,000-character template repeating a 1 MB output fails
 * with an error instead of building gigabytes. So the work is linear in the template plus that cap.
 */
import { NodeError } from './node-type.ts';

export const TEMPLATE_ROOTS = ['input', 'nodes'] as const;
export type TemplateRoot = (typeof TEMPLATE_ROOTS)[number];

export type TemplateSegment = string | number;

export interface TemplatePlaceholder {
  /** The text between the braces, trimmed (for messages). */
  source: string;
  root: TemplateRoot;
  segments: TemplateSegment[];
}

export interface TemplateScope {
  input: unknown;
  nodes: Readonly<Record<string, { output: unknown }>>;
}

const NAME = /^[A-Za-z0-9_$-]+/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_TEMPLATE_LENGTH = 200_000;
/** Longest text a template may render to (characters). */
export const MAX_RENDERED_LENGTH = 10_000_000;

/**
 * The `{{…}}` placeholders of a template, in order: each with its inner text (trimmed) and span.
 * Same rule as `/\{\{\s*([^{}]*?)\s*\}\}/g` — the innermost `{{` whose `}}` follows with no
 * brace in between — found in one forward scan, so no input makes it slower than linear.
 */
function* placeholderSpans(template: string): Generator<{ start: number; end: number; inner: string }> {
  let from = 0;
  for (;;) {
    const close = template.indexOf('}}', from);
    if (close < 0) return;
    // The nearest brace before this `}}` decides: a `{{` ending right there opens a placeholder.
    let open = close - 1;
    while (open >= from && template[open] !== '{' && template[open] !== '}') open--;
    if (open >= from + 1 && template[open] === '{' && template[open - 1] === '{') {
      yield { start: open - 1, end: close + 2, inner: template.slice(open + 1, close).trim() };
      from = close + 2;
    } else {
      from = close + 1;
    }
  }
}

export class TemplateError extends NodeError {
  constructor(message: string) {
    super('template_error', message);
    this.name = 'TemplateError';
  }
}

/** Parses the inside of one `{{ }}`; returns a message when it is not a valid path. */
export function parsePlaceholder(source: string): TemplatePlaceholder | string {
  const rootMatch = NAME.exec(source);
  const root = rootMatch?.[0];
  if (!root || !(TEMPLATE_ROOTS as readonly string[]).includes(root))
    return `placeholder "{{${source}}}" must start with "input" or "nodes"`;
  const segments: TemplateSegment[] = [];
  // One path step at a time, anchored where the previous one ended (sticky flag).
  const step = /\.([A-Za-z0-9_$-]+)|\[(\d{1,9})\]|\[(?:"([^"\\]*)"|'([^'\\]*)')\]/y;
  step.lastIndex = root.length;
  while (step.lastIndex < source.length) {
    const match = step.exec(source);
    if (!match) return `placeholder "{{${source}}}" is not a path like input.query or nodes.<id>.output`;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(match[3] ?? match[4] ?? '');
  }
  const forbidden = segments.find((s) => typeof s === 'string' && FORBIDDEN.has(s));
  if (forbidden !== undefined) return `placeholder "{{${source}}}" may not use "${forbidden}"`;
  if (root === 'nodes' && typeof segments[0] !== 'string')
    return `placeholder "{{${source}}}" must name a node: nodes.<id>.output`;
  return { source, root: root as TemplateRoot, segments };
}

/** Every placeholder of a template, with a message for each malformed one. */
export function scanTemplate(template: string): {
  placeholders: TemplatePlaceholder[];
  errors: string[];
} {
  const placeholders: TemplatePlaceholder[] = [];
  const errors: string[] = [];
  if (template.length > MAX_TEMPLATE_LENGTH) {
    errors.push(`template longer than ${MAX_TEMPLATE_LENGTH} characters`);
    return { placeholders, errors };
  }
  for (const span of placeholderSpans(template)) {
    const parsed = parsePlaceholder(span.inner);
    if (typeof parsed === 'string') errors.push(parsed);
    else placeholders.push(parsed);
  }
  return { placeholders, errors };
}

/** Follows a path over own properties; anything missing on the way is `undefined`. */
export function resolvePlaceholder(placeholder: TemplatePlaceholder, scope: TemplateScope): unknown {
  let value: unknown = placeholder.root === 'input' ? scope.input : scope.nodes;
  for (const segment of placeholder.segments) {
    if (value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value)) {
      if (typeof segment !== 'number') return undefined;
      value = value[segment];
      continue;
    }
    const key = String(segment);
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** How a value reads inside text: strings as they are, JSON for objects, "" for nothing. */
export function templateText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** Characters a render may still produce; one budget is shared by every string of a value. */
interface RenderBudget {
  left: number;
}

export function renderTemplate(
  template: string,
  scope: TemplateScope,
  budget: RenderBudget = { left: MAX_RENDERED_LENGTH },
): string {
  if (template.length > MAX_TEMPLATE_LENGTH)
    throw new TemplateError(`template longer than ${MAX_TEMPLATE_LENGTH} characters`);
  const parts: string[] = [];
  const texts = new Map<string, string>();
  let from = 0;
  const add = (text: string) => {
    budget.left -= text.length;
    if (budget.left < 0)
      throw new TemplateError(`templates render to more than ${MAX_RENDERED_LENGTH} characters`);
    parts.push(text);
  };
  for (const span of placeholderSpans(template)) {
    add(template.slice(from, span.start));
    let text = texts.get(span.inner);
    if (text === undefined) {
      const parsed = parsePlaceholder(span.inner);
      if (typeof parsed === 'string') throw new TemplateError(parsed);
      text = templateText(resolvePlaceholder(parsed, scope));
      texts.set(span.inner, text);
    }
    add(text);
    from = span.end;
  }
  add(template.slice(from));
  return parts.join('');
}

/**
 * Renders every string in a JSON value (an HTTP body, headers). A string that is exactly one
 * placeholder becomes the value itself, so `{"count": "{{nodes.n.output}}"}` keeps a number.
 */
export function renderTemplateValue(
  value: unknown,
  scope: TemplateScope,
  budget: RenderBudget = { left: MAX_RENDERED_LENGTH },
): unknown {
  if (typeof value === 'string') {
    const first = placeholderSpans(value).next();
    if (!first.done && first.value.start === 0 && first.value.end === value.length) {
      const parsed = parsePlaceholder(first.value.inner);
      if (typeof parsed === 'string') throw new TemplateError(parsed);
      return resolvePlaceholder(parsed, scope) ?? null;
    }
    return renderTemplate(value, scope, budget);
  }
  if (Array.isArray(value)) return value.map((item) => renderTemplateValue(item, scope, budget));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN.has(key)) continue;
      out[key] = renderTemplateValue(item, scope, budget);
    }
    return out;
  }
  return value;
}

/** Every string inside a value with its path (for validating templated config fields). */
export function collectStrings(
  value: unknown,
  path: Array<string | number> = [],
): Array<{ path: Array<string | number>; text: string }> {
  const found: Array<{ path: Array<string | number>; text: string }> = [];
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path }];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (typeof current.value === 'string') found.push({ path: current.path, text: current.value });
    else if (Array.isArray(current.value))
      current.value.forEach((item, i) => {
        stack.push({ value: item, path: [...current.path, i] });
      });
    else if (current.value !== null && typeof current.value === 'object')
      for (const [key, item] of Object.entries(current.value))
        stack.push({ value: item, path: [...current.path, key] });
  }
  return found;
}
