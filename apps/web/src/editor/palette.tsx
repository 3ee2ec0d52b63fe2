/**
 * The node types to add, grouped by category as the server's registry lists them: click places
 * one in view, dragging drops it where released.
 */
import { type DragEvent, useContext } from 'react';
import { categoryStyle, NodeIcon } from './node-appearance.tsx';
import { categoryLabel, groupByCategory, NodeTypesContext, type PaletteEntry } from './node-palette.ts';

export const PALETTE_DRAG_TYPE = 'application/x-swarm-node-type';

export function Palette({ onAdd }: { onAdd: (entry: PaletteEntry) => void }) {
  const catalog = useContext(NodeTypesContext);
  const onDragStart = (event: DragEvent, entry: PaletteEntry) => {
    event.dataTransfer.setData(PALETTE_DRAG_TYPE, entry.type);
    event.dataTransfer.effectAllowed = 'copy';
  };
  return (
    <section aria-labelledby="palette-heading">
      <h2 id="palette-heading" className="px-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
        Add a node
      </h2>
      <div className="mt-2 space-y-3" data-testid="palette">
        {groupByCategory(catalog.entries).map((group) => (
          <section key={group.category} aria-labelledby={`palette-group-${group.category}`}>
            <h3
              id={`palette-group-${group.category}`}
              className="px-2 text-[11px] font-medium text-slate-400"
              data-testid={`palette-category-${group.category}`}
            >
              {categoryLabel(group.category)}
            </h3>
            <ul className="mt-0.5 space-y-0.5">
              {group.entries.map((entry) => (
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
                      className={`flex size-7 shrink-0 items-center justify-center rounded-md ${categoryStyle(entry.category).badge}`}
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
        ))}
      </div>
    </section>
  );
}
