import { Position } from '@xyflow/react';
import { describe, expect, test } from 'vitest';
import type { FlowNode } from '../editor/graph.ts';
import { READABLE_MIN_ZOOM } from '../editor/graph.ts';
import {
  COMPARE_CARD_HEIGHT,
  COMPARE_MAX_ZOOM,
  COMPARE_MIN_ZOOM,
  cardBox,
  cardHandles,
  fittingViewport,
  openingViewport,
  presized,
} from './compare-layout.ts';

const node = (id: string, x: number, y: number): FlowNode => ({
  id,
  type: 'workflow',
  position: { x, y },
  data: { nodeType: 'agent', name: id, config: {} },
});

describe('card handles', () => {
  test('an input node has one output on the right and no input', () => {
    const handles = cardHandles({ hasInput: false, outputs: ['out'] });
    expect(handles).toEqual([
      { id: null, type: 'source', position: Position.Right, x: 234, y: 22, width: 12, height: 12 },
    ]);
  });

  test('a condition gets its input and one source handle per output, spread down the right edge', () => {
    const handles = cardHandles({ hasInput: true, outputs: ['true', 'false'] });
    expect(handles.map((h) => [h.type, h.id, h.position])).toEqual([
      ['target', null, Position.Left],
      ['source', 'true', Position.Right],
      ['source', 'false', Position.Right],
    ]);
    const [, first, second] = handles;
    expect((first?.y ?? 0) + 6).toBeCloseTo(COMPARE_CARD_HEIGHT / 3);
    expect((second?.y ?? 0) + 6).toBeCloseTo((2 * COMPARE_CARD_HEIGHT) / 3);
  });

  test('a presized node keeps its data and gains a size, so React Flow shows it before measuring', () => {
    const sized = presized(node('a', 10, 20), { hasInput: true, outputs: ['out'] });
    expect(sized).toMatchObject({ id: 'a', position: { x: 10, y: 20 }, initialWidth: 240 });
    expect(sized.initialHeight).toBe(COMPARE_CARD_HEIGHT);
    expect(sized.measured).toEqual({ width: 240, height: COMPARE_CARD_HEIGHT });
    expect(sized.handles).toHaveLength(2);
  });
});

describe('fitting viewport', () => {
  test('a small graph is centred at no more than the maximum zoom', () => {
    const nodes = [presized(node('a', 0, 0), { hasInput: false, outputs: ['out'] })];
    const viewport = fittingViewport(nodes, 800, 600);
    expect(viewport.zoom).toBe(COMPARE_MAX_ZOOM);
    expect(viewport.x + (240 / 2) * viewport.zoom).toBeCloseTo(400);
    expect(viewport.y + (COMPARE_CARD_HEIGHT / 2) * viewport.zoom).toBeCloseTo(300);
  });

  test('a graph too big to fit stops at the minimum zoom, centred on the graph', () => {
    const nodes = Array.from({ length: 500 }, (_, i) =>
      presized(node(`n${i}`, (i % 20) * 260, Math.floor(i / 20) * 160), { hasInput: true, outputs: ['out'] }),
    );
    const viewport = fittingViewport(nodes, 480, 670);
    expect(viewport.zoom).toBe(COMPARE_MIN_ZOOM);
    const width = 19 * 260 + 240;
    expect(viewport.x + (width / 2) * viewport.zoom).toBeCloseTo(240);
  });

  test('no nodes: the origin at the maximum zoom', () => {
    expect(fittingViewport([], 800, 600)).toEqual({ x: 0, y: 0, zoom: COMPARE_MAX_ZOOM });
  });
});

describe('opening viewport', () => {
  const grid = (count: number) =>
    Array.from({ length: count }, (_, i) =>
      presized(node(`n${i}`, (i % 20) * 260, Math.floor(i / 20) * 160), { hasInput: true, outputs: ['out'] }),
    );
  /** Whether a box lies wholly inside a 480 × 670 pane at this viewport. */
  const inPane = (
    box: { x: number; y: number; width: number; height: number },
    v: { x: number; y: number; zoom: number },
  ) =>
    box.x * v.zoom + v.x >= 0 &&
    box.y * v.zoom + v.y >= 0 &&
    (box.x + box.width) * v.zoom + v.x <= 480 &&
    (box.y + box.height) * v.zoom + v.y <= 670;

  test('a graph that fits at a readable zoom is shown whole, changes or not', () => {
    const nodes = grid(3);
    expect(openingViewport(nodes, [cardBox({ x: 260, y: 0 })], 800, 600)).toEqual(
      fittingViewport(nodes, 800, 600),
    );
  });

  test('a large graph opens at a readable zoom on its changes when they fit together', () => {
    const changes = [cardBox({ x: 2600, y: 1600 }), cardBox({ x: 2860, y: 1760 })];
    const viewport = openingViewport(grid(500), changes, 480, 670);
    expect(viewport.zoom).toBeGreaterThanOrEqual(READABLE_MIN_ZOOM);
    for (const box of changes) expect(inPane(box, viewport)).toBe(true);
  });

  test('changes spread too far apart: the first in reading order, centred at the readable zoom', () => {
    const changes = [
      cardBox({ x: 4000, y: 3000 }),
      cardBox({ x: 1300, y: 480 }),
      cardBox({ x: 260, y: 640 }),
    ];
    const viewport = openingViewport(grid(500), changes, 480, 670);
    expect(viewport.zoom).toBe(READABLE_MIN_ZOOM);
    expect(inPane(changes[1] as (typeof changes)[number], viewport)).toBe(true);
    expect(viewport.x + (1300 + 120) * viewport.zoom).toBeCloseTo(240);
    expect(viewport.y + (480 + COMPARE_CARD_HEIGHT / 2) * viewport.zoom).toBeCloseTo(335);
  });

  test('no changes: the whole graph as far out as the canvas goes', () => {
    const nodes = grid(500);
    expect(openingViewport(nodes, [], 480, 670)).toEqual(fittingViewport(nodes, 480, 670));
  });
});
