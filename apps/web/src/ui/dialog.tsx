/**
 * Modal dialogs on the native <dialog> element: it traps focus, closes on Escape and renders in
 * the top layer, so no portal or focus-trap library is needed.
 */
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { readApiError } from '../api-error.ts';
import { Button } from './button.tsx';

interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  testId?: string;
  size?: 'md' | 'lg';
}

export function Dialog({ open, title, onClose, children, testId, size = 'md' }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      aria-labelledby={testId ? `${testId}-title` : undefined}
      data-testid={testId}
      onClose={onClose}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      className={`m-auto w-full ${size === 'lg' ? 'max-w-xl' : 'max-w-md'} rounded-xl bg-white p-0 shadow-2xl ring-1 ring-slate-900/10 backdrop:bg-slate-900/40 backdrop:backdrop-blur-[2px]`}
    >
      {open ? (
        <div className="p-6">
          <h2 id={testId ? `${testId}-title` : undefined} className="text-base font-semibold text-slate-900">
            {title}
          </h2>
          <div className="mt-3">{children}</div>
        </div>
      ) : null}
    </dialog>
  );
}

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({
  open,
  title,
  message,
  confirmLabel,
  danger = false,
  busy = false,
  error,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  return (
    <Dialog open={open} title={title} onClose={onCancel} testId="confirm-dialog">
      <div className="text-sm text-slate-600">{message}</div>
      {error ? <p className="mt-3 text-sm text-rose-600">{error}</p> : null}
      <div className="mt-6 flex justify-end gap-2">
        <Button onClick={onCancel}>Cancel</Button>
        <Button
          variant={danger ? 'danger' : 'primary'}
          onClick={onConfirm}
          disabled={busy}
          data-testid="confirm-button"
        >
          {busy ? 'Working…' : confirmLabel}
        </Button>
      </div>
    </Dialog>
  );
}

/**
 * A "Delete" button that asks first: the confirm dialog shows the mutation's progress and error and
 * closes once `onDelete` reports success.
 */
export function DeleteWithConfirm({
  title,
  message,
  testId,
  mutation,
  onDelete,
}: {
  title: string;
  message: ReactNode;
  testId: string;
  mutation: { isPending: boolean; error: unknown; reset: () => void };
  /** Starts the deletion; calls `done` when it succeeded. */
  onDelete: (done: () => void) => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        size="sm"
        variant="ghost"
        className="ml-auto text-rose-700 hover:bg-rose-50"
        onClick={() => {
          mutation.reset();
          setOpen(true);
        }}
        data-testid={testId}
      >
        Delete
      </Button>
      <ConfirmDialog
        open={open}
        title={title}
        message={message}
        confirmLabel="Delete"
        danger
        busy={mutation.isPending}
        error={mutation.error ? readApiError(mutation.error).message : null}
        onConfirm={() => onDelete(() => setOpen(false))}
        onCancel={() => setOpen(false)}
      />
    </>
  );
}
