import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTRPC } from '../trpc.ts';
import { createCatalog } from './node-palette.ts';

/** The node type catalog (palette, forms, handles); the registry only changes when the server restarts. */
export function useNodeTypeCatalog() {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.nodeTypes.list.queryOptions(), staleTime: Infinity });
  const catalog = useMemo(() => (list.data ? createCatalog(list.data) : null), [list.data]);
  return { list, catalog };
}
