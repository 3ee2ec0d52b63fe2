/**
 * The draft's pinned node outputs (`pins.list`), with setting and removing a pin. Test runs from
 * the editor use them instead of executing those nodes; the canvas marks pinned nodes.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTRPC } from '../trpc.ts';

export function usePins(workflowId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.pins.list.queryOptions({ workflowId }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.pins.list.queryKey({ workflowId }) });
  const set = useMutation(trpc.pins.set.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.pins.remove.mutationOptions({ onSuccess: refresh }));
  const outputs = useMemo(
    () => new Map((list.data ?? []).map((pin) => [pin.nodeId, pin.output] as const)),
    [list.data],
  );
  return {
    /** Pinned output by node id. */
    outputs,
    pin: (nodeId: string, output: unknown) => set.mutateAsync({ workflowId, nodeId, output }),
    unpin: (nodeId: string) => remove.mutateAsync({ workflowId, nodeId }),
    pending: set.isPending || remove.isPending,
    error: set.error ?? remove.error,
  };
}

export type Pins = ReturnType<typeof usePins>;
