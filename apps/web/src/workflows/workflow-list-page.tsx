/**
 * The workflow list: search, tag filters (a workflow must carry every selected tag), create,
 * rename, delete, and "load more" paging over `nextCursor`. Search text and selected tags live in
 * the URL so a filtered list can be bookmarked and survives a reload.
 */
import {
  keepPreviousData,
  type QueryClient,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { readApiError } from '../api-error.ts';
import { PageError } from '../layout/page-state.tsx';
import { ImportDialog } from '../transfer/import-dialog.tsx';
import { bulkExport, exportUrl } from '../transfer/transfer.ts';
import { type RouterOutputs, type TrpcOptions, useTRPC } from '../trpc.ts';
import { Button, buttonClass } from '../ui/button.tsx';
import { ConfirmDialog, Dialog } from '../ui/dialog.tsx';
import { Field, inputClass } from '../ui/field.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';
import { readableTextColor, TagChip } from '../ui/tag-chip.tsx';
import { useDebouncedValue } from '../use-debounced-value.ts';
import { TagPicker } from './tag-picker.tsx';

type WorkflowItem = RouterOutputs['workflows']['list']['items'][number];
const PAGE_SIZE = 20;

function workflowListQuery(trpc: TrpcOptions, search: string, tagIds: string[]) {
  return trpc.workflows.list.infiniteQueryOptions(
    {
      limit: PAGE_SIZE,
      ...(search ? { search } : {}),
      ...(tagIds.length > 0 ? { tagIds } : {}),
    },
    { getNextPageParam: (last) => last.nextCursor ?? undefined, placeholderData: keepPreviousData },
  );
}

/**
 * Starts the list's first page (for the URL's `q` and `tags`) and the tags, for the route's loader:
 * they then travel with the sign-in check instead of waiting for its answer.
 */
export function prefetchWorkflowList(queryClient: QueryClient, trpc: TrpcOptions, params: URLSearchParams) {
  const tagIds = (params.get('tags') ?? '').split(',').filter(Boolean);
  void queryClient.prefetchInfiniteQuery(workflowListQuery(trpc, (params.get('q') ?? '').trim(), tagIds));
  void queryClient.prefetchQuery(trpc.tags.list.queryOptions());
}

export function WorkflowListPage() {
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const selectedTagIds = (params.get('tags') ?? '').split(',').filter(Boolean);
  const [searchText, setSearchText] = useState(params.get('q') ?? '');
  const search = useDebouncedValue(searchText.trim(), 250);

  useEffect(() => {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (search) next.set('q', search);
        else next.delete('q');
        return next;
      },
      { replace: true },
    );
  }, [search, setParams]);

  const toggleTag = (tagId: string) => {
    const set = new Set(selectedTagIds);
    if (set.has(tagId)) set.delete(tagId);
    else set.add(tagId);
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (set.size > 0) next.set('tags', [...set].join(','));
        else next.delete('tags');
        return next;
      },
      { replace: true },
    );
  };

  const tags = useQuery(trpc.tags.list.queryOptions());
  const list = useInfiniteQuery(workflowListQuery(trpc, search, selectedTagIds));
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  const filtering = Boolean(search) || selectedTagIds.length > 0;

  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<WorkflowItem | null>(null);
  const [deleting, setDeleting] = useState<WorkflowItem | null>(null);
  const [importing, setImporting] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const toggleSelected = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const visibleSelected = items.filter((item) => selected.has(item.id)).map((item) => item.id);
  const exportSelected = useMutation({ mutationFn: (ids: string[]) => bulkExport(ids) });

  return (
    <div className="mx-auto max-w-5xl px-4 py-8 sm:px-6">
      <title>Workflows · SWARM</title>
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Workflows</h1>
          <p className="mt-1 text-sm text-slate-600">Multi-agent graphs you can edit, version and run.</p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {visibleSelected.length > 0 ? (
            <Button
              onClick={() => exportSelected.mutate(visibleSelected)}
              disabled={exportSelected.isPending}
              data-testid="bulk-export"
            >
              {exportSelected.isPending ? 'Exporting…' : `Export ${visibleSelected.length} as ZIP`}
            </Button>
          ) : null}
          <Button onClick={() => setImporting(true)} data-testid="import-workflows">
            Import
          </Button>
          <Button variant="primary" onClick={() => setCreating(true)} data-testid="new-workflow">
            <PlusIcon />
            New workflow
          </Button>
        </div>
      </div>
      {exportSelected.error ? (
        <p className="mt-3 text-sm text-rose-700" role="alert" data-testid="bulk-export-error">
          Export failed: {exportSelected.error.message}
        </p>
      ) : null}

      <div className="mt-6 space-y-3">
        <div className="relative max-w-md">
          <label htmlFor="workflow-search" className="sr-only">
            Search workflows
          </label>
          <SearchIcon />
          <input
            id="workflow-search"
            type="search"
            placeholder="Search workflows…"
            className={`${inputClass} pl-9`}
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            data-testid="workflow-search"
          />
        </div>
        {tags.data && tags.data.length > 0 ? (
          <fieldset className="flex flex-wrap items-center gap-1.5" data-testid="tag-filters">
            <legend className="sr-only">Filter by tags</legend>
            <span className="mr-1 text-xs font-medium text-slate-500">Filter by tag:</span>
            {tags.data.map((tag) => {
              const active = selectedTagIds.includes(tag.id);
              return (
                <button
                  key={tag.id}
                  type="button"
                  aria-pressed={active}
                  onClick={() => toggleTag(tag.id)}
                  data-testid={`tag-filter-${tag.name}`}
                  className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-1 text-xs font-medium ring-1 transition-colors ring-inset ${
                    active ? 'ring-transparent' : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50'
                  }`}
                  style={
                    active ? { backgroundColor: tag.color, color: readableTextColor(tag.color) } : undefined
                  }
                >
                  {active ? null : (
                    <span className="size-2 rounded-full" style={{ backgroundColor: tag.color }} />
                  )}
                  {tag.name}
                </button>
              );
            })}
            {selectedTagIds.length > 0 ? (
              <button
                type="button"
                className="ml-1 text-xs text-slate-500 underline-offset-2 hover:text-slate-800 hover:underline"
                onClick={() =>
                  setParams(
                    (prev) => {
                      const next = new URLSearchParams(prev);
                      next.delete('tags');
                      return next;
                    },
                    { replace: true },
                  )
                }
              >
                Clear
              </button>
            ) : null}
          </fieldset>
        ) : null}
      </div>

      <div className="mt-6">
        {list.isPending ? (
          <ListSkeleton />
        ) : list.isError ? (
          <PageError message={readApiError(list.error).message} onRetry={() => list.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState filtering={filtering} onCreate={() => setCreating(true)} />
        ) : (
          <ul
            className={`divide-y divide-slate-100 overflow-visible rounded-xl bg-white shadow-sm ring-1 ring-slate-200 transition-opacity ${
              list.isPlaceholderData ? 'opacity-60' : ''
            }`}
            data-testid="workflow-list"
            aria-busy={list.isFetching}
          >
            {items.map((item) => (
              <WorkflowRow
                key={item.id}
                item={item}
                selected={selected.has(item.id)}
                onToggleSelected={() => toggleSelected(item.id)}
                onRename={() => setRenaming(item)}
                onDelete={() => setDeleting(item)}
              />
            ))}
          </ul>
        )}
        {list.hasNextPage ? (
          <div className="mt-4 flex justify-center">
            <Button
              onClick={() => list.fetchNextPage()}
              disabled={list.isFetchingNextPage}
              data-testid="load-more"
            >
              {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </Button>
          </div>
        ) : null}
      </div>

      <CreateWorkflowDialog open={creating} onClose={() => setCreating(false)} />
      <RenameWorkflowDialog item={renaming} onClose={() => setRenaming(null)} />
      <DeleteWorkflowDialog item={deleting} onClose={() => setDeleting(null)} />
      <ImportDialog open={importing} onClose={() => setImporting(false)} />
    </div>
  );
}

function WorkflowRow({
  item,
  selected,
  onToggleSelected,
  onRename,
  onDelete,
}: {
  item: WorkflowItem;
  selected: boolean;
  onToggleSelected: () => void;
  onRename: () => void;
  onDelete: () => void;
}) {
  return (
    <li
      className="group flex items-center gap-4 px-4 py-3.5 sm:px-5"
      data-testid="workflow-row"
      data-workflow-id={item.id}
    >
      <input
        type="checkbox"
        checked={selected}
        onChange={onToggleSelected}
        aria-label={`Select ${item.name}`}
        className="size-4 shrink-0 rounded border-slate-300 text-indigo-600"
        data-testid="select-workflow"
      />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-2">
          <Link
            to={`/workflows/${item.id}`}
            className="truncate font-medium text-slate-900 hover:text-indigo-600"
            data-testid="workflow-link"
          >
            {item.name}
          </Link>
          {item.tags.map((tag) => (
            <TagChip key={tag.id} tag={tag} />
          ))}
        </div>
        <p className="mt-0.5 flex flex-wrap gap-x-3 text-xs text-slate-500">
          {item.description ? <span className="max-w-md truncate">{item.description}</span> : null}
          <span>
            {item.nodeCount} {item.nodeCount === 1 ? 'node' : 'nodes'}
          </span>
          <span>
            Updated <RelativeTime date={item.updatedAt} />
          </span>
        </p>
      </div>
      <div className="flex items-center gap-1">
        <TagPicker workflowId={item.id} workflowName={item.name} tags={item.tags} />
        <DuplicateButton item={item} />
        <a
          href={exportUrl(item.id)}
          download
          className={buttonClass('ghost', 'sm')}
          aria-label={`Export ${item.name}`}
          data-testid="export-workflow"
        >
          Export
        </a>
        <Button
          size="sm"
          variant="ghost"
          onClick={onRename}
          aria-label={`Rename ${item.name}`}
          data-testid="rename-workflow"
        >
          Rename
        </Button>
        <Button
          size="sm"
          variant="ghost"
          className="hover:bg-rose-50 hover:text-rose-700"
          onClick={onDelete}
          aria-label={`Delete ${item.name}`}
          data-testid="delete-workflow"
        >
          Delete
        </Button>
      </div>
    </li>
  );
}

function DuplicateButton({ item }: { item: WorkflowItem }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const clone = useMutation(
    trpc.workflows.clone.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.workflows.list.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.tags.list.queryKey() }),
        ]),
    }),
  );
  return (
    <Button
      size="sm"
      variant="ghost"
      onClick={() => clone.mutate({ id: item.id })}
      disabled={clone.isPending}
      aria-label={`Duplicate ${item.name}`}
      title={clone.error ? readApiError(clone.error).message : undefined}
      data-testid="duplicate-workflow"
    >
      {clone.isPending ? 'Duplicating…' : clone.isError ? 'Retry duplicate' : 'Duplicate'}
    </Button>
  );
}

function CreateWorkflowDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = useMutation(
    trpc.workflows.create.mutationOptions({
      onSuccess: async (workflow) => {
        await queryClient.invalidateQueries({ queryKey: trpc.workflows.list.pathKey() });
        navigate(`/workflows/${workflow.id}`);
      },
    }),
  );
  const close = () => {
    setName('');
    setDescription('');
    create.reset();
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) });
  };
  const errors = Object.fromEntries(
    readApiError(create.error).issues.map((issue) => [issue.path.split('.').pop(), issue.message]),
  );

  return (
    <Dialog open={open} title="New workflow" onClose={close} testId="create-workflow-dialog">
      <form onSubmit={submit} className="space-y-4">
        <Field
          label="Name"
          autoFocus
          required
          limit={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.name}
          data-testid="workflow-name-input"
        />
        <Field
          label="Description (optional)"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={errors.description}
        />
        {create.error && !errors.name && !errors.description ? (
          <p className="text-sm text-rose-600">{readApiError(create.error).message}</p>
        ) : null}
        <div className="flex justify-end gap-2 pt-2">
          <Button onClick={close}>Cancel</Button>
          <Button
            type="submit"
            variant="primary"
            disabled={!name.trim() || create.isPending}
            data-testid="create-workflow-submit"
          >
            {create.isPending ? 'Creating…' : 'Create workflow'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function RenameWorkflowDialog({ item, onClose }: { item: WorkflowItem | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  useEffect(() => setName(item?.name ?? ''), [item]);
  const rename = useMutation(
    trpc.workflows.update.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.workflows.list.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.workflows.get.pathKey() }),
        ]);
        close();
      },
    }),
  );
  const close = () => {
    rename.reset();
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (item) rename.mutate({ id: item.id, name: name.trim() });
  };
  return (
    <Dialog open={item !== null} title="Rename workflow" onClose={close} testId="rename-workflow-dialog">
      <form onSubmit={submit} className="space-y-4">
        <Field
          label="Name"
          autoFocus
          required
          limit={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={rename.error ? readApiError(rename.error).message : undefined}
          data-testid="rename-input"
        />
        <div className="flex justify-end gap-2">
          <Button onClick={close}>Cancel</Button>
          <Button
            type="submit"
            variant="primary"
            disabled={!name.trim() || rename.isPending}
            data-testid="rename-submit"
          >
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteWorkflowDialog({ item, onClose }: { item: WorkflowItem | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.workflows.delete.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.workflows.list.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.tags.list.queryKey() }),
        ]);
        close();
      },
    }),
  );
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={item !== null}
      title="Delete workflow?"
      message={
        <>
          <strong className="font-medium text-slate-900">{item?.name}</strong> and its versions, runs,
          schedules and webhooks will be deleted. This cannot be undone.
        </>
      }
      confirmLabel="Delete"
      danger
      busy={remove.isPending}
      error={remove.error ? readApiError(remove.error).message : null}
      onConfirm={() => item && remove.mutate({ id: item.id })}
      onCancel={close}
    />
  );
}

function EmptyState({ filtering, onCreate }: { filtering: boolean; onCreate: () => void }) {
  return (
    <div
      className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-14 text-center"
      data-testid="empty-state"
    >
      <h2 className="text-sm font-semibold text-slate-900">
        {filtering ? 'No workflows match these filters' : 'No workflows yet'}
      </h2>
      <p className="mt-1 text-sm text-slate-500">
        {filtering
          ? 'Try another search or fewer tags.'
          : 'Create your first workflow and draw it on the canvas.'}
      </p>
      {filtering ? null : (
        <Button variant="primary" className="mt-5" onClick={onCreate}>
          <PlusIcon />
          New workflow
        </Button>
      )}
    </div>
  );
}

function ListSkeleton() {
  return (
    <ul
      className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
      aria-busy="true"
    >
      {[0, 1, 2].map((i) => (
        <li key={i} className="flex animate-pulse items-center gap-4 px-5 py-4">
          <div className="h-3 w-48 rounded bg-slate-200" />
          <div className="h-3 w-16 rounded bg-slate-100" />
        </li>
      ))}
    </ul>
  );
}

export function PlusIcon() {
  return (
    <svg viewBox="0 0 20 20" fill="currentColor" className="size-4" aria-hidden="true">
      <path d="M10.75 4.75a.75.75 0 0 0-1.5 0v4.5h-4.5a.75.75 0 0 0 0 1.5h4.5v4.5a.75.75 0 0 0 1.5 0v-4.5h4.5a.75.75 0 0 0 0-1.5h-4.5v-4.5Z" />
    </svg>
  );
}

function SearchIcon() {
  return (
    <svg
      viewBox="0 0 20 20"
      fill="currentColor"
      className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-slate-400"
      aria-hidden="true"
    >
      <path
        fillRule="evenodd"
        d="M9 3.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11ZM2 9a7 7 0 1 1 12.452 4.391l3.328 3.329a.75.75 0 1 1-1.06 1.06l-3.329-3.328A7 7 0 0 1 2 9Z"
        clipRule="evenodd"
      />
    </svg>
  );
}
