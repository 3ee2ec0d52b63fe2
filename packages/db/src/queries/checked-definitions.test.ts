import { sampleWorkflowDefinition, type WorkflowDefinition } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { describe, expect, it } from 'vitest';
import { runnableDefinitionOfText } from './checked-definitions.ts';

const registry = createNodeRegistry();

/** The sample workflow with its writer asked `prompt`. */
function definition(prompt: string): WorkflowDefinition {
  const sample = sampleWorkflowDefinition();
  const writer = sample.nodes.find((node) => node.id === 'writer')!;
  writer.config = { ...writer.config, prompt };
  return sample;
}

describe('runnableDefinitionOfText', () => {
  it('checks a text once and hands every later start of that text the same frozen definition', () => {
    // Postgres writes jsonb as text with spaces after ':' and ','; any spelling is a text of its own.
    const text = JSON.stringify(definition('Say hi'), null, 1);
    const first = runnableDefinitionOfText(text, registry);
    expect(first.nodes.map((n) => n.id)).toEqual(sampleWorkflowDefinition().nodes.map((n) => n.id));
    const sameText = JSON.stringify(definition('Say hi'), null, 1);
    expect(runnableDefinitionOfText(sameText, registry)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.nodes.find((n) => n.id === 'writer')!.config)).toBe(true);
    expect(() => {
      (first.nodes as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('an edited definition is a different text: checked afresh, never the old result', () => {
    const before = runnableDefinitionOfText(JSON.stringify(definition('Before')), registry);
    const after = runnableDefinitionOfText(JSON.stringify(definition('After')), registry);
    expect(after).not.toBe(before);
    const writerOf = (d: WorkflowDefinition) => d.nodes.find((n) => n.id === 'writer')!.config;
    expect(writerOf(after)).toMatchObject({ prompt: 'After' });
    expect(writerOf(before)).toMatchObject({ prompt: 'Before' });
  });

  it('a definition that cannot run fails every time, naming the path (its failure is not kept)', () => {
    const broken = definition('x');
    broken.nodes.find((n) => n.id === 'writer')!.type = 'no-such-type';
    const text = JSON.stringify(broken);
    for (let i = 0; i < 2; i++)
      expect(() => runnableDefinitionOfText(text, registry)).toThrow(/no-such-type/);
  });

  it('keeps results per node registry (a text valid for one may not be for another)', () => {
    const text = JSON.stringify(definition('Per registry'));
    const other = createNodeRegistry();
    expect(runnableDefinitionOfText(text, other)).not.toBe(runnableDefinitionOfText(text, registry));
  });
});
