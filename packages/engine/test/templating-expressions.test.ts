import { afterAll, describe, expect, it } from 'vitest';
import {
  ExpressionError,
  type ExpressionLimits,
  evaluateInThisThread,
  expressionNodeReferences,
  expressionReads,
  renderTemplate,
  renderTemplateValue,
  scanTemplate,
  TemplateError,
} from '../src/index.ts';
import { createExpressionPool } from '../src/server.ts';

const scope = {
  input: { query: 'tides', n: 3, user: { name: 'Ada' }, list: ['a', 'b'], 'with space': 'yes' },
  nodes: {
    researcher: { output: 'facts' },
    search: { output: { items: [{ title: 'First' }, { title: 'Second' }], count: 2 } },
  },
};

describe('templates', () => {
  it('renders input and node outputs, deeper paths, indexes and quoted keys', () => {
    expect(
      renderTemplate(
        'Q: {{input.query}} / {{ nodes.researcher.output }} / {{nodes.search.output.items[1].title}} / {{input.list[0]}} / {{input["with space"]}}',
        scope,
      ),
    ).toBe('Q: tides / facts / Second / a / yes');
  });

  it('renders objects as JSON, numbers as text, and anything missing as ""', () => {
    expect(renderTemplate('{{input.user}} {{input.n}}', scope)).toBe('{"name":"Ada"} 3');
    expect(
      renderTemplate('[{{input.nope.deeper}}][{{nodes.skipped.output}}][{{input.list[9]}}]', scope),
    ).toBe('[][][]');
  });

  it('never reaches prototypes or evaluates anything', () => {
    expect(() => renderTemplate('{{input.__proto__}}', scope)).toThrow(TemplateError);
    expect(() => renderTemplate('{{input.constructor}}', scope)).toThrow('may not use "constructor"');
    expect(renderTemplate('{{input.toString}}', scope)).toBe('');
    expect(() => renderTemplate('{{ process.env.HOME }}', scope)).toThrow(
      'must start with "input" or "nodes"',
    );
    expect(() => renderTemplate('{{input.query + 1}}', scope)).toThrow('is not a path');
  });

  it('leaves text that is no placeholder alone', () => {
    expect(renderTemplate('a { b } {{ c', scope)).toBe('a { b } {{ c');
  });

  it('keeps the type of a value that is exactly one placeholder inside a JSON value', () => {
    expect(
      renderTemplateValue(
        { count: '{{nodes.search.output.count}}', text: 'n={{input.n}}', list: ['{{input.list}}'] },
        scope,
      ),
    ).toEqual({ count: 2, text: 'n=3', list: [['a', 'b']] });
  });

  it('lists placeholders and syntax errors for validation', () => {
    const { placeholders, errors } = scanTemplate('{{nodes.a.output}} {{input.x}} {{bad}}');
    expect(placeholders.map((p) => [p.root, p.segments])).toEqual([
      ['nodes', ['a', 'output']],
      ['input', ['x']],
    ]);
    expect(errors).toEqual(['placeholder "{{bad}}" must start with "input" or "nodes"']);
  });
});

describe('expressions', () => {
  const pool = createExpressionPool({ workers: 2 });
  afterAll(() => pool.close());
  const evaluateExpression = (source: string, data: unknown, limits?: Partial<ExpressionLimits>) =>
    pool.evaluate(source, data, { limits });

  it('evaluates JSONata and returns plain JSON (no match is null)', async () => {
    expect(await evaluateExpression('nodes.search.output.items.title', scope)).toEqual(['First', 'Second']);
    expect(await evaluateExpression('input.missing', scope)).toBeNull();
  });

  it('reuses a compiled expression safely: concurrent evaluations each see their own input', async () => {
    // jsonata evaluates asynchronously, so the evaluations interleave on the one compiled expression.
    const source = '($x := value; $sum([1..20]) > 0 ? $x * 2 : 0)';
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => evaluateInThisThread(source, { value: i })),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    // A different limit is a different compiled expression: its own limit applies.
    await expect(evaluateExpression('[1..1000]', {}, { maxSequence: 10 })).rejects.toThrow(
      /longer than 10 items/,
    );
    expect(await evaluateExpression('$count([1..1000])', {})).toBe(1000);
  });

  it('stops endless recursion, huge sequences and overlong sources with clear expression errors', async () => {
    const tailLoop = evaluateExpression('( $f := function($x){ $f($x) }; $f(1) )', {}, { timeoutMs: 100 });
    await expect(tailLoop).rejects.toThrow(ExpressionError);
    await expect(tailLoop).rejects.toThrow('expression ran longer than 100 ms');
    await expect(evaluateExpression('( $f := function($x){ 1 + $f($x) }; $f(1) )', {})).rejects.toThrow(
      'expression recursed deeper than 300 levels',
    );
    await expect(evaluateExpression('$count([1..5000000].($ * 2))', {})).rejects.toThrow(
      'expression built a sequence longer than 100000 items',
    );
    await expect(evaluateExpression('1 + 1'.padEnd(20_000, ' '), {})).rejects.toThrow(
      'expression longer than 10000 characters',
    );
    await expect(
      evaluateExpression('$eval("( $f := function($x){ 1 + $f($x) }; $f(1) )")', {}),
    ).rejects.toThrow('recursed deeper');
  });

  it('refuses regular expressions that can backtrack exponentially', async () => {
    await expect(
      evaluateExpression('$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)', {}),
    ).rejects.toThrow('can take exponential time');
    expect(await evaluateExpression('$contains("hello", /l+o/)', {})).toBe(true);
  });

  it('reports syntax errors with their position', async () => {
    await expect(evaluateExpression('$sum(', {})).rejects.toThrow(
      /^invalid expression: .*\(at character \d+\)$/,
    );
  });

  it('finds the nodes an expression reads', () => {
    expect(expressionNodeReferences('nodes.a.output & $string(nodes.b.output.x) & input.c').sort()).toEqual([
      'a',
      'b',
    ]);
  });

  it('knows which upstream outputs an expression reads, and says "all" when it cannot tell', () => {
    expect([...expressionReads('nodes.a.output.x & $string(nodes.b.output) & input.q').nodes].sort()).toEqual(
      ['a', 'b'],
    );
    expect(expressionReads('1').nodes).toEqual([]);
    for (const dynamic of [
      'nodes',
      'nodes.*.output',
      '$lookup(nodes, "a")',
      '$keys($$.nodes)',
      'input.items[$.price > 1]',
      'nodes.a.output.%.b',
      '**.output',
      '$eval("nodes.a.output")',
      '*',
    ])
      expect(expressionReads(dynamic).nodes, dynamic).toBe('all');
  });

  it("bounds $pad's width and otherwise pads as jsonata does", async () => {
    const cases: Array<[string, unknown, unknown]> = [
      ['$pad("abc", 6, "xy")', {}, 'abcxyx'],
      ['$pad("abc", -6, "#")', {}, '###abc'],
      ['$pad("ab", 1)', {}, 'ab'],
      ['$pad(x, 3)', { x: 'é' }, 'é  '],
      ['x.$pad($, 4, "-")', { x: 'a' }, 'a---'],
      ['$pad("💡", 3, "🙂")', {}, '💡🙂🙂'],
      ['$pad(nothing, 3)', {}, null],
      ['$length($pad("", 1000000, "x"))', {}, 1_000_000],
    ];
    // What is tested is the padding, not speed: a million characters take a demoted worker on a
    // saturated machine longer than the default second.
    for (const [source, data, expected] of cases)
      expect(await evaluateExpression(source, data, { timeoutMs: 30_000 }), source).toEqual(expected);
    await expect(evaluateExpression('$pad("", -1000001)', {})).rejects.toThrow(
      'expression failed: $pad to 1000001 characters is over the limit of 1000000 characters',
    );
  });

  it('has no way out to JavaScript', async () => {
    await expect(evaluateExpression('$eval("process")', {})).resolves.toBeNull();
    await expect(evaluateExpression('constructor', {})).resolves.toBeNull();
  });
});
