/**
 * The budget form's own checks (the API checks the same and has the last word) and how a budget's
 * progress bar is drawn: spent and reserved as shares of the monthly limit.
 */
import { parseDollarsToMicros } from '../money/money.ts';

/** The API's upper bound for a monthly limit (a billion dollars), so a typo is refused at the field. */
export const MAX_MONTHLY_LIMIT_MICROS = 1_000_000_000 * 1_000_000;
/** The API keeps at most this many thresholds per budget. */
export const MAX_THRESHOLDS = 10;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** "50, 80, 100" → [50, 80, 100]: whole percentages from 1 to 100, sorted, no repeats. */
export function parseThresholds(text: string): Parsed<number[]> {
  const parts = text
    .split(/[\s,;]+/)
    .map((part) => part.replace(/%$/, ''))
    .filter(Boolean);
  if (parts.length === 0) return { ok: false, error: 'enter at least one threshold, e.g. 50, 80, 100' };
  const values = new Set<number>();
  for (const part of parts) {
    if (!/^\d+$/.test(part)) return { ok: false, error: `"${part}" is not a whole percentage` };
    const value = Number(part);
    if (value < 1 || value > 100) return { ok: false, error: `${value}% is outside 1–100` };
    values.add(value);
  }
  if (values.size > MAX_THRESHOLDS) return { ok: false, error: `at most ${MAX_THRESHOLDS} thresholds` };
  return { ok: true, value: [...values].sort((a, b) => a - b) };
}

export function formatThresholds(values: readonly number[]): string {
  return values.join(', ');
}

/** A monthly limit typed in dollars: more than zero, at most the API's ceiling. */
export function parseMonthlyLimit(text: string): Parsed<number> {
  const parsed = parseDollarsToMicros(text, { max: MAX_MONTHLY_LIMIT_MICROS });
  if (!parsed.ok) return { ok: false, error: parsed.error };
  if (parsed.micros <= 0) return { ok: false, error: 'must be more than $0' };
  return { ok: true, value: parsed.micros };
}

export interface BudgetProgress {
  /** Percent of the limit spent, capped at 100 for drawing; `spentRatio` keeps the real figure. */
  spentPercent: number;
  /** Percent reserved by runs in flight, drawn after the spent part, capped to what is left. */
  reservedPercent: number;
  spentRatio: number;
  state: 'ok' | 'warning' | 'exceeded';
}

/** `warning` from the lowest alert threshold on, `exceeded` at the limit. */
export function budgetProgress(
  spentMicros: number,
  reservedMicros: number,
  limitMicros: number,
  alertAt: readonly number[],
): BudgetProgress {
  const spentRatio = limitMicros > 0 ? spentMicros / limitMicros : 0;
  const spentPercent = Math.min(100, spentRatio * 100);
  const reservedPercent = Math.min(
    100 - spentPercent,
    limitMicros > 0 ? (reservedMicros / limitMicros) * 100 : 0,
  );
  const lowest = alertAt.length ? Math.min(...alertAt) : 100;
  const state = spentRatio >= 1 ? 'exceeded' : spentRatio * 100 >= lowest ? 'warning' : 'ok';
  return { spentPercent, reservedPercent, spentRatio, state };
}

export interface BudgetFormErrors {
  scope?: string;
  limit?: string;
  thresholds?: string;
  form?: string;
}

const FIELD_OF_PATH: Record<string, keyof BudgetFormErrors> = {
  scope: 'scope',
  monthlyLimitMicros: 'limit',
  alertAt: 'thresholds',
};

/**
 * The API's issues under the fields they concern (by the first segment of their path), each with
 * its path so "alertAt[2]" says which threshold; an error without issues goes under the form.
 */
export function formErrorsFromApi(
  issues: readonly { path: string; message: string }[],
  message: string,
): BudgetFormErrors {
  const errors: BudgetFormErrors = {};
  for (const issue of issues) {
    const field = FIELD_OF_PATH[issue.path.split(/[.[]/)[0] ?? ''] ?? 'form';
    errors[field] ??= `${issue.path}: ${issue.message}`;
  }
  if (issues.length === 0) errors.form = message;
  return errors;
}
