/** Whether the draft is saved: unsaved changes, saving, all saved, or why the last save failed. */
export function SaveStatus({
  dirty,
  saving,
  error,
}: {
  dirty: boolean;
  saving: boolean;
  error: string | null;
}) {
  if (error && !saving) {
    return (
      <span
        className="max-w-80 truncate text-sm text-rose-700"
        role="alert"
        title={error}
        data-testid="save-error"
      >
        Not saved: {error}
      </span>
    );
  }
  if (dirty) {
    return (
      <span className="flex items-center gap-1.5 text-sm text-amber-700" data-testid="unsaved-indicator">
        <span className="size-2 rounded-full bg-amber-500" />
        Unsaved changes
      </span>
    );
  }
  return (
    <span className="flex items-center gap-1.5 text-sm text-slate-500" data-testid="saved-indicator">
      <span className="size-2 rounded-full bg-emerald-500" />
      {saving ? 'Saving…' : 'All changes saved'}
    </span>
  );
}
