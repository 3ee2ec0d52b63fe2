/**
 * Budgets (`/budgets`): monthly spending limits, global or per workflow, each with a progress bar
 * (spent, and reserved by provider calls in flight), its alert thresholds and whether it blocks
 * new runs once exceeded; a form to add or change one, and the alerts recorded so far.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { PageError } from '../layout/page-state.tsx';
import { formatDollars, microsToDecimal } from '../money/money.ts';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { ConfirmDialog, Dialog } from '../ui/dialog.tsx';
import { Field, inputClass } from '../ui/field.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';
import {
  type BudgetFormErrors,
  budgetProgress,
  formatThresholds,
  formErrorsFromApi,
  parseMonthlyLimit,
  parseThresholds,
} from './budget-form.ts';

type Budget = RouterOutputs['budgets']['list'][number];

export default function BudgetsPage() {
  const trpc = useTRPC();
  const budgets = useQuery(trpc.budgets.list.queryOptions());
  const alerts = useQuery(trpc.budgets.alerts.queryOptions({ limit: 50 }));
  const workflows = useQuery(trpc.workflows.list.queryOptions({ limit: 200 }));
  const [editing, setEditing] = useState<Budget | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Budget | null>(null);
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.budgets.delete.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        void queryClient.invalidateQueries({ queryKey: trpc.budgets.pathKey() });
      },
    }),
  );

  const scopeName = (item: { workflowId: string | null; workflowName: string | null }) =>
    item.workflowId === null ? 'All workflows' : (item.workflowName ?? 'Deleted workflow');

  return (
    <div className="mx-auto max-w-5xl px-4 py-8 sm:px-6" data-testid="budgets-page">
      <title>Budgets · SWARM</title>
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Budgets</h1>
          <p className="mt-1 text-sm text-slate-600">
            Monthly limits (calendar months, UTC) for all workflows or one. Alerts are recorded once per
            threshold each month; a blocking budget refuses new runs once it is used up.
          </p>
        </div>
        <div className="flex items-center gap-3">
          <Link to="/analytics" className="text-sm text-slate-600 hover:text-slate-900">
            ← Costs
          </Link>
          <Button variant="primary" onClick={() => setEditing('new')} data-testid="new-budget">
            New budget
          </Button>
        </div>
      </div>

      <div className="mt-6">
        {budgets.isPending ? (
          <p className="text-sm text-slate-500" role="status">
            Loading budgets…
          </p>
        ) : budgets.isError ? (
          <PageError message={readApiError(budgets.error).message} onRetry={() => budgets.refetch()} />
        ) : budgets.data.length === 0 ? (
          <div
            className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-14 text-center text-sm text-slate-500"
            data-testid="budgets-empty"
          >
            No budgets yet. Add one to be alerted — or stopped — before spending runs away.
          </div>
        ) : (
          <ul className="grid gap-4" data-testid="budget-list">
            {budgets.data.map((budget) => (
              <BudgetRow
                key={budget.id}
                budget={budget}
                name={scopeName(budget)}
                onEdit={() => setEditing(budget)}
                onDelete={() => setDeleting(budget)}
              />
            ))}
          </ul>
        )}
      </div>

      <section className="mt-10">
        <h2 className="text-base font-semibold text-slate-900">Alerts</h2>
        <div className="mt-3">
          {alerts.isPending ? (
            <p className="text-sm text-slate-500" role="status">
              Loading alerts…
            </p>
          ) : alerts.isError ? (
            <PageError message={readApiError(alerts.error).message} onRetry={() => alerts.refetch()} />
          ) : alerts.data.length === 0 ? (
            <p className="text-sm text-slate-500" data-testid="alerts-empty">
              No alerts yet.
            </p>
          ) : (
            <ul
              className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
              data-testid="alert-list"
            >
              {alerts.data.map((alert) => (
                <li
                  key={alert.id}
                  className="flex items-center gap-3 px-4 py-2.5 text-sm"
                  data-testid="alert-row"
                >
                  <span
                    className={`rounded px-1.5 py-0.5 text-xs font-semibold ${
                      alert.threshold >= 100 ? 'bg-rose-100 text-rose-800' : 'bg-amber-100 text-amber-800'
                    }`}
                  >
                    {alert.threshold}%
                  </span>
                  <span className="text-slate-800">
                    {scopeName(alert)} reached {formatDollars(alert.spentMicros)} of{' '}
                    {formatDollars(alert.limitMicros)} ({alert.period})
                  </span>
                  <span className="ml-auto text-xs text-slate-500">
                    <RelativeTime date={alert.createdAt} />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>

      <BudgetDialog
        key={editing === 'new' ? 'new' : (editing?.id ?? 'closed')}
        budget={editing}
        workflows={workflows.data?.items ?? []}
        taken={new Set((budgets.data ?? []).map((b) => b.workflowId ?? 'global'))}
        onClose={() => setEditing(null)}
      />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete budget"
        message={
          deleting ? (
            <>
              Delete the budget for <strong>{scopeName(deleting)}</strong>? Its alerts go with it, and runs
              are no longer limited by it.
            </>
          ) : null
        }
        confirmLabel="Delete"
        danger
        busy={remove.isPending}
        error={remove.isError ? readApiError(remove.error).message : null}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
        onCancel={() => {
          setDeleting(null);
          remove.reset();
        }}
      />
    </div>
  );
}

function BudgetRow({
  budget,
  name,
  onEdit,
  onDelete,
}: {
  budget: Budget;
  name: string;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const progress = budgetProgress(
    budget.spentMicros,
    budget.reservedMicros,
    budget.monthlyLimitMicros,
    budget.alertAt,
  );
  const barColor =
    progress.state === 'exceeded'
      ? 'bg-rose-500'
      : progress.state === 'warning'
        ? 'bg-amber-500'
        : 'bg-indigo-500';
  return (
    <li
      className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200"
      data-testid="budget-row"
      data-budget-id={budget.id}
      data-state={progress.state}
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h3 className="font-medium text-slate-900" data-testid="budget-scope">
            {budget.workflowId ? (
              <Link to={`/workflows/${budget.workflowId}`} className="hover:underline">
                {name}
              </Link>
            ) : (
              name
            )}
          </h3>
          <p className="mt-0.5 text-xs text-slate-500">
            Alerts at {budget.alertAt.map((t) => `${t}%`).join(', ') || 'no thresholds'} ·{' '}
            {budget.blocked ? (
              <span
                className="mr-1 rounded bg-rose-100 px-1.5 py-0.5 font-semibold text-rose-800"
                data-testid="budget-blocked"
              >
                Blocked
              </span>
            ) : null}
            {budget.blockWhenExceeded ? (
              <span className="font-medium text-rose-700" data-testid="budget-blocking">
                blocks new runs when exceeded
              </span>
            ) : (
              'alerts only'
            )}
          </p>
        </div>
        <div className="flex gap-1">
          <Button size="sm" variant="ghost" onClick={onEdit} data-testid="edit-budget">
            Edit
          </Button>
          <Button size="sm" variant="ghost" onClick={onDelete} data-testid="delete-budget">
            Delete
          </Button>
        </div>
      </div>
      <div
        className="relative mt-4 h-2.5 overflow-hidden rounded-full bg-slate-100"
        role="progressbar"
        aria-label={`${name}: spent this month`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(progress.spentPercent)}
        data-testid="budget-progress"
      >
        <div
          className={`absolute inset-y-0 left-0 ${barColor}`}
          style={{ width: `${progress.spentPercent}%` }}
        />
        <div
          className="absolute inset-y-0 bg-slate-300"
          style={{ left: `${progress.spentPercent}%`, width: `${progress.reservedPercent}%` }}
          title="Reserved by runs in progress"
        />
        {budget.alertAt
          .filter((t) => t < 100)
          .map((t) => (
            <div key={t} className="absolute inset-y-0 w-px bg-white" style={{ left: `${t}%` }} />
          ))}
      </div>
      <p className="mt-2 text-sm text-slate-700" data-testid="budget-spent">
        <span className="font-semibold tabular-nums">{formatDollars(budget.spentMicros)}</span> of{' '}
        <span className="tabular-nums">{formatDollars(budget.monthlyLimitMicros)}</span> spent in{' '}
        {budget.period} ({Math.round(progress.spentRatio * 100)}%)
        {budget.reservedMicros > 0 ? (
          <span className="text-slate-500"> · {formatDollars(budget.reservedMicros)} reserved</span>
        ) : null}
      </p>
      {budget.unknownCostAttempts > 0 ? (
        // Unknown is never counted as $0 silently: the budget says what it could not count.
        <p className="mt-1 text-xs text-amber-700" data-testid="budget-unknown">
          Not counted: {budget.unknownCostAttempts}{' '}
          {budget.unknownCostAttempts === 1 ? 'provider call' : 'provider calls'} of unknown cost (no price
          for the model, or no usage reported).
        </p>
      ) : null}
    </li>
  );
}

function BudgetDialog({
  budget,
  workflows,
  taken,
  onClose,
}: {
  budget: Budget | 'new' | null;
  workflows: readonly { id: string; name: string }[];
  taken: ReadonlySet<string>;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const existing = budget && budget !== 'new' ? budget : null;
  const [scope, setScope] = useState(existing ? (existing.workflowId ?? 'global') : '');
  const [limit, setLimit] = useState(existing ? microsToDecimal(existing.monthlyLimitMicros) : '');
  const [thresholds, setThresholds] = useState(existing ? formatThresholds(existing.alertAt) : '50, 80, 100');
  const [blocking, setBlocking] = useState(existing?.blockWhenExceeded ?? false);
  const [errors, setErrors] = useState<BudgetFormErrors>({});
  const done = {
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: trpc.budgets.pathKey() });
      onClose();
    },
    onError: (error: unknown) => {
      const api = readApiError(error);
      setErrors(formErrorsFromApi(api.issues, api.message));
    },
  };
  const create = useMutation(trpc.budgets.create.mutationOptions(done));
  const update = useMutation(trpc.budgets.update.mutationOptions(done));
  const busy = create.isPending || update.isPending;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsedLimit = parseMonthlyLimit(limit);
    const parsedThresholds = parseThresholds(thresholds);
    const next: BudgetFormErrors = {};
    if (!existing && !scope) next.scope = 'choose what the budget covers';
    if (!parsedLimit.ok) next.limit = parsedLimit.error;
    if (!parsedThresholds.ok) next.thresholds = parsedThresholds.error;
    setErrors(next);
    if (!parsedLimit.ok || !parsedThresholds.ok || next.scope) return;
    const fields = {
      monthlyLimitMicros: parsedLimit.value,
      alertAt: parsedThresholds.value,
      blockWhenExceeded: blocking,
    };
    if (existing) update.mutate({ id: existing.id, ...fields });
    else create.mutate({ scope, ...fields });
  };

  return (
    <Dialog
      open={budget !== null}
      title={existing ? 'Edit budget' : 'New budget'}
      onClose={onClose}
      testId="budget-dialog"
    >
      <form onSubmit={submit} noValidate className="grid gap-4">
        <div>
          <label htmlFor="budget-scope" className="mb-1.5 block text-sm font-medium text-slate-700">
            Applies to
          </label>
          <select
            id="budget-scope"
            className={inputClass}
            value={scope}
            disabled={Boolean(existing)}
            onChange={(event) => setScope(event.target.value)}
            aria-invalid={errors.scope ? true : undefined}
            data-testid="budget-scope-select"
          >
            <option value="" disabled>
              Choose…
            </option>
            <option value="global" disabled={!existing && taken.has('global')}>
              All workflows (global)
            </option>
            {workflows.map((w) => (
              <option key={w.id} value={w.id} disabled={!existing && taken.has(w.id)}>
                {w.name}
              </option>
            ))}
          </select>
          {errors.scope ? (
            <p className="mt-1.5 text-xs text-rose-600" data-testid="budget-scope-error">
              {errors.scope}
            </p>
          ) : null}
        </div>
        <Field
          label="Monthly limit (USD)"
          inputMode="decimal"
          placeholder="25.00"
          value={limit}
          onChange={(event) => setLimit(event.target.value)}
          error={errors.limit}
          data-testid="budget-limit"
        />
        <Field
          label="Alert at (% of the limit)"
          placeholder="50, 80, 100"
          value={thresholds}
          onChange={(event) => setThresholds(event.target.value)}
          error={errors.thresholds}
          hint="Whole percentages from 1 to 100, separated by commas."
          data-testid="budget-thresholds"
        />
        <label className="flex items-start gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            className="mt-0.5 size-4 rounded border-slate-300 text-indigo-600"
            checked={blocking}
            onChange={(event) => setBlocking(event.target.checked)}
            data-testid="budget-blocking-input"
          />
          <span>
            Block new runs when the limit is reached
            <span className="block text-xs text-slate-500">
              Runs reserve their estimated cost before each provider call, so concurrent runs cannot
              overspend.
            </span>
          </span>
        </label>
        {errors.form ? (
          <p className="text-sm text-rose-600" role="alert" data-testid="budget-form-error">
            {errors.form}
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={busy} data-testid="budget-submit">
            {busy ? 'Saving…' : existing ? 'Save' : 'Create budget'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
