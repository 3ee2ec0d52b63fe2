import type { DefinitionChangeSummary } from '@swarm/engine';
import { describe, expect, test } from 'vitest';
import { compareMarks, MARK_COLOURS, nodeColour } from './compare-marks.ts';

const none = { added: [], removed: [], modified: [], moved: [] };
const summary: DefinitionChangeSummary = {
  identical: false,
  nodes: {
    added: [{ id: 'n-new', type: 'agent', name: 'New' }],
    removed: [{ id: 'n-old', type: 'agent', name: 'Old' }],
    modified: [{ id: 'n-mod', type: 'agent', name: 'Mod', fields: ['config.prompt'] }],
    moved: [
      { id: 'n-mod', type: 'agent', name: 'Mod', from: { x: 0, y: 0 }, to: { x: 10, y: 0 } },
      { id: 'n-mov', type: 'input', name: 'In', from: { x: 0, y: 0 }, to: { x: 0, y: 10 } },
    ],
  },
  edges: {
    added: [{ id: 'e-new', source: 'a', target: 'b' }],
    removed: [{ id: 'e-old', source: 'a', target: 'c' }],
    modified: [{ id: 'e-mod', source: 'a', target: 'd', fields: ['target'] }],
  },
  agents: none,
  changed: [],
};

describe('compareMarks', () => {
  test('the "from" side shows removed, modified and moved', () => {
    const marks = compareMarks(summary, 'from');
    expect(Object.fromEntries(marks.nodes)).toEqual({
      'n-old': ['removed'],
      'n-mod': ['modified', 'moved'],
      'n-mov': ['moved'],
    });
    expect(Object.fromEntries(marks.edges)).toEqual({ 'e-old': 'removed', 'e-mod': 'modified' });
  });

  test('the "to" side shows added, modified and moved', () => {
    const marks = compareMarks(summary, 'to');
    expect(marks.nodes.get('n-new')).toEqual(['added']);
    expect(marks.nodes.has('n-old')).toBe(false);
    expect(Object.fromEntries(marks.edges)).toEqual({ 'e-new': 'added', 'e-mod': 'modified' });
  });

  test('a node takes the colour of its strongest mark', () => {
    expect(nodeColour(['modified', 'moved'])).toBe(MARK_COLOURS.modified);
    expect(nodeColour(['moved'])).toBe(MARK_COLOURS.moved);
    expect(nodeColour(['added'])).toBe(MARK_COLOURS.added);
    expect(nodeColour(undefined)).toBeNull();
  });
});
