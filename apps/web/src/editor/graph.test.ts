import type { WorkflowDefinition } from '@swarm/engine';
import { describe, expect, test } from 'vitest';
import {
  findFreeSpot,
  isAllowedConnection,
  newEdgeId,
  newNodeId,
  READABLE_MIN_ZOOM,
  refusedConnectionReason,
  spotBeside,
  toDefinition,
  toFlow,
  viewportShowing,
  wouldCreateCycle,
} from './graph.ts';

const chain = [
  { id: 'e1', source: 'a', target: 'b' },
  { id: 'e2', source: 'b', target: 'c' },
];

describe('wouldCreateCycle', () => {
  test('refuses self-loops and edges that close a loop, allows the rest', () => {
    expect(wouldCreateCycle(chain, 'a', 'a')).toBe(true);
    expect(wouldCreateCycle(chain, 'c', 'a')).toBe(true);
    expect(wouldCreateCycle(chain, 'b', 'a')).toBe(true);
    expect(wouldCreateCycle(chain, 'a', 'c')).toBe(false);
    expect(wouldCreateCycle(chain, 'c', 'd')).toBe(false);
  });

  test('copes with long chains without recursion', () => {
    const edges = Array.from({ length: 20_000 }, (_, i) => ({
      id: `e${i}`,
      source: `n${i}`,
      target: `n${i + 1}`,
    }));
    expect(wouldCreateCycle(edges, 'n20000', 'n0')).toBe(true);
  });
});

test('isAllowedConnection refuses duplicates of an existing edge', () => {
  const edges = chain.map((e) => ({ ...e, sourceHandle: null, targetHandle: null }));
  const base = { sourceHandle: null, targetHandle: null };
  expect(isAllowedConnection(edges, { source: 'a', target: 'b', ...base })).toBe(false);
  expect(isAllowedConnection(edges, { source: 'a', target: 'c', ...base })).toBe(true);
});

test('a refused connection says why, with the nodes’ names', () => {
  const edges = chain.map((e) => ({ ...e, sourceHandle: null, targetHandle: null }));
  const names: Record<string, string> = { a: 'Input', b: 'Writer', c: 'Output' };
  const nameOf = (id: string) => names[id] ?? id;
  const reason = (source: string, target: string) =>
    refusedConnectionReason(edges, { source, target, sourceHandle: null, targetHandle: null }, nameOf);
  expect(reason('c', 'a')).toBe(
    'Output → Input would make a loop: Input already leads to Output, and a workflow runs each step once.',
  );
  expect(reason('b', 'b')).toBe('Writer can’t connect to itself: a workflow has no loops.');
  expect(reason('a', 'b')).toBe('Input is already connected to Writer.');
  expect(reason('a', 'c')).toBeNull();
});

test('new ids are <type>-<6 random chars> and e-<6 random chars>', () => {
  expect(newNodeId('agent', new Set())).toMatch(/^agent-[a-z0-9]{6}$/);
  expect(newNodeId('acme/slack', new Set())).toMatch(/^acme-slack-[a-z0-9]{6}$/);
  expect(newEdgeId(new Set())).toMatch(/^e-[a-z0-9]{6}$/);
});

test('a definition survives the round trip through the canvas, extras included', () => {
  const definition: WorkflowDefinition = {
    nodes: [
      { id: 'input', type: 'input', name: 'Question', position: { x: 0, y: 160 }, config: {} },
      { id: 'agent', type: 'agent', name: 'Writer', position: { x: 280, y: 40 }, config: { model: 'echo' } },
    ],
    edges: [{ id: 'e-1', source: 'input', target: 'agent', sourceHandle: 'out' }],
    inputSchema: { type: 'object' },
    settings: { concurrency: 2 },
  };
  const { nodes, edges, extras } = toFlow(definition);
  expect(toDefinition(nodes, edges, extras)).toEqual(definition);
});

test('findFreeSpot moves a new node off existing ones', () => {
  const { nodes } = toFlow({
    nodes: [{ id: 'a', type: 'agent', name: '', position: { x: 100, y: 100 }, config: {} }],
    edges: [],
  });
  const spot = findFreeSpot(nodes, { x: 100, y: 100 });
  expect(spot).not.toEqual({ x: 100, y: 100 });
  expect(findFreeSpot(nodes, { x: 1000, y: 1000 })).toEqual({ x: 1000, y: 1000 });
});

test('findFreeSpot keeps clear of measured boxes, not only the default card size', () => {
  const tall = { position: { x: 0, y: 0 }, measured: { width: 240, height: 300 } };
  // Below the default 84 px height but inside the measured 300 px: moved below the tall node.
  const spot = findFreeSpot([tall], { x: 0, y: 150 });
  expect(spot.y).toBeGreaterThanOrEqual(300);
  expect(spot.x).toBe(0);
});

test('spotBeside puts a new node right of its anchor on the same row, else just below', () => {
  const anchor = { position: { x: 0, y: 100 }, measured: { width: 240, height: 60 } };
  expect(spotBeside([anchor], anchor)).toEqual({ x: 320, y: 100 });
  const neighbour = { position: { x: 340, y: 100 }, measured: { width: 240, height: 60 } };
  const spot = spotBeside([anchor, neighbour], anchor);
  expect(spot.x).toBe(320);
  expect(spot.y).toBeGreaterThanOrEqual(100 + 60);
});

test('viewportShowing zooms out to a readable zoom to show the new node, else centres on it', () => {
  const canvas = { width: 700, height: 500 };
  const box = (x: number) => ({ x, y: 0, width: 240, height: 60 });
  // Two nodes fit at zoom 1 minus a little: the view shows both, at no more than the current zoom.
  const both = viewportShowing([box(0)], box(320), canvas, 1);
  expect(both.zoom).toBeLessThanOrEqual(1);
  expect(both.zoom).toBeGreaterThanOrEqual(READABLE_MIN_ZOOM);
  expect(320 * both.zoom + both.x + 240 * both.zoom).toBeLessThanOrEqual(canvas.width);
  // A far-away node: the flow does not fit at a readable zoom, so the view centres on it.
  const far = viewportShowing([box(0)], box(3000), canvas, 1);
  expect(far.zoom).toBe(READABLE_MIN_ZOOM);
  expect(3120 * far.zoom + far.x).toBeCloseTo(canvas.width / 2);
});
