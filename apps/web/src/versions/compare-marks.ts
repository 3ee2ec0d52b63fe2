/**
 * Maps a compare summary (matched by node and edge ids) to what each side's canvas shows: on the
 * "from" side removed things are red; on the "to" side added things are green; modified nodes and
 * edges are amber on both; moved nodes are marked on both.
 */
import type { DefinitionChangeSummary } from '@swarm/engine';

export type DiffMark = 'added' | 'removed' | 'modified' | 'moved';

export interface SideMarks {
  nodes: Map<string, DiffMark[]>;
  edges: Map<string, DiffMark>;
}

export function compareMarks(summary: DefinitionChangeSummary, side: 'from' | 'to'): SideMarks {
  const nodes = new Map<string, DiffMark[]>();
  const mark = (id: string, value: DiffMark) => nodes.set(id, [...(nodes.get(id) ?? []), value]);
  if (side === 'from') for (const node of summary.nodes.removed) mark(node.id, 'removed');
  else for (const node of summary.nodes.added) mark(node.id, 'added');
  for (const node of summary.nodes.modified) mark(node.id, 'modified');
  for (const node of summary.nodes.moved) mark(node.id, 'moved');

  const edges = new Map<string, DiffMark>();
  if (side === 'from') for (const edge of summary.edges.removed) edges.set(edge.id, 'removed');
  else for (const edge of summary.edges.added) edges.set(edge.id, 'added');
  for (const edge of summary.edges.modified) edges.set(edge.id, 'modified');
  return { nodes, edges };
}

export const MARK_COLOURS: Record<DiffMark, string> = {
  added: '#16a34a',
  removed: '#e11d48',
  modified: '#d97706',
  moved: '#6366f1',
};

/** The colour a node is outlined in: its strongest mark (added/removed over modified over moved). */
export function nodeColour(marks: DiffMark[] | undefined): string | null {
  if (!marks || marks.length === 0) return null;
  for (const mark of ['added', 'removed', 'modified', 'moved'] as const) {
    if (marks.includes(mark)) return MARK_COLOURS[mark];
  }
  return null;
}
