/** Loading and error placeholders shared by pages. */
import { Button } from '../ui/button.tsx';

export function PageLoading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div
      className="flex h-full min-h-48 items-center justify-center gap-3 text-sm text-slate-500"
      role="status"
    >
      <span className="size-4 animate-spin rounded-full border-2 border-slate-300 border-t-indigo-600" />
      {label}
    </div>
  );
}

export function PageError({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div className="flex h-full min-h-48 flex-col items-center justify-center gap-3 text-center" role="alert">
      <p className="text-sm text-rose-700">{message}</p>
      {onRetry ? <Button onClick={onRetry}>Try again</Button> : null}
    </div>
  );
}
