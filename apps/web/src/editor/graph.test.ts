import type { WorkflowDefinition } from '@swarm/engine';
import { describe, expect, test } from 'vitest';
import {
  findFreeSpot,
  isAllowedConnection,
  newEdgeId,
  newNodeId,
  toDefinition,
  toFlow,
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
