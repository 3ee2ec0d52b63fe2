import { createNodeRegistry } from '@swarm/engine/server';
import { renderToStaticMarkup } from 'react-dom/server';
import { expect, test } from 'vitest';
import { describeSchema } from './json-schema.ts';
import { SchemaForm } from './schema-form.tsx';

const agentSchema = createNodeRegistry()
  .list()
  .find((t) => t.type === 'agent')!.configJsonSchema;

function render(element: React.ReactElement) {
  const html = renderToStaticMarkup(element);
  // Parse loosely: attributes of the element with a given test id.
  const byTestId = (id: string) => {
    const match = new RegExp(`<(\\w+)[^>]*data-testid="${id.replace(/[[\]]/g, '\\$&')}"[^>]*>`).exec(html);
    return match?.[0] ?? null;
  };
  return { html, byTestId };
}

test('an agent config renders a labelled field per setting, with API issues on their fields', () => {
  const { html, byTestId } = render(
    <SchemaForm
      spec={describeSchema(agentSchema)}
      value={{
        role: 'writer',
        provider: 'anthropic',
        model: '',
        prompt: '{{input.query}}',
        temperature: 0.5,
        fallback: [{ provider: 'openai', model: 'gpt-4o' }],
      }}
      onChange={() => {}}
      path="config"
      testIdPrefix="config-field"
      issues={[
        { path: 'config.model', message: 'required' },
        { path: 'config.fallback[0].model', message: 'unknown model' },
        { path: 'config.somethingElse', message: 'is not allowed' },
      ]}
    />,
  );
  expect(byTestId('config-field-role')).toContain('value="writer"');
  expect(byTestId('config-field-role')).not.toContain('aria-invalid');
  expect(byTestId('config-field-model')).toContain('aria-invalid="true"');
  expect(html).toContain('data-testid="config-field-model-error">required<');
  // The provider select has the chosen option selected (index 1 of openai, anthropic, gemini, mock).
  expect(html).toMatch(
    /data-testid="config-field-provider"[^>]*>.*<option value="1" selected="">anthropic<\/option>/,
  );
  expect(byTestId('config-field-temperature')).toContain('value="0.5"');
  expect(byTestId('config-field-prompt')).toMatch(/^<textarea/);
  // The fallback list: one item with its own fields, and its issue on the nested field.
  expect(byTestId('config-field-fallback[0].model')).toContain('value="gpt-4o"');
  expect(html).toContain('data-testid="config-field-fallback[0].model-error">unknown model<');
  // An issue without a field is listed above the form, not dropped.
  expect(html).toMatch(/data-testid="config-field-issues".*config\.somethingElse: <\/span>is not allowed/);
  // Labels are tied to their inputs.
  const roleId = /<input[^>]*id="([^"]+)"[^>]*data-testid="config-field-role"/.exec(html)?.[1];
  expect(roleId).toBeTruthy();
  expect(html).toMatch(new RegExp(`<label for="${roleId}"[^>]*>Role<`));
  // Optional settings without a value are grouped.
  // (the fallback policy knobs among them: the model map checkbox starts ticked, its default).
  expect(html).toContain('More options (14)');
  expect(html).toMatch(/data-testid="config-field-useModelMap" checked=""/);
  expect(html).toContain('data-testid="config-field-retry.retries"');
});

test('a run input schema renders its fields; a non-object schema renders one field', () => {
  const { byTestId, html } = render(
    <SchemaForm
      spec={describeSchema({
        type: 'object',
        properties: {
          query: { type: 'string', minLength: 1, description: 'What to research' },
          depth: { type: 'integer', default: 2 },
          urgent: { type: 'boolean' },
        },
        required: ['query'],
      })}
      value={{}}
      onChange={() => {}}
      path="input"
      testIdPrefix="run-input"
      issues={[{ path: 'input.query', message: 'required' }]}
    />,
  );
  expect(byTestId('run-input-query')).toContain('aria-invalid="true"');
  expect(html).toContain('What to research');
  expect(byTestId('run-input-depth')).toContain('placeholder="2"');
  expect(byTestId('run-input-urgent')).toContain('type="checkbox"');

  const single = render(
    <SchemaForm
      spec={describeSchema({ type: 'string' })}
      value="hello"
      onChange={() => {}}
      path="input"
      testIdPrefix="run-input"
      rootLabel="Input"
    />,
  );
  expect(single.byTestId('run-input-value')).toContain('value="hello"');
});

test('required fields carry a star, and a length limit is shown as a counter instead of cutting the text', () => {
  const name = 'x'.repeat(664);
  const { byTestId } = render(
    <SchemaForm
      spec={describeSchema({
        type: 'object',
        properties: {
          title: { type: 'string', maxLength: 200 },
          note: { type: 'string' },
        },
        required: ['title'],
      })}
      value={{ title: name }}
      onChange={() => {}}
      path="input"
      testIdPrefix="run-input"
    />,
  );
  expect(byTestId('run-input-title-required')).not.toBeNull();
  expect(byTestId('run-input-title')).toContain('aria-required="true"');
  expect(byTestId('run-input-note-required')).toBeNull();
  // The whole value stays in the field (no `maxLength` attribute silently dropping 464 characters).
  expect(byTestId('run-input-title')).not.toContain('maxlength');
  const counter = render(
    <SchemaForm
      spec={describeSchema({ type: 'object', properties: { title: { type: 'string', maxLength: 200 } } })}
      value={{ title: name }}
      onChange={() => {}}
      path="input"
      testIdPrefix="run-input"
    />,
  ).html;
  expect(counter).toMatch(
    /data-testid="run-input-title-count" data-over="true">664 \/ 200 — 464 over the limit/,
  );
});
