/**
 * The draft's problems: the server's check of the whole definition (it knows every node type's
 * config schema), run a moment after the last change, merged with the config problems the form can
 * see at once from each type's schema. Issues about things deleted since the check ran are dropped.
 */
import type { WorkflowDefinition } from '@swarm/engine';
import { checkWorkflowDefinition } from '@swarm/engine';
import { useContext, useEffect, useMemo, useState } from 'react';
import { type ApiIssue, readApiError } from '../api-error.ts';
import { checkValue } from '../schema-form/json-schema.ts';
import { useTRPCClient } from '../trpc.ts';
import { useDebouncedValue } from '../use-debounced-value.ts';
import type { FlowEdge, FlowNode } from './graph.ts';
import { NodeTypesContext } from './node-palette.ts';
import { groupByTarget, type LocatedIssue, locateIssues } from './validation-issues.ts';

const VALIDATE_DELAY_MS = 400;

interface ValidationResult {
  json: string;
  definition: WorkflowDefinition;
  issues: ApiIssue[];
}

export function useDefinitionValidation(definitionJson: string, nodes: FlowNode[], edges: FlowEdge[]) {
  const client = useTRPCClient();
  const catalog = useContext(NodeTypesContext);
  const [validation, setValidation] = useState<ValidationResult | null>(null);
  const debouncedJson = useDebouncedValue(definitionJson, VALIDATE_DELAY_MS);
  useEffect(() => {
    let cancelled = false;
    const definition = JSON.parse(debouncedJson) as WorkflowDefinition;
    client.workflows.validate.mutate({ definition }).then(
      (result) => {
        if (!cancelled) setValidation({ json: debouncedJson, definition, issues: result.issues });
      },
      (error: unknown) => {
        if (cancelled) return;
        // Rejected input still names its problems; if the server is unreachable, check locally.
        const { issues } = readApiError(error);
        const fallback = issues.length > 0 ? issues : checkWorkflowDefinition(definition).issues;
        setValidation({ json: debouncedJson, definition, issues: fallback });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [debouncedJson, client]);

  // Config problems the form can see at once (a required field emptied), from each type's schema.
  const configIssues = useMemo(
    () =>
      nodes.flatMap((node, index): LocatedIssue[] => {
        const entry = catalog.get(node.data.nodeType);
        if (!entry.known) return [];
        return checkValue(entry.configSpec, node.data.config, 'config').map((issue) => ({
          path: `definition.nodes[${index}].${issue.path}`,
          message: issue.message,
          target: { kind: 'node', id: node.id },
          field: issue.path,
        }));
      }),
    [nodes, catalog],
  );
  const issues = useMemo(() => {
    const nodeIds = new Set(nodes.map((n) => n.id));
    const edgeIds = new Set(edges.map((e) => e.id));
    // Drop issues about things deleted since the check ran.
    const server = validation
      ? locateIssues(validation.issues, validation.definition).filter(
          (issue) =>
            !issue.target ||
            (issue.target.kind === 'node' ? nodeIds.has(issue.target.id) : edgeIds.has(issue.target.id)),
        )
      : [];
    const key = (issue: LocatedIssue) => `${issue.target?.id ?? ''}|${issue.field}|${issue.message}`;
    const seen = new Set(server.map(key));
    return [...server, ...configIssues.filter((issue) => !seen.has(key(issue)))];
  }, [validation, nodes, edges, configIssues]);
  const nodeIssues = useMemo(() => groupByTarget(issues, 'node'), [issues]);
  const edgeIssues = useMemo(() => groupByTarget(issues, 'edge'), [issues]);

  return {
    issues,
    nodeIssues,
    edgeIssues,
    /** The shown issues are for an earlier version of the draft; a check is on its way. */
    checking: validation?.json !== definitionJson,
    /** Shows issues the server gave elsewhere (refusing to save or run this definition). */
    showIssues: (json: string, reported: ApiIssue[]) =>
      setValidation({ json, definition: JSON.parse(json) as WorkflowDefinition, issues: reported }),
  };
}
