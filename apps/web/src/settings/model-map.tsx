/**
 * The model map: which models stand in for a model on other providers when a fallback crosses
 * providers (gpt-4o → claude-sonnet → gemini-pro), in preference order. Each source model's list
 * is edited and saved as a whole; an empty list removes the mapping.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import { PROVIDERS } from './pricing-table.tsx';

type Provider = (typeof PROVIDERS)[number];
interface ModelRef {
  provider: Provider;
  model: string;
}

const refLabel = (ref: { provider: string; model: string }) => `${ref.provider}/${ref.model}`;
const asProvider = (value: string): Provider => PROVIDERS.find((p) => p === value) ?? 'openai';

export function ModelMap() {
  const trpc = useTRPC();
  const map = useQuery(trpc.providers.modelMap.list.queryOptions());
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  const groups = new Map<string, { from: ModelRef; to: Array<{ position: number; ref: ModelRef }> }>();
  for (const row of map.data ?? []) {
    const key = refLabel(row.from);
    const group = groups.get(key) ?? {
      from: { provider: asProvider(row.from.provider), model: row.from.model },
      to: [],
    };
    group.to.push({
      position: row.position,
      ref: { provider: asProvider(row.to.provider), model: row.to.model },
    });
    groups.set(key, group);
  }
  const list = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));

  return (
    <div>
      <div className="mb-3 flex justify-end">
        <Button variant="primary" onClick={() => setAdding(true)} disabled={adding} data-testid="add-mapping">
          Add a mapping
        </Button>
      </div>
      {adding ? <MappingEditor initialFrom={null} initialTo={[]} onDone={() => setAdding(false)} /> : null}
      {map.isPending ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : map.isError ? (
        <p className="text-sm text-rose-600" role="alert">
          {readApiError(map.error).message}
        </p>
      ) : list.length === 0 ? (
        <p className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-8 text-center text-sm text-slate-500">
          No equivalents yet: fallbacks only use the models listed on each agent.
        </p>
      ) : (
        <ul
          className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
          data-testid="model-map"
        >
          {list.map(([key, group]) => {
            const to = group.to.sort((a, b) => a.position - b.position).map((t) => t.ref);
            return (
              <li key={key} className="px-4 py-3" data-testid="model-map-row" data-from={key}>
                {editing === key ? (
                  <MappingEditor initialFrom={group.from} initialTo={to} onDone={() => setEditing(null)} />
                ) : (
                  <div className="flex flex-wrap items-center gap-2 text-sm">
                    <span className="font-mono text-xs font-medium text-slate-900">{key}</span>
                    <span className="text-slate-400">→</span>
                    {to.map((ref, i) => (
                      <span key={refLabel(ref)} className="flex items-center gap-1">
                        <span className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
                          {refLabel(ref)}
                        </span>
                        {i < to.length - 1 ? <span className="text-slate-300">·</span> : null}
                      </span>
                    ))}
                    <Button
                      size="sm"
                      variant="ghost"
                      className="ml-auto"
                      onClick={() => setEditing(key)}
                      data-testid="edit-mapping"
                    >
                      Edit
                    </Button>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

function MappingEditor({
  initialFrom,
  initialTo,
  onDone,
}: {
  initialFrom: ModelRef | null;
  initialTo: ModelRef[];
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [from, setFrom] = useState<ModelRef>(initialFrom ?? { provider: 'openai', model: '' });
  const [to, setTo] = useState<ModelRef[]>(
    initialTo.length > 0 ? initialTo : [{ provider: 'anthropic', model: '' }],
  );
  const upsert = useMutation(
    trpc.providers.modelMap.upsert.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.providers.modelMap.list.queryKey() });
        onDone();
      },
    }),
  );
  const error = upsert.error ? readApiError(upsert.error) : null;
  const issueAt = (path: string) => error?.issues.find((issue) => issue.path === path)?.message;

  const save = (list: ModelRef[]) =>
    upsert.mutate({
      from: { provider: from.provider, model: from.model.trim() },
      to: list
        .filter((ref) => ref.model.trim())
        .map((ref) => ({ provider: ref.provider, model: ref.model.trim() })),
    });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save(to);
  };

  return (
    <form
      onSubmit={submit}
      className="space-y-3 rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200"
      data-testid="mapping-editor"
    >
      <div className="flex flex-wrap items-start gap-2">
        <span className="w-20 pt-2 text-xs font-medium text-slate-600">Model</span>
        <RefInput
          value={from}
          onChange={setFrom}
          disabled={initialFrom !== null}
          label="Source"
          error={issueAt('from.model') ?? issueAt('from.provider')}
          testId="mapping-from"
        />
      </div>
      <ol className="space-y-2">
        {to.map((ref, i) => (
          <li key={i} className="flex flex-wrap items-start gap-2">
            <span className="w-20 pt-2 text-xs text-slate-500">{i === 0 ? 'Stand-ins' : ''}</span>
            <RefInput
              value={ref}
              onChange={(next) => setTo(to.map((old, j) => (j === i ? next : old)))}
              label={`Stand-in ${i + 1}`}
              error={issueAt(`to[${i}].model`) ?? issueAt(`to[${i}].provider`)}
              testId={`mapping-to-${i}`}
            />
            <Button
              size="sm"
              variant="ghost"
              aria-label={`Remove stand-in ${i + 1}`}
              onClick={() => setTo(to.filter((_, j) => j !== i))}
            >
              ×
            </Button>
            {i > 0 ? (
              <Button
                size="sm"
                variant="ghost"
                aria-label={`Move stand-in ${i + 1} up`}
                onClick={() => {
                  const next = [...to];
                  [next[i - 1], next[i]] = [next[i]!, next[i - 1]!];
                  setTo(next);
                }}
              >
                ↑
              </Button>
            ) : null}
          </li>
        ))}
      </ol>
      <div className="flex flex-wrap items-center gap-2">
        <Button
          size="sm"
          onClick={() => setTo([...to, { provider: 'gemini', model: '' }])}
          disabled={to.length >= 20}
        >
          + Add stand-in
        </Button>
        {error && error.issues.length === 0 ? (
          <p className="text-xs text-rose-600" role="alert">
            {error.message}
          </p>
        ) : null}
        <div className="ml-auto flex gap-2">
          {initialFrom ? (
            <Button
              size="sm"
              variant="ghost"
              className="hover:bg-rose-50 hover:text-rose-700"
              onClick={() => save([])}
              disabled={upsert.isPending}
            >
              Remove mapping
            </Button>
          ) : null}
          <Button size="sm" onClick={onDone}>
            Cancel
          </Button>
          <Button
            size="sm"
            type="submit"
            variant="primary"
            disabled={upsert.isPending || !from.model.trim()}
            data-testid="save-mapping"
          >
            Save
          </Button>
        </div>
      </div>
    </form>
  );
}

function RefInput({
  value,
  onChange,
  disabled = false,
  label,
  error,
  testId,
}: {
  value: ModelRef;
  onChange: (value: ModelRef) => void;
  disabled?: boolean;
  label: string;
  error: string | undefined;
  testId: string;
}) {
  return (
    <div className="flex min-w-64 flex-1 flex-col">
      <div className="flex gap-2">
        <select
          aria-label={`${label} provider`}
          className={`${inputClass} w-32`}
          value={value.provider}
          disabled={disabled}
          onChange={(e) => onChange({ ...value, provider: asProvider(e.target.value) })}
          data-testid={`${testId}-provider`}
        >
          {PROVIDERS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <input
          aria-label={`${label} model`}
          className={`${inputClass} font-mono text-xs ${error ? 'ring-rose-400!' : ''}`}
          value={value.model}
          disabled={disabled}
          placeholder="model"
          onChange={(e) => onChange({ ...value, model: e.target.value })}
          aria-invalid={error ? true : undefined}
          data-testid={`${testId}-model`}
        />
      </div>
      {error ? <p className="mt-1 text-xs text-rose-600">{error}</p> : null}
    </div>
  );
}
