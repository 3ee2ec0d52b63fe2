/** The workflow's version tags as a <datalist>, so a "version tag" field suggests the existing ones. */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTRPC } from '../trpc.ts';

export function VersionTagOptions({ id, workflowId }: { id: string; workflowId: string }) {
  const trpc = useTRPC();
  const versions = useQuery(trpc.versions.list.queryOptions({ workflowId, limit: 200 }));
  const tags = useMemo(
    () => [...new Set((versions.data?.items ?? []).flatMap((version) => version.tags))].sort(),
    [versions.data],
  );
  return (
    <datalist id={id}>
      {tags.map((tag) => (
        <option key={tag} value={tag} />
      ))}
    </datalist>
  );
}
