/**
 * A small anchored popover: a trigger button and a panel that closes on outside click or
 * Escape (focus returns to the trigger).
 */
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';

interface PopoverProps {
  label: ReactNode;
  buttonClassName: string;
  align?: 'left' | 'right';
  testId?: string;
  ariaLabel?: string;
  children: (close: () => void) => ReactNode;
}

export function Popover({
  label,
  buttonClassName,
  align = 'right',
  testId,
  ariaLabel,
  children,
}: PopoverProps) {
  const [open, setOpen] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  useEffect(() => {
    if (!open) return;
    const onPointerDown = (event: PointerEvent) => {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onPointerDown);
    document.addEventListener('keydown', onKeyDown);
    return () => {
      document.removeEventListener('pointerdown', onPointerDown);
      document.removeEventListener('keydown', onKeyDown);
    };
  }, [open]);

  return (
    <div ref={rootRef} className="relative">
      <button
        ref={buttonRef}
        type="button"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={ariaLabel}
        className={buttonClassName}
        onClick={() => setOpen((v) => !v)}
        data-testid={testId}
      >
        {label}
      </button>
      {open ? (
        <div
          id={panelId}
          className={`absolute top-full z-30 mt-1.5 w-64 rounded-xl bg-white p-1.5 shadow-lg ring-1 ring-slate-900/10 ${
            align === 'right' ? 'right-0' : 'left-0'
          }`}
        >
          {children(() => setOpen(false))}
        </div>
      ) : null}
    </div>
  );
}
