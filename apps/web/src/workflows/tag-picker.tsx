/**
 * Attaches and detaches tags on one workflow; can also create a tag on the spot and attach it.
 * Used on workflow list rows and in the editor header.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { pickTagColor } from '../tags/tag-colors.ts';
import { useTRPC } from '../trpc.ts';
import { buttonClass } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import { Popover } from '../ui/popover.tsx';
import type { TagLike } from '../ui/tag-chip.tsx';

export function useInvalidateWorkflowTags() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.workflows.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.workflows.get.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.tags.list.queryKey() }),
    ]);
}

export function TagPicker({
  workflowId,
  workflowName,
  tags,
}: {
  workflowId: string;
  workflowName: string;
  tags: TagLike[];
}) {
  return (
    <Popover
      label={
        <>
          <TagIcon />
          Tags
        </>
      }
      ariaLabel={`Edit tags of ${workflowName}`}
      buttonClassName={buttonClass('ghost', 'sm')}
      testId="tag-picker-button"
    >
      {() => <TagPickerPanel workflowId={workflowId} tags={tags} />}
    </Popover>
  );
}

function TagPickerPanel({ workflowId, tags }: { workflowId: string; tags: TagLike[] }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateWorkflowTags();
  const allTags = useQuery(trpc.tags.list.queryOptions());
  const [newName, setNewName] = useState('');
  // Checkboxes flip at once; the server's answer (through the refetched workflow) settles them.
  const [pending, setPending] = useState<ReadonlyMap<string, boolean>>(new Map());
  const attached = new Set(tags.map((t) => t.id));
  const isChecked = (tagId: string) => pending.get(tagId) ?? attached.has(tagId);
  const settle = (tagId: string) => async () => {
    await invalidate();
    setPending((current) => {
      const next = new Map(current);
      next.delete(tagId);
      return next;
    });
  };

  const attach = useMutation(trpc.tags.attach.mutationOptions());
  const detach = useMutation(trpc.tags.detach.mutationOptions());
  const create = useMutation(
    trpc.tags.create.mutationOptions({
      onSuccess: (tag) => {
        setNewName('');
        toggle(tag.id, true);
      },
    }),
  );
  const error = attach.error ?? detach.error ?? create.error;

  const toggle = (tagId: string, on: boolean) => {
    setPending((current) => new Map(current).set(tagId, on));
    if (on) attach.mutate({ workflowId, tagId }, { onSettled: settle(tagId) });
    else detach.mutate({ workflowId, tagId }, { onSettled: settle(tagId) });
  };

  const submitNew = (event: FormEvent) => {
    event.preventDefault();
    const name = newName.trim();
    if (!name) return;
    create.mutate({ name, color: pickTagColor(allTags.data?.length ?? 0) });
  };

  return (
    <div data-testid="tag-picker">
      <p className="px-2 pt-1 pb-1.5 text-xs font-medium text-slate-500">Tags on this workflow</p>
      {allTags.isPending ? (
        <p className="px-2 py-2 text-sm text-slate-500">Loading…</p>
      ) : allTags.data && allTags.data.length > 0 ? (
        <ul className="max-h-56 overflow-auto">
          {allTags.data.map((tag) => (
            <li key={tag.id}>
              <label className="flex cursor-pointer items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-slate-50">
                <input
                  type="checkbox"
                  className="size-4 rounded border-slate-300 accent-indigo-600"
                  checked={isChecked(tag.id)}
                  onChange={(e) => toggle(tag.id, e.target.checked)}
                  data-testid={`tag-option-${tag.name}`}
                />
                <span className="size-2.5 shrink-0 rounded-full" style={{ backgroundColor: tag.color }} />
                <span className="truncate text-slate-700">{tag.name}</span>
              </label>
            </li>
          ))}
        </ul>
      ) : (
        <p className="px-2 py-1.5 text-sm text-slate-500">No tags yet.</p>
      )}
      <form onSubmit={submitNew} className="mt-1 flex gap-1.5 border-t border-slate-100 px-1 pt-2">
        <label className="sr-only" htmlFor={`new-tag-${workflowId}`}>
          New tag name
        </label>
        <input
          id={`new-tag-${workflowId}`}
          className={`${inputClass} py-1.5`}
          placeholder="New tag…"
          value={newName}
          maxLength={50}
          onChange={(e) => setNewName(e.target.value)}
        />
        <button
          type="submit"
          className={buttonClass('secondary', 'sm')}
          disabled={!newName.trim() || create.isPending}
        >
          Add
        </button>
      </form>
      {error ? <p className="px-2 pt-1.5 text-xs text-rose-600">{readApiError(error).message}</p> : null}
      <Link
        to="/tags"
        className="mt-1 block rounded-md px-2 py-1.5 text-xs text-indigo-600 hover:bg-slate-50"
      >
        Manage tags →
      </Link>
    </div>
  );
}

export function TagIcon() {
  return (
    <svg viewBox="0 0 20 20" fill="currentColor" className="size-3.5" aria-hidden="true">
      <path
        fillRule="evenodd"
        d="M4.5 2A2.5 2.5 0 0 0 2 4.5v3.879a2.5 2.5 0 0 0 .732 1.767l7.5 7.5a2.5 2.5 0 0 0 3.536 0l3.878-3.878a2.5 2.5 0 0 0 0-3.536l-7.5-7.5A2.5 2.5 0 0 0 8.38 2H4.5ZM5 6a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z"
        clipRule="evenodd"
      />
    </svg>
  );
}
