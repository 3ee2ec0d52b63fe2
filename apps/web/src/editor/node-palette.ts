/**
 * What the editor knows about node types, all of it from the server's registry (`nodeTypes.list`):
 * label, palette category, default config, handles, and the config's JSON Schema that the side
 * panel's form is drawn from. A type the server does not list (a plugin that was removed) still
 * gets a neutral entry, so an old workflow opens and shows what is wrong with it.
 */
import { createContext, useContext } from 'react';
import { describeSchema, type FieldSpec } from '../schema-form/json-schema.ts';
import type { RouterOutputs } from '../trpc.ts';

export type NodeTypeInfo = RouterOutputs['nodeTypes']['list'][number];

/** The categories built-in types use, in palette order; plugins may bring others (shown after). */
export const KNOWN_CATEGORIES = ['trigger', 'ai', 'logic', 'data', 'integration', 'result'] as const;

export const CATEGORY_LABELS: Record<string, string> = {
  trigger: 'Trigger',
  ai: 'AI',
  logic: 'Logic',
  data: 'Data',
  integration: 'Integrations',
  result: 'Result',
};

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? category.charAt(0).toUpperCase() + category.slice(1);
}

export interface PaletteEntry {
  type: string;
  label: string;
  category: string;
  description: string;
  defaultConfig: Record<string, unknown>;
  /** Whether the node accepts incoming edges. */
  hasInput: boolean;
  /** Output handles; several (a condition's `true`/`false`) are drawn as separate handles. */
  outputs: string[];
  configJsonSchema: Record<string, unknown>;
  /** The config form, read once from `configJsonSchema`. */
  configSpec: FieldSpec;
  /** False for a type the server does not know (any more). */
  known: boolean;
}

export function toPaletteEntry(info: NodeTypeInfo): PaletteEntry {
  return {
    type: info.type,
    label: info.label,
    category: info.category,
    description: info.description,
    defaultConfig: info.defaultConfig,
    hasInput: info.inputs.max === null || info.inputs.max > 0,
    outputs: info.outputs,
    configJsonSchema: info.configJsonSchema,
    configSpec: describeSchema(info.configJsonSchema),
    known: true,
  };
}

export function unknownNodeType(type: string): PaletteEntry {
  const schema = { type: 'object' };
  return {
    type,
    label: type,
    category: 'integration',
    description: 'A node type this server does not know',
    defaultConfig: {},
    hasInput: true,
    outputs: ['out'],
    configJsonSchema: schema,
    configSpec: describeSchema(schema),
    known: false,
  };
}

export interface NodeTypeCatalog {
  entries: PaletteEntry[];
  get(type: string): PaletteEntry;
}

export function createCatalog(list: readonly NodeTypeInfo[]): NodeTypeCatalog {
  const entries = list.map(toPaletteEntry);
  const byType = new Map(entries.map((entry) => [entry.type, entry]));
  return { entries, get: (type) => byType.get(type) ?? unknownNodeType(type) };
}

/** Palette groups: known categories in their order, then plugin categories alphabetically. */
export function groupByCategory(
  entries: readonly PaletteEntry[],
): Array<{ category: string; entries: PaletteEntry[] }> {
  const groups = new Map<string, PaletteEntry[]>();
  for (const entry of entries) groups.set(entry.category, [...(groups.get(entry.category) ?? []), entry]);
  const rank = (category: string) => {
    const index = (KNOWN_CATEGORIES as readonly string[]).indexOf(category);
    return index === -1 ? KNOWN_CATEGORIES.length : index;
  };
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([category, list]) => ({ category, entries: list }));
}

export const NodeTypesContext = createContext<NodeTypeCatalog>(createCatalog([]));

/** The entry for a node type, from the catalog the editor page loaded. */
export function useNodeType(type: string): PaletteEntry {
  return useContext(NodeTypesContext).get(type);
}
