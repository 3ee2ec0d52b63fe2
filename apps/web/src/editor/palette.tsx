/** The list of node types to add: click places one in view, dragging drops it where released. */
import type { DragEvent } from 'react';
import { CATEGORY_STYLE, NodeIcon } from './node-appearance.tsx';
import { NODE_PALETTE, type PaletteEntry } from './node-palette.ts';

export const PALETTE_DRAG_TYPE = 'application/x-swarm-node-type';

export function Palette({ onAdd }: { onAdd: (entry: PaletteEntry) => void }) {
  const onDragStart = (event: DragEvent, entry: PaletteEntry) => {
    event.dataTransfer.setData(PALETTE_DRAG_TYPE, entry.type);
    event.dataTransfer.effectAllowed = 'copy';
  };
  return (
    <section aria-labelledby="palette-heading">
      <h2 id="palette-heading" className="px-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
        Add a node
      </h2>
      <ul className="mt-2 space-y-1" data-testid="palette">
        {NODE_PALETTE.map((entry) => (
          <li key={entry.type}>
            <button
              type="button"
              draggable
              onDragStart={(event) => onDragStart(event, entry)}
              onClick={() => onAdd(entry)}
              title={entry.description}
              data-testid={`palette-${entry.type}`}
              className="group flex w-full items-center gap-2.5 rounded-lg px-2 py-1.5 text-left hover:bg-white hover:shadow-sm hover:ring-1 hover:ring-slate-200 focus-visible:outline-2 focus-visible:outline-indigo-500"
            >
              <span
                className={`flex size-7 shrink-0 items-center justify-center rounded-md ${CATEGORY_STYLE[entry.category].badge}`}
              >
                <NodeIcon type={entry.type} />
              </span>
              <span className="min-w-0">
                <span className="block text-sm font-medium text-slate-800">{entry.label}</span>
                <span className="block truncate text-[11px] text-slate-500">{entry.description}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
