/**
 * Tag manager: create, rename (on blur or Enter), recolour (colour input, saved once the pick
 * settles) and delete tags, with how many workflows carry each one.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { readApiError } from '../api-error.ts';
import { PageError } from '../layout/page-state.tsx';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { ConfirmDialog } from '../ui/dialog.tsx';
import { inputClass } from '../ui/field.tsx';
import { TagChip } from '../ui/tag-chip.tsx';
import { pickTagColor } from './tag-colors.ts';

type Tag = RouterOutputs['tags']['list'][number];

function useInvalidateTags() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.tags.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.workflows.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.workflows.get.pathKey() }),
    ]);
}

export function TagsPage() {
  const trpc = useTRPC();
  const tags = useQuery(trpc.tags.list.queryOptions());
  const [deleting, setDeleting] = useState<Tag | null>(null);

  return (
    <div className="mx-auto max-w-3xl px-4 py-8 sm:px-6">
      <title>Tags · SWARM</title>
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Tags</h1>
      <p className="mt-1 text-sm text-slate-600">
        Colour-coded labels for organising and filtering workflows.
      </p>

      <CreateTagForm nextColor={pickTagColor(tags.data?.length ?? 0)} />

      <div className="mt-6">
        {tags.isPending ? (
          <p className="text-sm text-slate-500">Loading tags…</p>
        ) : tags.isError ? (
          <PageError message={readApiError(tags.error).message} onRetry={() => tags.refetch()} />
        ) : tags.data.length === 0 ? (
          <p className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-10 text-center text-sm text-slate-500">
            No tags yet. Create one above, or straight from a workflow's “Tags” menu.
          </p>
        ) : (
          <ul
            className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
            data-testid="tag-list"
          >
            {tags.data.map((tag) => (
              <TagRow key={tag.id} tag={tag} onDelete={() => setDeleting(tag)} />
            ))}
          </ul>
        )}
      </div>
      <DeleteTagDialog tag={deleting} onClose={() => setDeleting(null)} />
    </div>
  );
}

function CreateTagForm({ nextColor }: { nextColor: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateTags();
  const [name, setName] = useState('');
  const [color, setColor] = useState<string | null>(null);
  const create = useMutation(
    trpc.tags.create.mutationOptions({
      onSuccess: async () => {
        setName('');
        setColor(null);
        await invalidate();
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) create.mutate({ name: name.trim(), color: color ?? nextColor });
  };
  return (
    <form
      onSubmit={submit}
      className="mt-6 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
      data-testid="create-tag-form"
    >
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-48 flex-1">
          <label htmlFor="new-tag-name" className="mb-1.5 block text-sm font-medium text-slate-700">
            New tag
          </label>
          <input
            id="new-tag-name"
            className={inputClass}
            placeholder="e.g. production"
            maxLength={50}
            value={name}
            onChange={(e) => setName(e.target.value)}
            data-testid="new-tag-name"
          />
        </div>
        <div>
          <label htmlFor="new-tag-color" className="mb-1.5 block text-sm font-medium text-slate-700">
            Colour
          </label>
          <input
            id="new-tag-color"
            type="color"
            className="h-9 w-14 cursor-pointer rounded-lg border border-slate-300 bg-white p-1"
            value={color ?? nextColor}
            onChange={(e) => setColor(e.target.value)}
            data-testid="new-tag-color"
          />
        </div>
        <Button
          type="submit"
          variant="primary"
          disabled={!name.trim() || create.isPending}
          data-testid="create-tag"
        >
          {create.isPending ? 'Adding…' : 'Add tag'}
        </Button>
      </div>
      {create.error ? (
        <p role="alert" className="mt-2 text-sm text-rose-600">
          {readApiError(create.error).message}
        </p>
      ) : null}
    </form>
  );
}

function TagRow({ tag, onDelete }: { tag: Tag; onDelete: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateTags();
  const [name, setName] = useState(tag.name);
  const [color, setColor] = useState(tag.color);
  const update = useMutation(trpc.tags.update.mutationOptions({ onSettled: invalidate }));
  const colorTimer = useRef<ReturnType<typeof setTimeout>>(undefined);

  useEffect(() => setName(tag.name), [tag.name]);
  useEffect(() => setColor(tag.color), [tag.color]);
  useEffect(() => () => clearTimeout(colorTimer.current), []);

  const saveName = () => {
    const trimmed = name.trim();
    if (!trimmed) setName(tag.name);
    else if (trimmed !== tag.name) update.mutate({ id: tag.id, name: trimmed });
  };

  // The colour input fires on every step of a drag; save once the pick has settled.
  const changeColor = (value: string) => {
    setColor(value);
    clearTimeout(colorTimer.current);
    colorTimer.current = setTimeout(() => {
      if (value !== tag.color) update.mutate({ id: tag.id, color: value });
    }, 400);
  };

  return (
    <li className="flex flex-wrap items-center gap-3 px-4 py-3 sm:px-5" data-testid="tag-row">
      <label className="sr-only" htmlFor={`tag-color-${tag.id}`}>
        Colour of {tag.name}
      </label>
      <input
        id={`tag-color-${tag.id}`}
        type="color"
        className="h-8 w-10 cursor-pointer rounded-md border border-slate-300 bg-white p-0.5"
        value={color}
        onChange={(e) => changeColor(e.target.value)}
      />
      <label className="sr-only" htmlFor={`tag-name-${tag.id}`}>
        Name of {tag.name}
      </label>
      <input
        id={`tag-name-${tag.id}`}
        className={`${inputClass} max-w-60 py-1.5`}
        value={name}
        maxLength={50}
        onChange={(e) => setName(e.target.value)}
        onBlur={saveName}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur();
          if (e.key === 'Escape') {
            setName(tag.name);
            e.currentTarget.blur();
          }
        }}
      />
      <TagChip tag={{ ...tag, name: name || tag.name, color }} />
      <span className="text-xs text-slate-500" data-testid="tag-workflow-count">
        {tag.workflowCount} {tag.workflowCount === 1 ? 'workflow' : 'workflows'}
      </span>
      {update.error ? (
        <span className="text-xs text-rose-600">{readApiError(update.error).message}</span>
      ) : null}
      <Button
        size="sm"
        variant="ghost"
        className="ml-auto hover:bg-rose-50 hover:text-rose-700"
        onClick={onDelete}
        aria-label={`Delete tag ${tag.name}`}
      >
        Delete
      </Button>
    </li>
  );
}

function DeleteTagDialog({ tag, onClose }: { tag: Tag | null; onClose: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateTags();
  const remove = useMutation(
    trpc.tags.delete.mutationOptions({
      onSuccess: async () => {
        await invalidate();
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
      open={tag !== null}
      title="Delete tag?"
      message={
        <>
          The tag <strong className="font-medium text-slate-900">{tag?.name}</strong> will be removed from{' '}
          {tag?.workflowCount === 1 ? '1 workflow' : `${tag?.workflowCount ?? 0} workflows`}. The workflows
          stay.
        </>
      }
      confirmLabel="Delete tag"
      danger
      busy={remove.isPending}
      error={remove.error ? readApiError(remove.error).message : null}
      onConfirm={() => tag && remove.mutate({ id: tag.id })}
      onCancel={close}
    />
  );
}
