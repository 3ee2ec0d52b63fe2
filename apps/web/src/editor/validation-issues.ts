/**
 * Maps validation issues (`definition.nodes[2].config.model`, `definition.edges[3].target`) onto
 * the node and edge ids they concern. Indexes are resolved against the definition that was
 * validated, not the current one, so an answer that arrives after further edits still points at
 * the right node (or at nothing, if that node is gone).
 */
import type { WorkflowDefinition } from '@swarm/engine';
import type { ApiIssue } from '../api-error.ts';

export interface LocatedIssue {
  path: string;
  message: string;
  /** The node or edge concerned, if the path points inside one. */
  target: { kind: 'node' | 'edge'; id: string } | null;
  /** What inside the node: `config.model`, `name`, … ('' for the node as a whole). */
  field: string;
}

const ITEM_PATH = /^(?:definition\.)?(nodes|edges)\[(\d+)\](?:\.(.*))?$/;

export function locateIssues(issues: ApiIssue[], validated: WorkflowDefinition): LocatedIssue[] {
  return issues.map((issue) => {
    const match = ITEM_PATH.exec(issue.path);
    if (!match) return { ...issue, target: null, field: '' };
    const [, collection, index, rest = ''] = match;
    const item = collection === 'nodes' ? validated.nodes[Number(index)] : validated.edges[Number(index)];
    if (!item) return { ...issue, target: null, field: rest };
    return { ...issue, target: { kind: collection === 'nodes' ? 'node' : 'edge', id: item.id }, field: rest };
  });
}

export function groupByTarget(issues: LocatedIssue[], kind: 'node' | 'edge'): Map<string, LocatedIssue[]> {
  const map = new Map<string, LocatedIssue[]>();
  for (const issue of issues) {
    if (issue.target?.kind !== kind) continue;
    const list = map.get(issue.target.id);
    if (list) list.push(issue);
    else map.set(issue.target.id, [issue]);
  }
  return map;
}
