import { Position } from '@xyflow/react';
import { describe, expect, test } from 'vitest';
import type { FlowNode } from '../editor/graph.ts';
import {
  COMPARE_CARD_HEIGHT,
  COMPARE_MAX_ZOOM,
  COMPARE_MIN_ZOOM,
  cardHandles,
  fittingViewport,
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
