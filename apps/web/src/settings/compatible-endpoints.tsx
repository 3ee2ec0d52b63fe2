/**
 * The user's OpenAI-compatible endpoints (Ollama, vLLM, Groq, Azure…): named credentials an agent
 * node picks with `provider: openai-compatible` and `credential: <name>`, and the prices the user
 * gives their models (without one a model's cost is unknown, never $0). Keys and header values are
 * write-only: the server shows the key's last characters and the header names, never a value.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { fieldErrors, readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';

/** "Name: value" per line → headers; a line without a colon is reported, not dropped. */
function parseHeaders(text: string): Record<string, string> | string {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return `"${line}" is not "Name: value"`;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

const dollars = (micros: number) => `$${(micros / 1_000_000).toFixed(2)}`;

export function CompatibleEndpoints() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const endpoints = useQuery(trpc.providers.compatible.list.queryOptions());
  const prices = useQuery(trpc.providers.compatible.prices.list.queryOptions());
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.providers.compatible.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.providers.compatible.prices.list.queryKey() }),
    ]);
  const remove = useMutation(trpc.providers.compatible.delete.mutationOptions({ onSuccess: refresh }));
  const removePrice = useMutation(
    trpc.providers.compatible.prices.delete.mutationOptions({ onSuccess: refresh }),
  );

  return (
    <div className="space-y-3">
      {endpoints.isError ? (
        <p className="text-sm text-rose-600" role="alert">
          {readApiError(endpoints.error).message}
        </p>
      ) : null}
      <ul
        className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
        data-testid="compatible-endpoints"
      >
        {endpoints.data?.length === 0 ? (
          <li className="px-5 py-3.5 text-sm text-slate-500">No endpoints yet.</li>
        ) : null}
        {endpoints.data?.map((endpoint) => (
          <li key={endpoint.name} className="px-5 py-3.5" data-testid={`compatible-${endpoint.name}`}>
            <div className="flex flex-wrap items-center gap-3">
              <div className="min-w-40 flex-1">
                <p className="text-sm font-medium text-slate-900">
                  <span className="font-mono">{endpoint.name}</span>{' '}
                  <span className="text-slate-500">{endpoint.baseUrl}</span>
                </p>
                <p className="text-xs text-slate-500" data-testid="endpoint-details">
                  {endpoint.hint ? `key ending in ${endpoint.hint}` : 'key set'}
                  {endpoint.headerNames.length > 0 ? ` · headers: ${endpoint.headerNames.join(', ')}` : ''}
                  {endpoint.stream ? ' · streams' : ' · no streaming'}
                </p>
                <ul className="mt-1 text-xs text-slate-600">
                  {prices.data
                    ?.filter((p) => p.credential === endpoint.name)
                    .map((p) => (
                      <li key={p.model} data-testid="endpoint-price">
                        <span className="font-mono">{p.model}</span>: {dollars(p.inputPerMillionMicros)} in /{' '}
                        {dollars(p.outputPerMillionMicros)} out per 1M tokens{' '}
                        <button
                          type="button"
                          className="text-rose-600 hover:underline"
                          onClick={() => removePrice.mutate({ credential: endpoint.name, model: p.model })}
                        >
                          remove
                        </button>
                      </li>
                    ))}
                </ul>
              </div>
              <Button
                size="sm"
                variant="ghost"
                className="hover:bg-rose-50 hover:text-rose-700"
                onClick={() => remove.mutate({ name: endpoint.name })}
                data-testid="delete-endpoint"
              >
                Delete
              </Button>
            </div>
            <PriceForm credential={endpoint.name} onSaved={refresh} />
          </li>
        ))}
      </ul>
      <EndpointForm onSaved={refresh} />
      <p className="text-xs text-slate-500">
        Models on these endpoints cost “unknown” until you add their price. Private and local addresses (a
        local Ollama) work only when the server's operator allows them.
      </p>
    </div>
  );
}

function EndpointForm({ onSaved }: { onSaved: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [headerText, setHeaderText] = useState('');
  const [stream, setStream] = useState(true);
  const [headerError, setHeaderError] = useState<string | null>(null);
  const set = useMutation(
    trpc.providers.compatible.set.mutationOptions({
      onSuccess: async () => {
        setName('');
        setBaseUrl('');
        setApiKey('');
        setHeaderText('');
        setStream(true);
        await onSaved();
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const headers = parseHeaders(headerText);
    if (typeof headers === 'string') return setHeaderError(headers);
    setHeaderError(null);
    set.mutate({ name: name.trim(), baseUrl: baseUrl.trim(), apiKey: apiKey.trim(), headers, stream });
  };
  const errors = set.error ? fieldErrors(set.error) : {};
  const general = set.error && Object.keys(errors).length === 0 ? readApiError(set.error).message : null;
  const ids = useId();
  const field = (label: string, key: string, input: ReactNode) => (
    <div className="text-xs font-medium text-slate-700">
      <label htmlFor={`${ids}-${key}`}>{label}</label>
      {input}
      {errors[key] ? (
        <span className="mt-1 block text-rose-600" role="alert">
          {errors[key]}
        </span>
      ) : null}
    </div>
  );
  return (
    <form
      onSubmit={submit}
      className="grid gap-3 rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200 sm:grid-cols-2"
      data-testid="add-endpoint"
    >
      {field(
        'Name',
        'name',
        <input
          id={`${ids}-name`}
          className={`${inputClass} font-mono`}
          placeholder="groq"
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="endpoint-name"
        />,
      )}
      {field(
        'Base URL',
        'baseUrl',
        <input
          id={`${ids}-baseUrl`}
          className={inputClass}
          placeholder="https://api.groq.com/openai/v1"
          value={baseUrl}
          onChange={(e) => setBaseUrl(e.target.value)}
          data-testid="endpoint-base-url"
        />,
      )}
      {field(
        'API key',
        'apiKey',
        <input
          id={`${ids}-apiKey`}
          type="password"
          autoComplete="off"
          className={`${inputClass} font-mono`}
          value={apiKey}
          onChange={(e) => setApiKey(e.target.value)}
          data-testid="endpoint-key"
        />,
      )}
      {field(
        'Extra headers (Name: value, one per line)',
        'headers',
        <textarea
          id={`${ids}-headers`}
          className={`${inputClass} font-mono`}
          rows={2}
          value={headerText}
          onChange={(e) => setHeaderText(e.target.value)}
          data-testid="endpoint-headers"
        />,
      )}
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input type="checkbox" checked={stream} onChange={(e) => setStream(e.target.checked)} />
        Stream answers (turn off for a server that can't)
      </label>
      <div className="flex items-center justify-end gap-2">
        {headerError || general ? (
          <p className="text-xs text-rose-600" role="alert" data-testid="endpoint-error">
            {headerError ?? general}
          </p>
        ) : null}
        <Button type="submit" variant="primary" disabled={set.isPending} data-testid="save-endpoint">
          {set.isPending ? 'Saving…' : 'Save endpoint'}
        </Button>
      </div>
    </form>
  );
}

function PriceForm({ credential, onSaved }: { credential: string; onSaved: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const [model, setModel] = useState('');
  const [input, setInput] = useState('');
  const [output, setOutput] = useState('');
  const set = useMutation(
    trpc.providers.compatible.prices.set.mutationOptions({
      onSuccess: async () => {
        setModel('');
        setInput('');
        setOutput('');
        await onSaved();
      },
    }),
  );
  const toMicros = (text: string) => Math.round(Number(text) * 1_000_000);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set.mutate({
      credential,
      model: model.trim(),
      inputPerMillionMicros: toMicros(input),
      outputPerMillionMicros: toMicros(output),
    });
  };
  return (
    <form
      onSubmit={submit}
      className="mt-2 flex flex-wrap items-center gap-2"
      data-testid="add-endpoint-price"
    >
      <input
        className={`${inputClass} w-48! font-mono`}
        placeholder="model"
        aria-label={`Model on ${credential}`}
        value={model}
        onChange={(e) => setModel(e.target.value)}
      />
      <input
        className={`${inputClass} w-28!`}
        inputMode="decimal"
        placeholder="$ in / 1M"
        aria-label="Input price, dollars per 1M tokens"
        value={input}
        onChange={(e) => setInput(e.target.value)}
      />
      <input
        className={`${inputClass} w-28!`}
        inputMode="decimal"
        placeholder="$ out / 1M"
        aria-label="Output price, dollars per 1M tokens"
        value={output}
        onChange={(e) => setOutput(e.target.value)}
      />
      <Button size="sm" type="submit" disabled={!model.trim() || !input || !output || set.isPending}>
        Add price
      </Button>
      {set.error ? (
        <span className="text-xs text-rose-600" role="alert">
          {readApiError(set.error).message}
        </span>
      ) : null}
    </form>
  );
}
