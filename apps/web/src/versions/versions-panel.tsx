/**
 * The editor's version history: every committed version (newest first) with its author, time,
 * tags and run statistics; committing the draft, restoring an old version (which makes the draft
 * equal to it and records "Restore vN"), and putting tags on versions or taking them off.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { Button, buttonClass } from '../ui/button.tsx';
import { ConfirmDialog, Dialog } from '../ui/dialog.tsx';
import { Field } from '../ui/field.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';
import { formatVersionCost, formatVersionStats } from './version-stats.ts';

type Version = RouterOutputs['versions']['list']['items'][number];

interface VersionsPanelProps {
  workflowId: string;
  /** Whether the canvas has unsaved changes (saved before committing, lost on restore). */
  dirty: boolean;
  /** Saves the draft; resolves whether it was saved. */
  saveDraft: () => Promise<boolean>;
  /** Called after a restore changed the server's draft: the editor reloads it. */
  onRestored: () => void;
}

export function VersionsPanel({ workflowId, dirty, saveDraft, onRestored }: VersionsPanelProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const versions = useQuery(trpc.versions.list.queryOptions({ workflowId, limit: 200 }));
  const [commitOpen, setCommitOpen] = useState(false);
  const [restoreTarget, setRestoreTarget] = useState<Version | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.versions.list.pathKey() });

  const restore = useMutation(trpc.versions.restore.mutationOptions());
  const confirmRestore = async () => {
    if (!restoreTarget) return;
    try {
      await restore.mutateAsync({ workflowId, versionId: restoreTarget.id });
    } catch {
      return;
    }
    setRestoreTarget(null);
    await refresh();
    onRestored();
  };

  const items = versions.data?.items ?? [];
  return (
    <div className="space-y-4" data-testid="versions-panel">
      <div className="flex items-center justify-between gap-2">
        <p className="text-sm font-semibold text-slate-900">Versions</p>
        <div className="flex gap-1.5">
          {items.length >= 1 ? (
            <Link
              to={`/workflows/${workflowId}/compare?from=${items[0]?.id ?? ''}&to=draft`}
              className={buttonClass('ghost', 'sm')}
              data-testid="compare-draft"
            >
              Compare draft
            </Link>
          ) : null}
          <Button
            size="sm"
            variant="primary"
            onClick={() => setCommitOpen(true)}
            data-testid="commit-version"
          >
            Commit…
          </Button>
        </div>
      </div>
      {versions.isPending ? (
        <p className="text-sm text-slate-500">Loading versions…</p>
      ) : versions.isError ? (
        <p className="text-sm text-rose-700" role="alert">
          {readApiError(versions.error).message}
        </p>
      ) : items.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="no-versions">
          No versions yet. Commit the draft to record one.
        </p>
      ) : (
        <ol className="space-y-3" data-testid="version-list">
          {items.map((version, index) => (
            <VersionItem
              key={version.id}
              version={version}
              previous={items[index + 1]}
              workflowId={workflowId}
              onRestore={() => {
                restore.reset();
                setRestoreTarget(version);
              }}
              onChanged={refresh}
            />
          ))}
        </ol>
      )}

      <CommitDialog
        open={commitOpen}
        workflowId={workflowId}
        dirty={dirty}
        saveDraft={saveDraft}
        onClose={() => setCommitOpen(false)}
        onCommitted={() => {
          setCommitOpen(false);
          void refresh();
        }}
      />
      <ConfirmDialog
        open={restoreTarget !== null}
        title={`Restore v${restoreTarget?.number ?? ''}?`}
        message={
          <>
            The draft becomes exactly v{restoreTarget?.number}, and a new version “Restore v
            {restoreTarget?.number}” is recorded; no history is lost.
            {dirty ? ' Unsaved changes on the canvas will be discarded.' : ''}
          </>
        }
        confirmLabel="Restore"
        busy={restore.isPending}
        error={restore.error ? readApiError(restore.error).message : null}
        onConfirm={() => void confirmRestore()}
        onCancel={() => setRestoreTarget(null)}
      />
    </div>
  );
}

function VersionItem({
  version,
  previous,
  workflowId,
  onRestore,
  onChanged,
}: {
  version: Version;
  previous: Version | undefined;
  workflowId: string;
  onRestore: () => void;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  const [adding, setAdding] = useState(false);
  const [tag, setTag] = useState('');
  const [moveFrom, setMoveFrom] = useState<string | null>(null);
  const tagMutation = useMutation(trpc.versions.tag.mutationOptions());
  const untag = useMutation(trpc.versions.untag.mutationOptions());

  const addTag = async (move = false) => {
    const name = tag.trim();
    if (!name) return;
    try {
      await tagMutation.mutateAsync({ versionId: version.id, tag: name, ...(move ? { move: true } : {}) });
    } catch (error) {
      const { code, message } = readApiError(error);
      if (code === 'CONFLICT' && !move) setMoveFrom(message);
      return;
    }
    setMoveFrom(null);
    setTag('');
    setAdding(false);
    onChanged();
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void addTag();
  };
  const stats = formatVersionStats(version);
  const cost = formatVersionCost(version);
  const tagError = tagMutation.error && !moveFrom ? readApiError(tagMutation.error) : null;

  return (
    <li
      className="rounded-lg p-3 ring-1 ring-slate-200"
      data-testid="version-item"
      data-version-number={version.number}
    >
      <div className="flex items-baseline justify-between gap-2">
        <span className="font-mono text-xs font-semibold text-indigo-700">v{version.number}</span>
        <span className="text-xs text-slate-500">
          <RelativeTime date={version.createdAt} />
        </span>
      </div>
      <p className="mt-1 text-sm break-words text-slate-800" data-testid="version-message">
        {version.commitMessage}
      </p>
      <p className="mt-0.5 text-xs text-slate-500">
        {version.authorName ?? version.authorEmail ?? 'deleted user'}
      </p>
      <p className="mt-1 text-xs text-slate-500" data-testid="version-stats">
        {stats}
      </p>
      {cost ? (
        <p className="text-xs text-slate-500" data-testid="version-cost">
          {cost}
        </p>
      ) : null}
      <div className="mt-2 flex flex-wrap items-center gap-1" data-testid="version-tags">
        {version.tags.map((name) => (
          <span
            key={name}
            className="inline-flex items-center gap-1 rounded-full bg-indigo-50 px-2 py-0.5 text-xs text-indigo-700 ring-1 ring-indigo-200"
            data-testid="version-tag"
          >
            {name}
            <button
              type="button"
              aria-label={`Remove tag ${name}`}
              className="text-indigo-400 hover:text-indigo-800"
              onClick={() => untag.mutate({ versionId: version.id, tag: name }, { onSuccess: onChanged })}
            >
              ×
            </button>
          </span>
        ))}
        {adding ? null : (
          <button
            type="button"
            className="rounded-full px-2 py-0.5 text-xs text-slate-500 ring-1 ring-slate-200 hover:bg-slate-50"
            onClick={() => setAdding(true)}
            data-testid="add-version-tag"
          >
            + tag
          </button>
        )}
      </div>
      {untag.error ? <p className="mt-1 text-xs text-rose-600">{readApiError(untag.error).message}</p> : null}
      {adding ? (
        <form onSubmit={onSubmit} className="mt-2 space-y-2">
          <Field
            label="Tag"
            value={tag}
            onChange={(e) => {
              setTag(e.target.value);
              setMoveFrom(null);
            }}
            placeholder="production"
            autoFocus
            error={tagError ? (tagError.issues[0]?.message ?? tagError.message) : undefined}
            data-testid="version-tag-input"
          />
          {moveFrom ? (
            <div className="rounded-md bg-amber-50 p-2 text-xs text-amber-800" role="alert">
              <p>{moveFrom}</p>
              <Button size="sm" className="mt-2" onClick={() => void addTag(true)} data-testid="move-tag">
                Move it to v{version.number}
              </Button>
            </div>
          ) : null}
          <div className="flex justify-end gap-1.5">
            <Button
              size="sm"
              variant="ghost"
              onClick={() => {
                setAdding(false);
                setMoveFrom(null);
                tagMutation.reset();
              }}
            >
              Cancel
            </Button>
            <Button size="sm" type="submit" disabled={tagMutation.isPending} data-testid="save-version-tag">
              Add tag
            </Button>
          </div>
        </form>
      ) : null}
      <div className="mt-2 flex flex-wrap gap-1.5">
        <Button size="sm" onClick={onRestore} data-testid="restore-version">
          Restore
        </Button>
        {previous ? (
          <Link
            to={`/workflows/${workflowId}/compare?from=${previous.id}&to=${version.id}`}
            className={buttonClass('ghost', 'sm')}
            data-testid="compare-previous"
          >
            Compare with v{previous.number}
          </Link>
        ) : null}
      </div>
    </li>
  );
}

function CommitDialog({
  open,
  workflowId,
  dirty,
  saveDraft,
  onClose,
  onCommitted,
}: {
  open: boolean;
  workflowId: string;
  dirty: boolean;
  saveDraft: () => Promise<boolean>;
  onClose: () => void;
  onCommitted: () => void;
}) {
  const trpc = useTRPC();
  const [message, setMessage] = useState('');
  const [saveFailed, setSaveFailed] = useState(false);
  const create = useMutation(trpc.versions.create.mutationOptions());
  const error = create.error ? readApiError(create.error) : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaveFailed(false);
    create.reset();
    if (dirty && !(await saveDraft())) {
      setSaveFailed(true);
      return;
    }
    try {
      await create.mutateAsync({ workflowId, commitMessage: message });
    } catch {
      return;
    }
    setMessage('');
    onCommitted();
  };

  return (
    <Dialog open={open} title="Commit a version" onClose={onClose} testId="commit-dialog">
      <form onSubmit={(e) => void submit(e)} className="space-y-4">
        <p className="text-sm text-slate-600">
          Records the draft as the next version.{dirty ? ' Unsaved changes are saved first.' : ''}
        </p>
        <Field
          label="Message"
          value={message}
          onChange={(e) => setMessage(e.target.value)}
          placeholder="What changed?"
          maxLength={2000}
          required
          autoFocus
          data-testid="commit-message"
        />
        {saveFailed ? (
          <p className="text-sm text-rose-600" role="alert">
            The draft could not be saved; fix its problems first.
          </p>
        ) : null}
        {error ? (
          <p
            className={`rounded-md p-2 text-sm ${error.code === 'CONFLICT' ? 'bg-amber-50 text-amber-800' : 'bg-rose-50 text-rose-700'}`}
            role="alert"
            data-testid="commit-error"
          >
            {error.code === 'CONFLICT'
              ? `Nothing to commit: ${error.message.replace(/^nothing to commit: /, '')}`
              : error.message}
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={create.isPending} data-testid="commit-submit">
            {create.isPending ? 'Committing…' : 'Commit'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
