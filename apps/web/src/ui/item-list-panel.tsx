/**
 * A side panel listing a workflow's items of one kind (schedules, webhooks): its title and "New …"
 * button, then loading, error, empty or the list — so each panel only says how an item looks.
 */
import type { ReactNode } from 'react';
import { readApiError } from '../api-error.ts';
import { Button } from './button.tsx';

export interface ItemListPanelProps<Item> {
  title: string;
  newLabel: string;
  onNew: () => void;
  /** The list query's state (TanStack Query). */
  query: { isPending: boolean; isError: boolean; error: unknown; data?: { items: Item[] } | undefined };
  loadingText: string;
  emptyText: string;
  /** `data-testid`s: the panel, the "New" button, the empty note and the list. */
  testIds: { panel: string; create: string; empty: string; list: string };
  children: (items: Item[]) => ReactNode;
}

export function ItemListPanel<Item>({
  title,
  newLabel,
  onNew,
  query,
  loadingText,
  emptyText,
  testIds,
  children,
}: ItemListPanelProps<Item>) {
  const items = query.data?.items ?? [];
  return (
    <div className="space-y-4" data-testid={testIds.panel}>
      <div className="flex items-center justify-between gap-2">
        <p className="text-sm font-semibold text-slate-900">{title}</p>
        <Button size="sm" variant="primary" onClick={onNew} data-testid={testIds.create}>
          {newLabel}
        </Button>
      </div>
      {query.isPending ? (
        <p className="text-sm text-slate-500">{loadingText}</p>
      ) : query.isError ? (
        <p className="text-sm text-rose-700" role="alert">
          {readApiError(query.error).message}
        </p>
      ) : items.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid={testIds.empty}>
          {emptyText}
        </p>
      ) : (
        <ul className="space-y-3" data-testid={testIds.list}>
          {children(items)}
        </ul>
      )}
    </div>
  );
}
