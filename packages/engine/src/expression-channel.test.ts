import { describe, expect, it } from 'vitest';
import {
  createTaskReader,
  createWorkerMessageReader,
  type ExpressionTask,
  taskText,
  type WorkerMessage,
  workerMessageText,
} from './expression-channel.ts';
import { DEFAULT_EXPRESSION_LIMITS } from './expressions.ts';

/** Every way to cut `bytes` into two chunks, and one byte at a time. */
function cuts(bytes: Buffer): Buffer[][] {
  const ways = [[bytes], [...bytes].map((byte) => Buffer.from([byte]))];
  for (let at = 1; at < bytes.length; at++) ways.push([bytes.subarray(0, at), bytes.subarray(at)]);
  return ways;
}

describe('expression channel', () => {
  const task: ExpressionTask = {
    source: 'input.text & "\\n✓"',
    // Data whose text holds escaped line breaks and multi-byte characters.
    data: JSON.stringify({ input: { text: 'line one\nline two — ünïcode 🐝' } }),
    bindings: { headers: { 'x-note': 'a\r\nb' } },
    limits: DEFAULT_EXPRESSION_LIMITS,
    maxOutputBytes: 1_000,
  };

  it('carries tasks whole however the bytes are cut, even inside a character', () => {
    const bytes = Buffer.from(taskText(7, task) + taskText(8, { ...task, data: 'null' }));
    for (const chunks of cuts(bytes)) {
      const got: [number, ExpressionTask][] = [];
      const read = createTaskReader((id, received) => got.push([id, received]));
      for (const chunk of chunks) read(chunk);
      expect(got).toEqual([
        [7, task],
        [8, { ...task, data: 'null' }],
      ]);
    }
  });

  it('carries readiness, errors and results (JSON text kept as it was)', () => {
    const messages: WorkerMessage[] = [
      { ready: true, cpuMs: 12 },
      { id: 1, cpuMs: 13, answer: { result: JSON.stringify({ text: 'a\nb 🐝', n: [1, 2] }) } },
      { id: 2, cpuMs: 14, answer: { error: 'expression ran longer than 20 ms\nand was stopped' } },
      { id: 3, cpuMs: 15, answer: { result: 'null' } },
    ];
    const bytes = Buffer.from(messages.map(workerMessageText).join(''));
    for (const chunks of cuts(bytes)) {
      const got: WorkerMessage[] = [];
      const read = createWorkerMessageReader((message) => got.push(message));
      for (const chunk of chunks) read(chunk);
      expect(got).toEqual(messages);
    }
  });
});
