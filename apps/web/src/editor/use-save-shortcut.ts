/** Ctrl+S (⌘+S on a Mac) saves, wherever the focus is, instead of saving the page. */
import { useEffect, useRef } from 'react';

export function useSaveShortcut(save: () => void) {
  // The listener stays put; it calls the latest `save`, which closes over the latest draft.
  const saveRef = useRef(save);
  saveRef.current = save;
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
        event.preventDefault();
        saveRef.current();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
}
