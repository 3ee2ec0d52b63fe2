/**
 * `{{input.query}}` / `{{nodes.researcher.output.title}}` placeholders in node config strings.
 * Deliberately not an expression language: a placeholder is a path (dots, `[0]`, `["a key"]`) from
 * one of two roots, resolved over own properties only — nothing is evaluated, nothing reaches a
 * prototype. Logic belongs in `transform`/`condition` nodes (JSONata, with limits).
 *
 * Missing values render as the empty string: a branch that was skipped, or an optional input field
 * left out, must not fail the run. Malformed placeholders and references to nodes that don't run
 * before the node are caught when the workflow is validated, so the only runtime surprise is "".
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

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME = /^[A-Za-z0-9_$-]+/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_TEMPLATE_LENGTH = 200_000;

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
  for (const match of template.matchAll(PLACEHOLDER)) {
    const parsed = parsePlaceholder(match[1] ?? '');
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

export function renderTemplate(template: string, scope: TemplateScope): string {
  if (template.length > MAX_TEMPLATE_LENGTH)
    throw new TemplateError(`template longer than ${MAX_TEMPLATE_LENGTH} characters`);
  return template.replace(PLACEHOLDER, (_whole, inner: string) => {
    const parsed = parsePlaceholder(inner);
    if (typeof parsed === 'string') throw new TemplateError(parsed);
    return templateText(resolvePlaceholder(parsed, scope));
  });
}

/**
 * Renders every string in a JSON value (an HTTP body, headers). A string that is exactly one
 * placeholder becomes the value itself, so `{"count": "{{nodes.n.output}}"}` keeps a number.
 */
export function renderTemplateValue(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') {
    const only = /^\{\{\s*([^{}]*?)\s*\}\}$/.exec(value);
    if (only) {
      const parsed = parsePlaceholder(only[1] ?? '');
      if (typeof parsed === 'string') throw new TemplateError(parsed);
      return resolvePlaceholder(parsed, scope) ?? null;
    }
    return renderTemplate(value, scope);
  }
  if (Array.isArray(value)) return value.map((item) => renderTemplateValue(item, scope));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN.has(key)) continue;
      out[key] = renderTemplateValue(item, scope);
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
