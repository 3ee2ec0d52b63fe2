/**
 * Which view the editor's right-hand side shows: a tool panel (schemas, schedules, webhooks,
 * versions) toggled from the toolbar, or the selection's view. Clicking a node or a connection, or
 * jumping to an issue, brings the selection's view to the front even while a tool panel is open;
 * the panel stays open (and mounted, keeping what was typed in it) behind it, one click away.
 * Clearing the selection, or the panel's toolbar button, brings the panel back. Adding a node from
 * the palette does not hide the panel (a draft is often built with Versions open).
 */
import { useState } from 'react';
import type { SidePanel } from './side-panels.tsx';

/** `selectionKey`: the id of the selected node or edge, null when nothing is selected. */
export function useSidePanel(initial: SidePanel | null, selectionKey: string | null) {
  const [open, setOpen] = useState(initial);
  const [selectionInFront, setSelectionInFront] = useState(false);
  // Adjusted while rendering (not in an effect), so the paint after a deselect is already right.
  // Only on the change to nothing: a click may bring the selection forward a render before the
  // canvas reports what it selected.
  const [seenSelection, setSeenSelection] = useState(selectionKey);
  if (seenSelection !== selectionKey) {
    setSeenSelection(selectionKey);
    if (selectionKey === null) setSelectionInFront(false);
  }
  const shown = open && !selectionInFront ? open : null;
  return {
    /** The open tool panel, shown or behind the selection. */
    open,
    /** The tool panel on screen; null while the selection's view is. */
    shown,
    /** The toolbar's button: shows the panel, or closes it when it is the one on screen. */
    toggle(panel: SidePanel) {
      setOpen(shown === panel ? null : panel);
      setSelectionInFront(false);
    },
    /** A node or connection was clicked (perhaps the selected one), or an issue: show its view. */
    showSelection() {
      setSelectionInFront(true);
    },
    /** Back to the open tool panel from the selection's view. */
    showPanel() {
      setSelectionInFront(false);
    },
  };
}
