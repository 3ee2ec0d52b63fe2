import { getBezierPath, Position } from '@xyflow/react';
import { describe, expect, test } from 'vitest';
import type { FlowEdge, FlowNode } from '../editor/graph.ts';
import { edgeLines, overlaps, visibleRect } from './compare-edge-lines.ts';
import { COMPARE_CARD_HEIGHT, presized } from './compare-layout.ts';

const node = (id: string, x: number, y: number, outputs = ['out']): FlowNode =>
  presized(
    { id, type: 'workflow', position: { x, y }, data: { nodeType: 'agent', name: id, config: {} } },
    { hasInput: true, outputs },
  );
const edge = (id: string, source: string, target: string, sourceHandle: string | null = null): FlowEdge => ({
  id,
  source,
  target,
  sourceHandle,
  targetHandle: null,
});

describe('edge lines', () => {
  test("an edge runs between the outer sides of the handles on the cards' borders, as React Flow draws it", () => {
    // Handles are 12 px squares centred on the borders: the edge leaves 6 px right of the card.
    const [line] = edgeLines([node('a', 0, 0), node('b', 400, 100)], [edge('e', 'a', 'b')]);
    const [path] = getBezierPath({
      sourceX: 246,
      sourceY: COMPARE_CARD_HEIGHT / 2,
      sourcePosition: Position.Right,
      targetX: 394,
      targetY: 100 + COMPARE_CARD_HEIGHT / 2,
      targetPosition: Position.Left,
    });
    expect(line).toEqual({ id: 'e', path, box: { x: 0, y: 0, x2: 640, y2: 100 + COMPARE_CARD_HEIGHT } });
  });

  test('a named output starts at its own handle; an unknown handle or node draws nothing', () => {
    const nodes = [node('c', 0, 0, ['true', 'false']), node('d', 400, 0)];
    const lines = edgeLines(nodes, [
      edge('t', 'c', 'd', 'true'),
      edge('f', 'c', 'd', 'false'),
      edge('x', 'c', 'd', 'maybe'),
      edge('y', 'c', 'gone'),
    ]);
    expect(lines.map((l) => l.id)).toEqual(['t', 'f']);
    const startY = (l: (typeof lines)[number]) => Number(/^M[\d.]+,([\d.]+)/.exec(l.path)?.[1]);
    expect(startY(lines[0] as (typeof lines)[number])).toBeCloseTo(COMPARE_CARD_HEIGHT / 3);
    expect(startY(lines[1] as (typeof lines)[number])).toBeCloseTo((2 * COMPARE_CARD_HEIGHT) / 3);
  });

  test('class and style of a marked edge are kept', () => {
    const marked = { ...edge('e', 'a', 'b'), className: 'diff-added', style: { stroke: '#16a34a' } };
    const [line] = edgeLines([node('a', 0, 0), node('b', 400, 0)], [marked]);
    expect(line).toMatchObject({ className: 'diff-added', style: { stroke: '#16a34a' } });
  });

  test('an edge is visible when the box of its two cards overlaps the viewport', () => {
    // A 500 × 400 pane panned by (-1000, 0) at zoom 0.5 shows flow x 2000..3000, y 0..800.
    const view = visibleRect([-1000, 0, 0.5], 500, 400);
    expect(view).toEqual({ x: 2000, y: -0, x2: 3000, y2: 800 });
    expect(overlaps({ x: 1500, y: 100, x2: 2100, y2: 200 }, view)).toBe(true);
    expect(overlaps({ x: 0, y: 100, x2: 1900, y2: 200 }, view)).toBe(false);
    expect(overlaps({ x: 2500, y: 900, x2: 2600, y2: 1000 }, view)).toBe(false);
  });
});
