/**
 * The dashboard's date-range picker: one button per preset, and "Custom" with two date inputs
 * (whole local days). A custom range is only applied once it is valid; until then the problem is
 * shown under the inputs and the dashboard keeps showing the last good range.
 */
import { useState } from 'react';
import { inputClass } from '../ui/field.tsx';
import { formatLocalDay, RANGE_PRESETS, type RangeSelection, resolveRange } from './date-range.ts';

interface RangePickerProps {
  value: RangeSelection;
  onChange: (next: RangeSelection) => void;
}

const segment = (active: boolean) =>
  `px-3 py-1.5 text-sm font-medium transition-colors first-of-type:rounded-l-lg last-of-type:rounded-r-lg focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 ${
    active ? 'bg-indigo-600 text-white' : 'bg-white text-slate-700 hover:bg-slate-50'
  }`;

export function RangePicker({ value, onChange }: RangePickerProps) {
  const today = formatLocalDay(new Date());
  const [draft, setDraft] = useState(() =>
    value.kind === 'custom'
      ? { from: value.from, to: value.to }
      : { from: formatLocalDay(new Date(Date.now() - 6 * 86_400_000)), to: today },
  );
  const [customOpen, setCustomOpen] = useState(value.kind === 'custom');
  const check = resolveRange({ kind: 'custom', ...draft }, new Date());

  const editCustom = (next: { from: string; to: string }) => {
    setDraft(next);
    if (resolveRange({ kind: 'custom', ...next }, new Date()).ok) onChange({ kind: 'custom', ...next });
  };

  return (
    <div className="flex flex-wrap items-start gap-2">
      <fieldset
        className="inline-flex divide-x divide-slate-300 rounded-lg shadow-sm ring-1 ring-slate-300"
        data-testid="range-presets"
      >
        <legend className="sr-only">Date range</legend>
        {RANGE_PRESETS.map((preset) => {
          const active = !customOpen && value.kind === 'preset' && value.preset === preset.id;
          return (
            <button
              key={preset.id}
              type="button"
              aria-pressed={active}
              className={segment(active)}
              data-testid={`range-${preset.id}`}
              onClick={() => {
                setCustomOpen(false);
                onChange({ kind: 'preset', preset: preset.id });
              }}
            >
              {preset.label}
            </button>
          );
        })}
        <button
          type="button"
          aria-pressed={customOpen}
          className={segment(customOpen)}
          data-testid="range-custom"
          onClick={() => {
            setCustomOpen(true);
            if (check.ok) onChange({ kind: 'custom', ...draft });
          }}
        >
          Custom
        </button>
      </fieldset>
      {customOpen ? (
        <div className="flex flex-col">
          <div className="flex items-center gap-2">
            <label className="sr-only" htmlFor="range-from">
              From
            </label>
            <input
              id="range-from"
              type="date"
              className={`${inputClass} w-40 py-1.5`}
              value={draft.from}
              max={today}
              aria-invalid={check.ok ? undefined : true}
              data-testid="range-from"
              onChange={(event) => editCustom({ ...draft, from: event.target.value })}
            />
            <span className="text-sm text-slate-500">to</span>
            <label className="sr-only" htmlFor="range-to">
              To
            </label>
            <input
              id="range-to"
              type="date"
              className={`${inputClass} w-40 py-1.5`}
              value={draft.to}
              aria-invalid={check.ok ? undefined : true}
              data-testid="range-to"
              onChange={(event) => editCustom({ ...draft, to: event.target.value })}
            />
          </div>
          {check.ok ? null : (
            <p className="mt-1 text-xs text-rose-600" role="alert" data-testid="range-error">
              {check.error}
            </p>
          )}
        </div>
      ) : null}
    </div>
  );
}
