/**
 * The workflow being edited, as the editor holds it: the React Flow nodes and edges loaded from the
 * saved definition, the name, and the parts of the definition beside the graph (`extras`: the
 * input and output schemas). The canvas state is the source of truth while editing; the definition
 * is derived from it and compared, as JSON, with the last saved one to know whether there are
 * unsaved changes.
 */
import { useEdgesState, useNodesState } from '@xyflow/react';
import { useMemo, useState } from 'react';
import type { JsonSchema } from '../schemas/schema-text.ts';
import type { SchemaKey } from '../schemas/schemas-panel.tsx';
import type { RouterOutputs } from '../trpc.ts';
import { type FlowEdge, type FlowNode, toDefinition, toFlow } from './graph.ts';

export type Workflow = RouterOutputs['workflows']['get'];

export function useWorkflowDraft(workflow: Workflow) {
  // The editor owns its state from here on; later refetches of the workflow only refresh tags.
  const [initial] = useState(() => toFlow(workflow.definition));
  const [nodes, setNodes, onNodesChange] = useNodesState<FlowNode>(initial.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState<FlowEdge>(initial.edges);
  const [name, setName] = useState(workflow.name);
  // Parts of the definition beside the graph; the schema panel edits `inputSchema`/`outputSchema`.
  const [extras, setExtras] = useState(initial.extras);
  const [saved, setSaved] = useState(() => ({
    json: JSON.stringify(toDefinition(initial.nodes, initial.edges, initial.extras)),
    name: workflow.name,
  }));

  const definitionJson = useMemo(
    () => JSON.stringify(toDefinition(nodes, edges, extras)),
    [nodes, edges, extras],
  );
  const dirty = definitionJson !== saved.json || (name.trim() !== '' && name.trim() !== saved.name);

  return {
    /** Whether the workflow had nodes when the editor opened (the canvas then fits them in view). */
    openedWithNodes: initial.nodes.length > 0,
    nodes,
    setNodes,
    onNodesChange,
    edges,
    setEdges,
    onEdgesChange,
    name,
    setName,
    extras,
    /** Sets or (with `undefined`) removes the input or output schema. */
    setSchema: (key: SchemaKey, schema: JsonSchema | undefined) =>
      setExtras((current) => {
        const { [key]: _old, ...rest } = current;
        return schema ? { ...rest, [key]: schema } : rest;
      }),
    /** The name as last saved. */
    savedName: saved.name,
    definitionJson,
    dirty,
    /** Records this definition and name as what the server has now. */
    markSaved: (json: string, savedName: string) => setSaved({ json, name: savedName }),
  };
}

export type WorkflowDraft = ReturnType<typeof useWorkflowDraft>;
