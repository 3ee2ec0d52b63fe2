/**
 * Route `/workflows/:id`: loads the workflow and the node types the server knows, and hands them
 * to the editor. Loaded lazily, so React Flow and its styles are only fetched when someone opens a
 * workflow.
 */
import { useQuery } from '@tanstack/react-query';
import { ReactFlowProvider } from '@xyflow/react';
import { useState } from 'react';
import '@xyflow/react/dist/style.css';
import { Link, useParams } from 'react-router';
import { readApiError } from '../api-error.ts';
import { PageError, PageLoading } from '../layout/page-state.tsx';
import { useTRPC } from '../trpc.ts';
import { buttonClass } from '../ui/button.tsx';
import { NodeTypesContext } from './node-palette.ts';
import { useNodeTypeCatalog } from './use-node-types.ts';
import { WorkflowEditor } from './workflow-editor.tsx';

export default function EditorPage() {
  const { id = '' } = useParams();
  const trpc = useTRPC();
  const workflow = useQuery(trpc.workflows.get.queryOptions({ id }));
  const { list: nodeTypes, catalog } = useNodeTypeCatalog();
  // Bumped after a restore: the editor is mounted again on the refetched draft.
  const [generation, setGeneration] = useState(0);
  const reload = async () => {
    await workflow.refetch();
    setGeneration((n) => n + 1);
  };

  if (workflow.isPending || nodeTypes.isPending) return <PageLoading label="Loading workflow…" />;
  if (workflow.isError) {
    const error = readApiError(workflow.error);
    if (error.code === 'NOT_FOUND' || error.code === 'BAD_REQUEST') {
      return (
        <div className="mx-auto max-w-md py-24 text-center">
          <h1 className="text-xl font-semibold text-slate-900">Workflow not found</h1>
          <p className="mt-2 text-sm text-slate-600">
            It may have been deleted, or it belongs to someone else.
          </p>
          <Link to="/" className={buttonClass('primary', 'md', 'mt-6')}>
            Back to workflows
          </Link>
        </div>
      );
    }
    return <PageError message={error.message} onRetry={() => workflow.refetch()} />;
  }
  if (nodeTypes.isError || !catalog) {
    return (
      <PageError
        message={`Could not load the node types: ${readApiError(nodeTypes.error).message}`}
        onRetry={() => nodeTypes.refetch()}
      />
    );
  }

  return (
    <NodeTypesContext value={catalog}>
      <ReactFlowProvider key={`${id}:${generation}`}>
        <WorkflowEditor
          workflow={workflow.data}
          onReload={() => void reload()}
          showVersions={generation > 0}
        />
      </ReactFlowProvider>
    </NodeTypesContext>
  );
}
