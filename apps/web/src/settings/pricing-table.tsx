/**
 * The price table: what one million tokens cost per provider and model, from a date on. Prices
 * are never edited in place — a change is a new row with a later date, so runs priced before keep
 * their price. New prices are typed in dollars and sent as exact integer micro-dollars.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { readApiError } from '../api-error.ts';
import { formatDollars, parseDollarsToMicros } from '../money/money.ts';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { Field, inputClass } from '../ui/field.tsx';

type PriceRow = RouterOutputs['providers']['pricing']['list'][number];

export const PROVIDERS = ['openai', 'anthropic', 'gemini', 'mock'] as const;
type Provider = (typeof PROVIDERS)[number];

/** The API's upper bound for one price per 1M tokens ($100,000). */
const MAX_PRICE_MICROS = 100_000_000_000;

const PRICE_FIELDS = [
  { key: 'inputPerMillionMicros', label: 'Input', required: true },
  { key: 'outputPerMillionMicros', label: 'Output', required: true },
  { key: 'cachedInputPerMillionMicros', label: 'Cached input', required: false },
  { key: 'cacheWritePerMillionMicros', label: 'Cache write', required: false },
  { key: 'reasoningPerMillionMicros', label: 'Reasoning', required: false },
] as const;
type PriceKey = (typeof PRICE_FIELDS)[number]['key'];

/** The row in effect now for each provider/model: the latest whose date has come. */
function currentPriceIds(rows: readonly PriceRow[], now: number): Set<string> {
  const latest = new Map<string, PriceRow>();
  for (const row of rows) {
    if (row.effectiveFrom.getTime() > now) continue;
    const key = `${row.provider}/${row.model}`;
    const seen = latest.get(key);
    if (!seen || seen.effectiveFrom < row.effectiveFrom) latest.set(key, row);
  }
  return new Set([...latest.values()].map((row) => row.id));
}

export function PricingTable() {
  const trpc = useTRPC();
  const prices = useQuery(trpc.providers.pricing.list.queryOptions());
  const [provider, setProvider] = useState<Provider | ''>('');
  const [search, setSearch] = useState('');
  const [adding, setAdding] = useState(false);
  const current = useMemo(() => currentPriceIds(prices.data ?? [], Date.now()), [prices.data]);
  const rows = (prices.data ?? []).filter(
    (row) =>
      (!provider || row.provider === provider) &&
      (!search || row.model.toLowerCase().includes(search.toLowerCase())),
  );

  return (
    <div>
      <div className="mb-3 flex flex-wrap items-end gap-2">
        <div>
          <label htmlFor="price-provider" className="mb-1 block text-xs font-medium text-slate-600">
            Provider
          </label>
          <select
            id="price-provider"
            className={`${inputClass} w-40`}
            value={provider}
            onChange={(e) => setProvider(e.target.value as Provider | '')}
          >
            <option value="">All</option>
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="price-search" className="mb-1 block text-xs font-medium text-slate-600">
            Model
          </label>
          <input
            id="price-search"
            type="search"
            className={`${inputClass} w-52`}
            placeholder="Filter models…"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <Button
          className="ml-auto"
          variant="primary"
          onClick={() => setAdding(true)}
          disabled={adding}
          data-testid="add-price"
        >
          Add a price
        </Button>
      </div>
      {adding ? <AddPriceForm onDone={() => setAdding(false)} /> : null}
      {prices.isPending ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : prices.isError ? (
        <p className="text-sm text-rose-600" role="alert">
          {readApiError(prices.error).message}
        </p>
      ) : (
        <div className="max-h-[32rem] overflow-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
          <table className="w-full text-left text-sm" data-testid="pricing-table">
            <caption className="sr-only">Prices per one million tokens, in US dollars</caption>
            <thead className="sticky top-0 border-b border-slate-200 bg-white text-xs text-slate-500">
              <tr>
                <th className="px-4 py-2.5 font-medium">Provider / model</th>
                <th className="px-4 py-2.5 font-medium">From</th>
                {PRICE_FIELDS.map((field) => (
                  <th key={field.key} className="px-3 py-2.5 text-right font-medium">
                    {field.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rows.map((row) => (
                <tr
                  key={row.id}
                  className={current.has(row.id) ? '' : 'text-slate-400'}
                  data-testid="price-row"
                  data-model={row.model}
                  data-provider={row.provider}
                >
                  <td className="px-4 py-2 font-mono text-xs">
                    {row.provider}/{row.model}
                    {current.has(row.id) ? null : (
                      <span className="ml-2 font-sans text-[10px]">superseded or future</span>
                    )}
                  </td>
                  <td className="px-4 py-2 text-xs whitespace-nowrap">
                    {row.effectiveFrom.toLocaleDateString()}
                  </td>
                  {PRICE_FIELDS.map((field) => (
                    <td
                      key={field.key}
                      className="px-3 py-2 text-right text-xs tabular-nums"
                      data-testid={`price-${field.key}`}
                    >
                      {row[field.key] === null ? (
                        <span className="text-slate-300">—</span>
                      ) : (
                        formatDollars(row[field.key], { exact: true })
                      )}
                    </td>
                  ))}
                </tr>
              ))}
              {rows.length === 0 ? (
                <tr>
                  <td
                    colSpan={2 + PRICE_FIELDS.length}
                    className="px-4 py-6 text-center text-sm text-slate-500"
                  >
                    No prices match.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      )}
      <p className="mt-2 text-xs text-slate-500">
        Per one million tokens. Empty cached-input, cache-write and reasoning prices fall back to the input
        (or output) price.
      </p>
    </div>
  );
}

function AddPriceForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [provider, setProvider] = useState<Provider>('openai');
  const [model, setModel] = useState('');
  const [effectiveFrom, setEffectiveFrom] = useState('');
  const [dollars, setDollars] = useState<Record<PriceKey, string>>({
    inputPerMillionMicros: '',
    outputPerMillionMicros: '',
    cachedInputPerMillionMicros: '',
    cacheWritePerMillionMicros: '',
    reasoningPerMillionMicros: '',
  });
  const [localErrors, setLocalErrors] = useState<Partial<Record<string, string>>>({});
  const upsert = useMutation(
    trpc.providers.pricing.upsert.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.providers.pricing.list.queryKey() });
        onDone();
      },
    }),
  );
  const serverError = upsert.error ? readApiError(upsert.error) : null;
  const serverFieldErrors = Object.fromEntries((serverError?.issues ?? []).map((i) => [i.path, i.message]));
  const errorOf = (key: string) => localErrors[key] ?? serverFieldErrors[key];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const errors: Record<string, string> = {};
    const micros: Partial<Record<PriceKey, number | null>> = {};
    for (const field of PRICE_FIELDS) {
      const text = dollars[field.key].trim();
      if (!text) {
        if (field.required) errors[field.key] = 'required';
        continue;
      }
      const parsed = parseDollarsToMicros(text, { max: MAX_PRICE_MICROS });
      if (parsed.ok) micros[field.key] = parsed.micros;
      else errors[field.key] = parsed.error;
    }
    if (!model.trim()) errors.model = 'required';
    let from: Date | undefined;
    if (effectiveFrom) {
      from = new Date(effectiveFrom);
      if (Number.isNaN(from.getTime())) errors.effectiveFrom = 'not a date';
    }
    setLocalErrors(errors);
    if (Object.keys(errors).length > 0) return;
    upsert.mutate({
      provider,
      model: model.trim(),
      ...(from ? { effectiveFrom: from } : {}),
      inputPerMillionMicros: micros.inputPerMillionMicros ?? 0,
      outputPerMillionMicros: micros.outputPerMillionMicros ?? 0,
      ...(micros.cachedInputPerMillionMicros !== undefined
        ? { cachedInputPerMillionMicros: micros.cachedInputPerMillionMicros }
        : {}),
      ...(micros.cacheWritePerMillionMicros !== undefined
        ? { cacheWritePerMillionMicros: micros.cacheWritePerMillionMicros }
        : {}),
      ...(micros.reasoningPerMillionMicros !== undefined
        ? { reasoningPerMillionMicros: micros.reasoningPerMillionMicros }
        : {}),
    });
  };

  return (
    <form
      onSubmit={submit}
      noValidate
      className="mb-4 space-y-4 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
      data-testid="add-price-form"
    >
      <div className="grid gap-3 sm:grid-cols-3">
        <div>
          <label htmlFor="new-price-provider" className="mb-1.5 block text-sm font-medium text-slate-700">
            Provider
          </label>
          <select
            id="new-price-provider"
            className={inputClass}
            value={provider}
            onChange={(e) => setProvider(e.target.value as Provider)}
            data-testid="new-price-provider"
          >
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <Field
          label="Model"
          value={model}
          onChange={(e) => setModel(e.target.value)}
          error={errorOf('model')}
          placeholder="gpt-4o"
          data-testid="new-price-model"
        />
        <Field
          label="Effective from"
          type="datetime-local"
          value={effectiveFrom}
          onChange={(e) => setEffectiveFrom(e.target.value)}
          error={errorOf('effectiveFrom')}
          hint="Empty: from now on"
          data-testid="new-price-from"
        />
      </div>
      <fieldset>
        <legend className="mb-2 text-sm font-medium text-slate-700">Dollars per 1M tokens</legend>
        <div className="grid gap-3 sm:grid-cols-5">
          {PRICE_FIELDS.map((field) => (
            <Field
              key={field.key}
              label={field.required ? field.label : `${field.label} (optional)`}
              inputMode="decimal"
              value={dollars[field.key]}
              onChange={(e) => setDollars((d) => ({ ...d, [field.key]: e.target.value }))}
              error={errorOf(field.key)}
              placeholder={field.required ? '2.50' : 'same as input'}
              data-testid={`new-price-${field.key}`}
            />
          ))}
        </div>
      </fieldset>
      {serverError && Object.keys(serverFieldErrors).length === 0 ? (
        <p className="text-sm text-rose-600" role="alert" data-testid="add-price-error">
          {serverError.message}
        </p>
      ) : null}
      <div className="flex justify-end gap-2">
        <Button onClick={onDone}>Cancel</Button>
        <Button type="submit" variant="primary" disabled={upsert.isPending} data-testid="save-price">
          {upsert.isPending ? 'Saving…' : 'Add price'}
        </Button>
      </div>
    </form>
  );
}
