/**
 * Loading third-party node types from packages named in configuration.
 *
 * Convention: a node package's entry module exports its types as `nodeTypes` (an array) or as its
 * default export (an array, or one type), each made with `defineNode` from `@swarm/engine` or an
 * object of the same shape. Types should be namespaced (`acme/slack`); a name that clashes with a
 * built-in type or another package's type is refused, and every failure names the package.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AnyNodeType, checkNodeType } from './node-type.ts';
import { BUILTIN_NODE_TYPE_NAMES } from './registry.ts';

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

export class NodePackageError extends Error {
  constructor(
    readonly packageName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`node package "${packageName}": ${message}`, options);
    this.name = 'NodePackageError';
  }
}

export interface LoadNodePackagesOptions {
  /**
   * Imports a package by name. The runner passes `(name) => import(name)` so names resolve from its
   * own dependencies (where plugin packages are installed).
   */
  importPackage?: ((name: string) => Promise<unknown>) | undefined;
  /** Otherwise names are resolved from this directory with Node's resolution (default: the cwd). */
  resolveFrom?: string | undefined;
}

function exportedTypes(module: unknown): unknown[] | null {
  const m = module as { nodeTypes?: unknown; default?: unknown } | null;
  if (!m || typeof m !== 'object') return null;
  const fromDefault = m.default as { nodeTypes?: unknown } | undefined;
  const candidate = m.nodeTypes ?? fromDefault?.nodeTypes ?? m.default;
  if (Array.isArray(candidate)) return candidate;
  if (candidate && typeof candidate === 'object' && 'execute' in candidate) return [candidate];
  return null;
}

async function importByName(name: string, options: LoadNodePackagesOptions): Promise<unknown> {
  if (options.importPackage) return options.importPackage(name);
  const require = createRequire(join(options.resolveFrom ?? process.cwd(), 'noop.js'));
  const entry = require.resolve(name);
  return import(pathToFileURL(entry).href);
}

/**
 * Imports each package and returns the node types they export, checked and without clashes. Pass
 * the result to `createNodeRegistry`.
 */
export async function loadNodePackages(
  names: readonly string[],
  options: LoadNodePackagesOptions = {},
): Promise<AnyNodeType[]> {
  const loaded: AnyNodeType[] = [];
  const owner = new Map<string, string>();
  for (const name of names) {
    if (!PACKAGE_NAME.test(name)) throw new NodePackageError(name, 'is not a package name');
    let module: unknown;
    try {
      module = await importByName(name, options);
    } catch (err) {
      throw new NodePackageError(name, `could not be loaded: ${(err as Error).message}`, { cause: err });
    }
    const types = exportedTypes(module);
    if (!types || types.length === 0)
      throw new NodePackageError(
        name,
        'exports no node types (expected `export const nodeTypes = [...]` or a default export)',
      );
    for (const [index, candidate] of types.entries()) {
      const problems = checkNodeType(candidate);
      if (problems.length > 0)
        throw new NodePackageError(name, `node type #${index + 1} is invalid: ${problems.join('; ')}`);
      const nodeType = candidate as AnyNodeType;
      if (BUILTIN_NODE_TYPE_NAMES.has(nodeType.type))
        throw new NodePackageError(
          name,
          `node type "${nodeType.type}" clashes with the built-in type of that name`,
        );
      const other = owner.get(nodeType.type);
      if (other)
        throw new NodePackageError(
          name,
          `node type "${nodeType.type}" is already defined by package "${other}"`,
        );
      owner.set(nodeType.type, name);
      loaded.push(nodeType);
    }
  }
  return loaded;
}
