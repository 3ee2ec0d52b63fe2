/** How node categories look on the canvas and in the palette: one accent colour and icon each. */

const CATEGORY_STYLE: Record<string, { badge: string; accent: string }> = {
  trigger: { badge: 'bg-emerald-100 text-emerald-700', accent: 'bg-emerald-500' },
  ai: { badge: 'bg-violet-100 text-violet-700', accent: 'bg-violet-500' },
  logic: { badge: 'bg-amber-100 text-amber-700', accent: 'bg-amber-500' },
  data: { badge: 'bg-sky-100 text-sky-700', accent: 'bg-sky-500' },
  integration: { badge: 'bg-rose-100 text-rose-700', accent: 'bg-rose-500' },
  result: { badge: 'bg-slate-200 text-slate-700', accent: 'bg-slate-500' },
};
const PLUGIN_STYLE = { badge: 'bg-fuchsia-100 text-fuchsia-700', accent: 'bg-fuchsia-500' };

/** Plugin categories the app has no colour for share one. */
export function categoryStyle(category: string): { badge: string; accent: string } {
  return CATEGORY_STYLE[category] ?? PLUGIN_STYLE;
}

const ICON_PATHS: Record<string, string> = {
  input: 'M3 10h10m0 0-4-4m4 4-4 4M15 4h2v12h-2',
  agent:
    'M10 2.5l1.8 4.2 4.2 1.8-4.2 1.8L10 14.5l-1.8-4.2L4 8.5l4.2-1.8L10 2.5ZM15.5 13l.8 1.7 1.7.8-1.7.8-.8 1.7-.8-1.7-1.7-.8 1.7-.8.8-1.7Z',
  transform: 'M4 6h9l-3-3m6 11H7l3 3',
  condition: 'M10 3v5m0 0-5 5v4m5-9 5 5v4',
  http: 'M10 17a7 7 0 1 0 0-14 7 7 0 0 0 0 14Zm-7-7h14M10 3c2 2 2.8 4.5 2.8 7S12 15 10 17c-2-2-2.8-4.5-2.8-7S8 5 10 3Z',
  merge: 'M4 4l6 6m0 0 6-6m-6 6v7',
  output: 'M7 10h10m0 0-4-4m4 4-4 4M5 4H3v12h2',
};

export function NodeIcon({ type, className = 'size-4' }: { type: string; className?: string }) {
  const d = ICON_PATHS[type] ?? 'M4 4h12v12H4z';
  return (
    <svg
      viewBox="0 0 20 20"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
      strokeLinejoin="round"
      className={className}
      aria-hidden="true"
    >
      <path d={d} />
    </svg>
  );
}
