/**
 * After a refused submit, the first field marked `aria-invalid` is scrolled into view and
 * focused, so the reason is where the eyes go — not below the fold of a long form.
 */
import { type RefObject, useEffect, useState } from 'react';

export function focusFirstInvalid(container: HTMLElement | null): boolean {
  const field = container?.querySelector<HTMLElement>('[aria-invalid="true"]');
  if (!field) return false;
  field.scrollIntoView({ block: 'center', behavior: 'smooth' });
  field.focus({ preventScroll: true });
  return true;
}

/**
 * `refused()` after a submit that found problems: once React has drawn the errors (and their
 * `aria-invalid`), the first one is brought into view.
 */
export function useFocusFirstInvalid(container: RefObject<HTMLElement | null>): () => void {
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (attempt > 0) focusFirstInvalid(container.current);
  }, [attempt, container]);
  return () => setAttempt((n) => n + 1);
}
