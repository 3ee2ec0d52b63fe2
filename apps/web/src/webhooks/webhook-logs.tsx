/** A webhook's last calls (outcome, status, latency, source, a sender's event, the run it started), each replayable. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { RelativeTime } from '../ui/relative-time.tsx';
import { LOG_OUTCOMES, type WebhookLog } from './webhook-form.ts';

export function WebhookLogs({ webhookId }: { webhookId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Calls arrive from outside; poll while the log is open.
  const logs = useQuery({
    ...trpc.webhooks.logs.queryOptions({ id: webhookId, limit: 20 }),
    refetchInterval: 3000,
  });
  const replay = useMutation(
    trpc.webhooks.replay.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() }),
    }),
  );
  if (logs.isPending) return <p className="mt-2 text-xs text-slate-500">Loading calls…</p>;
  if (logs.isError)
    return (
      <p className="mt-2 text-xs text-rose-600" role="alert">
        {readApiError(logs.error).message}
      </p>
    );
  return (
    <div className="mt-2 border-t border-slate-100 pt-2">
      {replay.error ? (
        <p className="mb-1 text-xs text-rose-600" role="alert" data-testid="webhook-replay-error">
          Replay: {readApiError(replay.error).message}
        </p>
      ) : null}
      {logs.data.items.length === 0 ? (
        <p className="text-xs text-slate-500" data-testid="webhook-no-calls">
          No calls yet.
        </p>
      ) : (
        <ol className="space-y-1.5" data-testid="webhook-logs">
          {logs.data.items.map((log) => (
            <LogItem
              key={log.id}
              log={log}
              replaying={replay.isPending && replay.variables?.logId === log.id}
              onReplay={() => replay.mutate({ logId: log.id })}
            />
          ))}
        </ol>
      )}
    </div>
  );
}

function LogItem({
  log,
  replaying,
  onReplay,
}: {
  log: WebhookLog;
  replaying: boolean;
  onReplay: () => void;
}) {
  const outcome = LOG_OUTCOMES[log.outcome];
  return (
    <li className="text-xs" data-testid="webhook-log" data-outcome={log.outcome} data-source={log.source}>
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <span className={`rounded-full px-1.5 py-0.5 text-[11px] font-medium ring-1 ${outcome.className}`}>
          {outcome.label}
        </span>
        <span className="font-mono text-slate-700" data-testid="webhook-log-status">
          {log.status}
        </span>
        <span className="text-slate-500 tabular-nums">{log.latencyMs} ms</span>
        <span className="text-slate-500">
          <RelativeTime date={log.createdAt} />
        </span>
        {log.source !== 'http' ? <span className="text-slate-400">({log.source})</span> : null}
        {log.event ? (
          <span
            className="font-mono text-slate-600"
            data-testid="webhook-log-event"
            title="The sender's event"
          >
            {log.event}
          </span>
        ) : null}
        <span className="ml-auto flex items-center gap-2">
          {log.executionId ? (
            <Link
              to={`/runs/${log.executionId}`}
              className="text-indigo-600 hover:underline"
              data-testid="webhook-log-run"
            >
              Run
            </Link>
          ) : null}
          <button
            type="button"
            className="text-indigo-600 hover:underline disabled:text-slate-300"
            onClick={onReplay}
            disabled={replaying || log.bodyTruncated}
            title={
              log.bodyTruncated
                ? 'The body was too large to keep, so it cannot be replayed'
                : 'Send this body again'
            }
            data-testid="webhook-log-replay"
          >
            {replaying ? 'Replaying…' : 'Replay'}
          </button>
        </span>
      </div>
      {log.error ? <p className="mt-0.5 text-rose-700">{log.error}</p> : null}
    </li>
  );
}
