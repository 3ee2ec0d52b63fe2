/** How run and step statuses look everywhere: one colour, icon and word each. */
import type { NodeRunStatus, RunStatus } from './run-state.ts';

type AnyStatus = RunStatus | NodeRunStatus;

export const STATUS_STYLE: Record<AnyStatus, { label: string; badge: string; ring: string; dot: string }> = {
  queued: {
    label: 'Queued',
    badge: 'bg-slate-100 text-slate-700',
    ring: 'ring-slate-300',
    dot: 'bg-slate-400',
  },
  pending: {
    label: 'Waiting',
    badge: 'bg-slate-100 text-slate-600',
    ring: 'ring-slate-300',
    dot: 'bg-slate-300',
  },
  running: { label: 'Running', badge: 'bg-sky-100 text-sky-800', ring: 'ring-sky-500', dot: 'bg-sky-500' },
  succeeded: {
    label: 'Succeeded',
    badge: 'bg-emerald-100 text-emerald-800',
    ring: 'ring-emerald-500',
    dot: 'bg-emerald-500',
  },
  failed: { label: 'Failed', badge: 'bg-rose-100 text-rose-800', ring: 'ring-rose-500', dot: 'bg-rose-500' },
  cancelled: {
    label: 'Cancelled',
    badge: 'bg-amber-100 text-amber-800',
    ring: 'ring-amber-500',
    dot: 'bg-amber-500',
  },
  skipped: {
    label: 'Skipped',
    badge: 'bg-slate-100 text-slate-500',
    ring: 'ring-slate-300',
    dot: 'bg-slate-300',
  },
  'not-run': {
    label: 'Not run',
    badge: 'bg-slate-100 text-slate-500',
    ring: 'ring-slate-200',
    dot: 'bg-slate-200',
  },
};

export function StatusIcon({ status, className = 'size-3.5' }: { status: AnyStatus; className?: string }) {
  const common = {
    viewBox: '0 0 20 20',
    className,
    fill: 'none',
    stroke: 'currentColor',
    strokeWidth: 2,
    strokeLinecap: 'round',
    strokeLinejoin: 'round',
  } as const;
  switch (status) {
    case 'running':
      return (
        <svg {...common} className={`${className} animate-spin`} aria-hidden="true">
          <path d="M10 3a7 7 0 1 0 7 7" />
        </svg>
      );
    case 'succeeded':
      return (
        <svg {...common} aria-hidden="true">
          <path d="m4.5 10.5 3.5 3.5 7.5-8" />
        </svg>
      );
    case 'failed':
      return (
        <svg {...common} aria-hidden="true">
          <path d="m5.5 5.5 9 9m0-9-9 9" />
        </svg>
      );
    case 'cancelled':
      return (
        <svg {...common} aria-hidden="true">
          <circle cx="10" cy="10" r="6.5" />
          <path d="m5.5 14.5 9-9" />
        </svg>
      );
    case 'skipped':
    case 'not-run':
      return (
        <svg {...common} aria-hidden="true">
          <path d="M4 10h12m-4-4 4 4-4 4" />
        </svg>
      );
    default:
      return (
        <svg {...common} aria-hidden="true">
          <circle cx="10" cy="10" r="6.5" />
          <path d="M10 6.5V10l2.5 1.5" />
        </svg>
      );
  }
}

export function StatusBadge({ status, testId }: { status: AnyStatus; testId?: string }) {
  const style = STATUS_STYLE[status];
  return (
    <span
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ${style.badge}`}
      data-testid={testId}
      data-status={status}
    >
      <StatusIcon status={status} className="size-3" />
      {style.label}
    </span>
  );
}
