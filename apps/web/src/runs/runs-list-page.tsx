/**
 * Runs, newest first: `/runs` for all of them (filter by workflow, status and trigger) and
 * `/workflows/:id/runs` for one workflow's. Filters live in the URL; "Load more" pages with the
 * API's cursor. Runs still going refresh on their own.
 */
import { EXECUTION_TRIGGERS, type ExecutionTrigger } from '@swarm/engine';
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { readApiError } from '../api-error.ts';
import { PageError } from '../layout/page-state.tsx';
import { CostValue } from '../money/cost-value.tsx';
import { useTRPC } from '../trpc.ts';
import { Button, buttonClass } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';
import { formatDuration, isFinished, RUN_STATUSES, type RunSummary } from './run-state.ts';
import { StatusBadge } from './run-status.tsx';

const PAGE_SIZE = 25;

type Status = (typeof RUN_STATUSES)[number];

const oneOf = <T extends string>(list: readonly T[], value: string | null): T | undefined =>
  list.find((item) => item === value);

export default function RunsListPage() {
  const trpc = useTRPC();
  const { id: routeWorkflowId } = useParams();
  const [params, setParams] = useSearchParams();
  const workflowId = routeWorkflowId ?? (params.get('workflow') || undefined);
  const status = oneOf<Status>(RUN_STATUSES, params.get('status'));
  const trigger = oneOf<ExecutionTrigger>(EXECUTION_TRIGGERS, params.get('trigger'));

  const setFilter = (key: string, value: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );

  const workflows = useQuery({
    ...trpc.workflows.list.queryOptions({ limit: 200 }),
    enabled: !routeWorkflowId,
  });
  const workflow = useQuery({
    ...trpc.workflows.get.queryOptions({ id: routeWorkflowId ?? '' }),
    enabled: Boolean(routeWorkflowId),
  });
  const list = useInfiniteQuery(
    trpc.runs.list.infiniteQueryOptions(
      {
        limit: PAGE_SIZE,
        ...(workflowId ? { workflowId } : {}),
        ...(status ? { status } : {}),
        ...(trigger ? { trigger } : {}),
      },
      {
        getNextPageParam: (last) => last.nextCursor ?? undefined,
        placeholderData: keepPreviousData,
        // While something is still running, its row changes: look again now and then.
        refetchInterval: (query) =>
          query.state.data?.pages.some((page) => page.items.some((run) => !isFinished(run.status)))
            ? 3000
            : false,
      },
    ),
  );
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  const filtering = Boolean((workflowId && !routeWorkflowId) || status || trigger);

  return (
    <div className="mx-auto max-w-5xl px-4 py-8 sm:px-6">
      <title>
        {routeWorkflowId ? `Runs · ${workflow.data?.name ?? 'Workflow'} · SWARM` : 'Runs · SWARM'}
      </title>
      {routeWorkflowId ? (
        <div className="mb-2">
          <Link
            to={`/workflows/${routeWorkflowId}`}
            className="text-sm text-slate-500 hover:text-slate-800"
            data-testid="back-to-editor"
          >
            ← {workflow.data?.name ?? 'Workflow'}
          </Link>
        </div>
      ) : null}
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">
            {routeWorkflowId ? `Runs of ${workflow.data?.name ?? '…'}` : 'Runs'}
          </h1>
          <p className="mt-1 text-sm text-slate-600">
            Every execution, newest first, with its status, duration and cost.
          </p>
        </div>
        {routeWorkflowId ? (
          <Link to={`/workflows/${routeWorkflowId}`} className={buttonClass('secondary')}>
            Open editor
          </Link>
        ) : null}
      </div>

      <fieldset className="mt-6 flex flex-wrap items-end gap-3" data-testid="run-filters">
        <legend className="sr-only">Filter runs</legend>
        {routeWorkflowId ? null : (
          <Filter label="Workflow" id="filter-workflow">
            <select
              id="filter-workflow"
              className={inputClass}
              value={workflowId ?? ''}
              onChange={(e) => setFilter('workflow', e.target.value)}
              data-testid="filter-workflow"
            >
              <option value="">All workflows</option>
              {workflowId && !workflows.data?.items.some((w) => w.id === workflowId) ? (
                <option value={workflowId}>This workflow</option>
              ) : null}
              {workflows.data?.items.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </Filter>
        )}
        <ChoiceFilter
          name="status"
          label="Status"
          anyLabel="Any status"
          value={status}
          choices={RUN_STATUSES}
          onChange={setFilter}
        />
        <ChoiceFilter
          name="trigger"
          label="Trigger"
          anyLabel="Any trigger"
          value={trigger}
          choices={EXECUTION_TRIGGERS}
          onChange={setFilter}
        />
        {filtering ? (
          <Button
            size="sm"
            variant="ghost"
            onClick={() =>
              setParams(
                (prev) => {
                  const next = new URLSearchParams(prev);
                  for (const key of ['workflow', 'status', 'trigger']) next.delete(key);
                  return next;
                },
                { replace: true },
              )
            }
          >
            Clear filters
          </Button>
        ) : null}
      </fieldset>

      <div className="mt-6">
        {list.isPending ? (
          <p className="text-sm text-slate-500" role="status">
            Loading runs…
          </p>
        ) : list.isError ? (
          <PageError message={readApiError(list.error).message} onRetry={() => list.refetch()} />
        ) : items.length === 0 ? (
          <div
            className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-14 text-center text-sm text-slate-500"
            data-testid="runs-empty"
          >
            {filtering ? 'No runs match these filters.' : 'No runs yet. Open a workflow and press Run.'}
          </div>
        ) : (
          <div
            className={`overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200 ${list.isPlaceholderData ? 'opacity-60' : ''}`}
          >
            <table className="w-full text-left text-sm" data-testid="runs-table">
              <thead className="border-b border-slate-200 text-xs text-slate-500">
                <tr>
                  <th className="px-4 py-2.5 font-medium">Status</th>
                  {routeWorkflowId ? null : <th className="px-4 py-2.5 font-medium">Workflow</th>}
                  <th className="px-4 py-2.5 font-medium">Started</th>
                  <th className="px-4 py-2.5 font-medium">Trigger</th>
                  <th className="px-4 py-2.5 text-right font-medium">Duration</th>
                  <th className="px-4 py-2.5 text-right font-medium">Cost</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {items.map((run) => (
                  <RunRow key={run.id} run={run} showWorkflow={!routeWorkflowId} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.hasNextPage ? (
          <div className="mt-4 flex justify-center">
            <Button
              onClick={() => list.fetchNextPage()}
              disabled={list.isFetchingNextPage}
              data-testid="runs-load-more"
            >
              {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </Button>
          </div>
        ) : null}
      </div>
    </div>
  );
}

function RunRow({ run, showWorkflow }: { run: RunSummary; showWorkflow: boolean }) {
  return (
    <tr className="hover:bg-slate-50" data-testid="run-row" data-run-id={run.id} data-status={run.status}>
      <td className="px-4 py-2.5">
        <Link
          to={`/runs/${run.id}`}
          className="inline-flex"
          data-testid="run-link"
          aria-label={`Open run ${run.id}`}
        >
          <StatusBadge status={run.status} />
        </Link>
      </td>
      {showWorkflow ? (
        <td className="max-w-60 truncate px-4 py-2.5">
          <Link to={`/runs/${run.id}`} className="font-medium text-slate-900 hover:text-indigo-600">
            {run.workflowName}
          </Link>
          {run.rerunOf ? <span className="ml-2 text-xs text-slate-400">re-run</span> : null}
        </td>
      ) : null}
      <td className="px-4 py-2.5 text-slate-600">
        <RelativeTime date={run.startedAt ?? run.createdAt} />
      </td>
      <td className="px-4 py-2.5 text-slate-600">
        {run.trigger}
        {run.kind !== 'run' ? (
          <span className="ml-1.5 rounded bg-amber-50 px-1 text-[11px] text-amber-800" data-testid="run-kind">
            {run.kind === 'node_test' ? 'node test' : 'test'}
          </span>
        ) : null}
      </td>
      <td className="px-4 py-2.5 text-right text-slate-600 tabular-nums">{formatDuration(run.durationMs)}</td>
      <td className="px-4 py-2.5 text-right text-slate-600 tabular-nums">
        <CostValue cost={run} testId="run-row-cost" />
      </td>
    </tr>
  );
}

/** A filter that picks one of a fixed list of values (or any), kept in the URL as `name`. */
function ChoiceFilter(props: {
  name: string;
  label: string;
  anyLabel: string;
  value: string | undefined | null;
  choices: readonly string[];
  onChange: (name: string, value: string) => void;
}) {
  const id = `filter-${props.name}`;
  return (
    <Filter label={props.label} id={id}>
      <select
        id={id}
        className={inputClass}
        value={props.value ?? ''}
        onChange={(e) => props.onChange(props.name, e.target.value)}
        data-testid={id}
      >
        <option value="">{props.anyLabel}</option>
        {props.choices.map((choice) => (
          <option key={choice} value={choice}>
            {choice}
          </option>
        ))}
      </select>
    </Filter>
  );
}

function Filter({ label, id, children }: { label: string; id: string; children: React.ReactNode }) {
  return (
    <div className="min-w-40">
      <label htmlFor={id} className="mb-1 block text-xs font-medium text-slate-600">
        {label}
      </label>
      {children}
    </div>
  );
}
