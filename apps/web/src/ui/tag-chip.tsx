/** A colour-coded tag pill; its text colour is picked for contrast against the tag colour. */
import type { ReactNode } from 'react';

export interface TagLike {
  id: string;
  name: string;
  color: string;
}

/** Relative luminance (WCAG) decides between dark and light text on the tag's own colour. */
export function readableTextColor(hex: string): string {
  const match = /^#?([0-9a-f]{6})$/i.exec(hex);
  if (!match) return '#0f172a';
  const n = Number.parseInt(match[1]!, 16);
  const channel = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
  return l > 0.4 ? '#0f172a' : '#ffffff';
}

export function TagChip({ tag, children }: { tag: TagLike; children?: ReactNode }) {
  return (
    <span
      data-testid="tag-chip"
      className="inline-flex max-w-40 items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium"
      style={{ backgroundColor: tag.color, color: readableTextColor(tag.color) }}
    >
      <span className="truncate">{tag.name}</span>
      {children}
    </span>
  );
}
