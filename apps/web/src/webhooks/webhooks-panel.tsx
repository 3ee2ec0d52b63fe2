/**
 * The editor's webhook panel: a workflow's webhooks with their URL (copy), a ready `curl` example,
 * "send test", the last calls (outcome, status, latency, run, replay), enable/disable, secret
 * rotation with a grace period and delete; and the form to create or edit one — auth mode, rate
 * limit, IP allowlist, version tag and the payload mapping with a live preview on a sample payload.
 *
 * Secrets are only ever returned by create and regenerate: the panel shows them once, right then,
 * with the `curl` example signed with them, and forgets them when dismissed.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { describeSchema, initialValue } from '../schema-form/json-schema.ts';
import type { JsonSchema } from '../schemas/schema-text.ts';
import { useTRPC, useTRPCClient } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { DeleteWithConfirm, Dialog } from '../ui/dialog.tsx';
import { FieldRow, inputClass } from '../ui/field.tsx';
import { ItemListPanel } from '../ui/item-list-panel.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';
import { useDebouncedValue } from '../use-debounced-value.ts';
import { VersionTagOptions } from '../versions/version-tag-options.tsx';
import {
  AUTH_MODES,
  curlCommand,
  draftFromWebhook,
  GRACE_OPTIONS,
  LOG_OUTCOMES,
  type MappingPreview,
  newWebhookDraft,
  previewMapping,
  type Webhook,
  type WebhookDraft,
  type WebhookLog,
  webhookSettings,
} from './webhook-form.ts';

interface WebhooksPanelProps {
  workflowId: string;
  inputSchema: JsonSchema | undefined;
}

/** A secret just returned by create/regenerate, for one webhook. */
interface RevealedSecret {
  webhookId: string;
  secret: string;
  triggerUrl: string;
}

/** The sample payload used by the curl example, "send test" and the mapping preview. */
function samplePayload(inputSchema: JsonSchema | undefined): string {
  const value = inputSchema ? initialValue(describeSchema(inputSchema)) : undefined;
  return JSON.stringify(value ?? { hello: 'world' });
}

export function WebhooksPanel({ workflowId, inputSchema }: WebhooksPanelProps) {
  const trpc = useTRPC();
  const webhooks = useQuery({ ...trpc.webhooks.list.queryOptions({ workflowId }), refetchInterval: 15_000 });
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  const [revealed, setRevealed] = useState<RevealedSecret | null>(null);
  // The sample payload last used in a webhook's form: the body of its curl example and test call.
  const [samples, setSamples] = useState<Record<string, string>>({});

  if (editing) {
    return (
      <WebhookForm
        key={editing === 'new' ? 'new' : editing.id}
        workflowId={workflowId}
        webhook={editing === 'new' ? null : editing}
        inputSchema={inputSchema}
        onDone={(result) => {
          if (result?.revealed) setRevealed(result.revealed);
          if (result) setSamples((current) => ({ ...current, [result.webhookId]: result.sample }));
          setEditing(null);
        }}
      />
    );
  }

  return (
    <ItemListPanel
      title="Webhooks"
      newLabel="New webhook"
      onNew={() => setEditing('new')}
      query={webhooks}
      loadingText="Loading webhooks…"
      emptyText="No webhooks. Add one to start this workflow from another system with an HTTP POST."
      testIds={{ panel: 'webhooks-panel', create: 'new-webhook', empty: 'no-webhooks', list: 'webhook-list' }}
    >
      {(items) =>
        items.map((webhook) => (
          <WebhookItem
            key={webhook.id}
            webhook={webhook}
            payload={samples[webhook.id] ?? samplePayload(inputSchema)}
            revealed={revealed?.webhookId === webhook.id ? revealed : null}
            onReveal={setRevealed}
            onForget={() => setRevealed(null)}
            onEdit={() => setEditing(webhook)}
          />
        ))
      }
    </ItemListPanel>
  );
}

function WebhookItem({
  webhook,
  payload,
  revealed,
  onReveal,
  onForget,
  onEdit,
}: {
  webhook: Webhook;
  /** Compact JSON text. */
  payload: string;
  revealed: RevealedSecret | null;
  onReveal: (secret: RevealedSecret) => void;
  onForget: () => void;
  onEdit: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSuccess: refresh }));
  const [showLogs, setShowLogs] = useState(revealed !== null);
  const [regenerateOpen, setRegenerateOpen] = useState(false);
  const [testOpen, setTestOpen] = useState(false);
  const curl = curlCommand({
    url: webhook.url,
    auth: webhook.auth,
    secret: revealed?.secret ?? null,
    body: payload,
  });

  return (
    <li
      className="rounded-lg p-3 ring-1 ring-slate-200"
      data-testid="webhook-item"
      data-webhook-id={webhook.id}
      data-enabled={webhook.enabled}
    >
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="text-sm font-medium text-slate-900">
            {AUTH_MODES.find((mode) => mode.value === webhook.auth)?.label}
            {webhook.versionTag ? (
              <span className="font-normal text-slate-500"> · version {webhook.versionTag}</span>
            ) : (
              <span className="font-normal text-slate-500"> · draft</span>
            )}
          </p>
          <p className="text-xs text-slate-500">
            {webhook.triggerCount} call{webhook.triggerCount === 1 ? '' : 's'}
            {webhook.lastTriggeredAt ? (
              <>
                , last <RelativeTime date={webhook.lastTriggeredAt} />
              </>
            ) : null}{' '}
            · {webhook.rateLimitPerHour}/hour
            {webhook.ipAllowlist.length > 0 ? ` · ${webhook.ipAllowlist.length} allowed IP ranges` : ''}
          </p>
        </div>
        <label className="flex shrink-0 cursor-pointer items-center gap-1.5 text-xs text-slate-600">
          <input
            type="checkbox"
            className="size-4 rounded border-slate-300 text-indigo-600"
            checked={webhook.enabled}
            disabled={update.isPending}
            onChange={(e) => update.mutate({ id: webhook.id, enabled: e.target.checked })}
            data-testid="webhook-enabled"
          />
          {webhook.enabled ? 'Enabled' : 'Disabled'}
        </label>
      </div>

      <CopyField label="URL" value={webhook.url} testId="webhook-url" />

      {revealed ? (
        <div
          className="mt-3 space-y-2 rounded-lg bg-amber-50 p-3 ring-1 ring-amber-200"
          role="status"
          data-testid="webhook-secret-reveal"
        >
          <p className="text-xs font-semibold text-amber-900">
            Copy the secret now: you won't be able to see it again.
          </p>
          <CopyField label="Secret" value={revealed.secret} testId="webhook-secret" />
          {webhook.auth === 'url-secret' ? (
            <CopyField label="URL with the secret" value={revealed.triggerUrl} testId="webhook-trigger-url" />
          ) : null}
          <div className="flex justify-end">
            <Button size="sm" onClick={onForget} data-testid="webhook-secret-done">
              I've stored it
            </Button>
          </div>
        </div>
      ) : webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt.getTime() > Date.now() ? (
        <p className="mt-2 text-xs text-slate-500">
          The previous secret still works until {webhook.previousSecretExpiresAt.toLocaleString()}.
        </p>
      ) : null}

      <div className="mt-3">
        <CopyField
          label={
            revealed
              ? 'Try it (signed with the new secret)'
              : 'Try it (set SECRET to the webhook secret first)'
          }
          value={curl}
          multiline
          testId="webhook-curl"
        />
      </div>

      {update.error ? (
        <p className="mt-2 text-xs text-rose-600" role="alert">
          {readApiError(update.error).message}
        </p>
      ) : null}
      <div className="mt-2 flex flex-wrap gap-1">
        <Button size="sm" variant="ghost" onClick={() => setTestOpen(true)} data-testid="webhook-send-test">
          Send test
        </Button>
        <Button
          size="sm"
          variant="ghost"
          onClick={() => setShowLogs((v) => !v)}
          aria-expanded={showLogs}
          data-testid="webhook-logs-toggle"
        >
          Calls
        </Button>
        <Button size="sm" variant="ghost" onClick={onEdit} data-testid="edit-webhook">
          Edit
        </Button>
        <Button
          size="sm"
          variant="ghost"
          onClick={() => setRegenerateOpen(true)}
          data-testid="webhook-regenerate"
        >
          New secret
        </Button>
        <DeleteWithConfirm
          title="Delete this webhook?"
          message="Calls to its URL will be refused from now on, and its call log is removed. Runs it started stay."
          testId="delete-webhook"
          mutation={remove}
          onDelete={(done) => remove.mutate({ id: webhook.id }, { onSuccess: done })}
        />
      </div>
      {showLogs ? <WebhookLogs webhookId={webhook.id} /> : null}

      <SendTestDialog
        open={testOpen}
        webhookId={webhook.id}
        initialPayload={payload}
        onClose={() => setTestOpen(false)}
        onSent={() => setShowLogs(true)}
      />
      <RegenerateDialog
        open={regenerateOpen}
        webhookId={webhook.id}
        onClose={() => setRegenerateOpen(false)}
        onRegenerated={(secret) => {
          setRegenerateOpen(false);
          onReveal(secret);
        }}
      />
    </li>
  );
}

function CopyField({
  label,
  value,
  testId,
  multiline = false,
}: {
  label: string;
  value: string;
  testId: string;
  multiline?: boolean;
}) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = () => {
    void navigator.clipboard?.writeText(value).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div className="mt-2">
      <div className="mb-1 flex items-center justify-between">
        <span className="text-xs font-medium text-slate-600">{label}</span>
        <button
          type="button"
          onClick={copy}
          className="text-xs text-indigo-600 hover:underline"
          data-testid={`${testId}-copy`}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      {multiline ? (
        <pre
          className="max-h-48 overflow-auto rounded-lg bg-slate-900 p-2.5 font-mono text-[11px] leading-5 whitespace-pre text-slate-100"
          data-testid={testId}
        >
          {value}
        </pre>
      ) : (
        <code
          className="block truncate rounded-md bg-slate-100 px-2 py-1.5 font-mono text-[11px] text-slate-800"
          title={value}
          data-testid={testId}
        >
          {value}
        </code>
      )}
    </div>
  );
}

function WebhookLogs({ webhookId }: { webhookId: string }) {
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

function SendTestDialog({
  open,
  webhookId,
  initialPayload,
  onClose,
  onSent,
}: {
  open: boolean;
  webhookId: string;
  initialPayload: string;
  onClose: () => void;
  onSent: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [text, setText] = useState(() => JSON.stringify(JSON.parse(initialPayload), null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const send = useMutation(
    trpc.webhooks.test.mutationOptions({
      onSuccess: () => {
        onSent();
        return queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
      },
      onError: () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() }),
    }),
  );
  const error = send.error ? readApiError(send.error) : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (err) {
      setJsonError(err instanceof SyntaxError ? err.message : 'Invalid JSON');
      return;
    }
    setJsonError(null);
    send.mutate({ id: webhookId, payload });
  };
  return (
    <Dialog
      open={open}
      title="Send a test call"
      onClose={() => {
        send.reset();
        onClose();
      }}
      testId="webhook-test-dialog"
      size="lg"
    >
      <form onSubmit={submit} className="space-y-3" noValidate>
        <p className="text-xs text-slate-500">
          The payload goes through the mapping and the input checks like a real call (without a signature and
          without counting against the rate limit), and starts a run.
        </p>
        <label htmlFor={id} className="block text-sm font-medium text-slate-700">
          Payload (JSON)
        </label>
        <textarea
          id={id}
          rows={8}
          spellCheck={false}
          className={`${inputClass} font-mono text-xs`}
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="webhook-test-payload"
        />
        {jsonError ? <p className="text-xs text-rose-600">{jsonError}</p> : null}
        {send.data ? (
          <p className="text-sm text-emerald-700" role="status" data-testid="webhook-test-result">
            Accepted:{' '}
            <Link to={`/runs/${send.data.executionId}`} className="text-indigo-600 hover:underline">
              open the run
            </Link>
          </p>
        ) : null}
        {error ? (
          <div className="text-sm text-rose-600" role="alert" data-testid="webhook-test-error">
            <p>{error.issues.length > 0 ? 'The call was refused:' : error.message}</p>
            {error.issues.length > 0 ? (
              <ul className="mt-1 list-disc pl-5 text-xs">
                {error.issues.slice(0, 8).map((issue) => (
                  <li key={`${issue.path}:${issue.message}`}>
                    <span className="font-mono">{issue.path}</span>: {issue.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        <div className="flex justify-end gap-2">
          <Button
            onClick={() => {
              send.reset();
              onClose();
            }}
          >
            Close
          </Button>
          <Button type="submit" variant="primary" disabled={send.isPending} data-testid="webhook-test-submit">
            {send.isPending ? 'Sending…' : 'Send'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function RegenerateDialog({
  open,
  webhookId,
  onClose,
  onRegenerated,
}: {
  open: boolean;
  webhookId: string;
  onClose: () => void;
  onRegenerated: (secret: RevealedSecret) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [grace, setGrace] = useState(24 * 3600);
  const regenerate = useMutation(trpc.webhooks.regenerateSecret.mutationOptions());
  const confirm = async () => {
    try {
      const result = await regenerate.mutateAsync({ id: webhookId, graceSeconds: grace });
      await queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
      onRegenerated({ webhookId, secret: result.secret, triggerUrl: result.triggerUrl });
    } catch {
      // Shown below.
    }
  };
  return (
    <Dialog open={open} title="Generate a new secret?" onClose={onClose} testId="webhook-regenerate-dialog">
      <div className="space-y-3 text-sm text-slate-600">
        <p>The new secret is shown once. Senders using the old one keep working during the grace period.</p>
        <div>
          <label htmlFor={id} className="mb-1.5 block text-sm font-medium text-slate-700">
            Old secret keeps working for
          </label>
          <select
            id={id}
            className={inputClass}
            value={grace}
            onChange={(e) => setGrace(Number(e.target.value))}
            data-testid="webhook-grace"
          >
            {GRACE_OPTIONS.map((option) => (
              <option key={option.seconds} value={option.seconds}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        {regenerate.error ? (
          <p className="text-rose-600" role="alert">
            {readApiError(regenerate.error).message}
          </p>
        ) : null}
        <div className="flex justify-end gap-2 pt-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            onClick={() => void confirm()}
            disabled={regenerate.isPending}
            data-testid="webhook-regenerate-confirm"
          >
            {regenerate.isPending ? 'Working…' : 'New secret'}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}

// ---------------------------------------------------------------------------------------------

function WebhookForm({
  workflowId,
  webhook,
  inputSchema,
  onDone,
}: {
  workflowId: string;
  webhook: Webhook | null;
  inputSchema: JsonSchema | undefined;
  /** Without a result when cancelled; `revealed` only after a create. */
  onDone: (result?: { webhookId: string; sample: string; revealed?: RevealedSecret }) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = {
    rate: useId(),
    allow: useId(),
    tag: useId(),
    tags: useId(),
    mapping: useId(),
    sample: useId(),
  };
  const [draft, setDraft] = useState<WebhookDraft>(() =>
    webhook ? draftFromWebhook(webhook) : newWebhookDraft(),
  );
  const set = <K extends keyof WebhookDraft>(key: K, value: WebhookDraft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const [submitted, setSubmitted] = useState(false);
  const [sampleText, setSampleText] = useState(() =>
    JSON.stringify(JSON.parse(samplePayload(inputSchema)), null, 2),
  );

  const local = webhookSettings(draft);
  const localErrors = local.ok ? {} : local.errors;
  const create = useMutation(trpc.webhooks.create.mutationOptions());
  const update = useMutation(trpc.webhooks.update.mutationOptions());
  const saving = create.isPending || update.isPending;
  const saveError = create.error ?? update.error;
  const apiError = saveError ? readApiError(saveError) : null;
  const apiIssue = (field: string) =>
    apiError?.issues.find((issue) => issue.path === field || issue.path.startsWith(`${field}[`))?.message;
  const shown = (field: string) => (submitted ? localErrors[field] : undefined) ?? apiIssue(field);

  /** The sample payload as one line of JSON (the default sample when it does not parse). */
  const compactSample = () => {
    try {
      return JSON.stringify(JSON.parse(sampleText));
    } catch {
      return samplePayload(inputSchema);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!local.ok || saving) return;
    try {
      if (webhook) {
        await update.mutateAsync({ id: webhook.id, ...local.value });
        await queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
        onDone({ webhookId: webhook.id, sample: compactSample() });
      } else {
        const created = await create.mutateAsync({ workflowId, auth: draft.auth, ...local.value });
        await queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
        onDone({
          webhookId: created.id,
          sample: compactSample(),
          revealed: { webhookId: created.id, secret: created.secret, triggerUrl: created.triggerUrl },
        });
      }
    } catch {
      // Shown below and on the fields.
    }
  };

  return (
    <form onSubmit={submit} className="space-y-5" noValidate data-testid="webhook-form">
      <div className="flex items-center justify-between gap-2">
        <p className="text-sm font-semibold text-slate-900">{webhook ? 'Edit webhook' : 'New webhook'}</p>
        <Button size="sm" variant="ghost" onClick={() => onDone()}>
          ← Webhooks
        </Button>
      </div>

      <fieldset disabled={webhook !== null}>
        <legend className="mb-1.5 text-sm font-medium text-slate-700">Authentication</legend>
        <div className="space-y-2">
          {AUTH_MODES.map((mode) => (
            <label
              key={mode.value}
              className="flex gap-2 rounded-lg p-2 ring-1 ring-slate-200 has-checked:ring-indigo-400"
            >
              <input
                type="radio"
                name="webhook-auth"
                value={mode.value}
                checked={draft.auth === mode.value}
                onChange={() => set('auth', mode.value)}
                className="mt-0.5"
                data-testid={`webhook-auth-${mode.value}`}
              />
              <span>
                <span className="block text-sm text-slate-800">{mode.label}</span>
                <span className="block text-xs text-slate-500">{mode.hint}</span>
              </span>
            </label>
          ))}
        </div>
        {webhook ? <p className="mt-1 text-xs text-slate-400">The mode is fixed once created.</p> : null}
      </fieldset>

      <div className="grid grid-cols-2 gap-3">
        <FieldRow label="Calls per hour" htmlFor={ids.rate} error={shown('rateLimitPerHour')}>
          <input
            id={ids.rate}
            inputMode="numeric"
            className={inputClass}
            value={draft.rateLimitPerHour}
            onChange={(e) => set('rateLimitPerHour', e.target.value)}
            data-testid="webhook-rate-limit"
          />
        </FieldRow>
        <FieldRow label="Version" htmlFor={ids.tag} error={apiIssue('versionTag')}>
          <input
            id={ids.tag}
            list={ids.tags}
            className={inputClass}
            value={draft.versionTag}
            placeholder="draft"
            onChange={(e) => set('versionTag', e.target.value)}
            data-testid="webhook-version-tag"
          />
          <VersionTagOptions id={ids.tags} workflowId={workflowId} />
        </FieldRow>
      </div>

      <FieldRow label="Allowed IPs" htmlFor={ids.allow} error={apiIssue('ipAllowlist')}>
        <textarea
          id={ids.allow}
          rows={2}
          spellCheck={false}
          placeholder="Anyone. Or one address or CIDR block per line: 203.0.113.0/24"
          className={`${inputClass} font-mono text-xs`}
          value={draft.ipAllowlist}
          onChange={(e) => set('ipAllowlist', e.target.value)}
          data-testid="webhook-allowlist"
        />
      </FieldRow>

      <div className="space-y-3 rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200">
        <FieldRow
          label="Mapping (JSONata)"
          htmlFor={ids.mapping}
          error={localErrors.mapping ?? apiIssue('mapping')}
        >
          <textarea
            id={ids.mapping}
            rows={3}
            spellCheck={false}
            placeholder={'Empty: the payload is the input. Or e.g. { "topic": issue.title }'}
            className={`${inputClass} font-mono text-xs`}
            value={draft.mapping}
            onChange={(e) => set('mapping', e.target.value)}
            data-testid="webhook-mapping"
          />
          <p className="mt-1 text-xs text-slate-500">
            <code>$</code> is the payload; <code>$headers</code> and <code>$query</code> hold the request's
            headers and query.
          </p>
        </FieldRow>
        <FieldRow label="Sample payload" htmlFor={ids.sample} error={undefined}>
          <textarea
            id={ids.sample}
            rows={4}
            spellCheck={false}
            className={`${inputClass} font-mono text-xs`}
            value={sampleText}
            onChange={(e) => setSampleText(e.target.value)}
            data-testid="webhook-sample-payload"
          />
        </FieldRow>
        <MappingPreviewView mapping={draft.mapping} payloadText={sampleText} inputSchema={inputSchema} />
      </div>

      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          className="size-4 rounded border-slate-300 text-indigo-600"
          checked={draft.enabled}
          onChange={(e) => set('enabled', e.target.checked)}
          data-testid="webhook-form-enabled"
        />
        Enabled (accepts calls)
      </label>

      {apiError ? (
        <div className="text-sm text-rose-600" role="alert" data-testid="webhook-save-error">
          <p>{apiError.message}</p>
        </div>
      ) : null}
      <div className="flex justify-end gap-2">
        <Button onClick={() => onDone()}>Cancel</Button>
        <Button type="submit" variant="primary" disabled={saving} data-testid="webhook-submit">
          {saving ? 'Saving…' : webhook ? 'Save webhook' : 'Create webhook'}
        </Button>
      </div>
    </form>
  );
}

/** The run input the sample payload would give, recomputed a moment after typing stops. */
function MappingPreviewView({
  mapping,
  payloadText,
  inputSchema,
}: {
  mapping: string;
  payloadText: string;
  inputSchema: JsonSchema | undefined;
}) {
  const client = useTRPCClient();
  const args = useDebouncedValue({ mapping, payloadText, inputSchema }, 250);
  const [preview, setPreview] = useState<MappingPreview | null>(null);
  useEffect(() => {
    let cancelled = false;
    const evaluate = async (source: string, payload: unknown) =>
      (await client.webhooks.previewMapping.mutate({ mapping: source, payload })).input;
    void previewMapping(args.mapping, args.payloadText, args.inputSchema, evaluate).then((result) => {
      if (!cancelled) setPreview(result);
    });
    return () => {
      cancelled = true;
    };
  }, [args, client]);

  return (
    <div data-testid="webhook-mapping-preview">
      <p className="mb-1.5 text-sm font-medium text-slate-700">Run input from this payload</p>
      {!preview ? (
        <p className="text-xs text-slate-400">Working…</p>
      ) : preview.state === 'payload-error' ? (
        <p className="text-xs text-rose-600">The sample payload is not JSON: {preview.message}</p>
      ) : preview.state === 'mapping-error' ? (
        <p className="text-xs text-rose-600" data-testid="webhook-mapping-error">
          The mapping fails: {preview.message}
        </p>
      ) : (
        <>
          <pre
            className="max-h-40 overflow-auto rounded-lg bg-slate-900 p-2.5 font-mono text-[11px] leading-5 whitespace-pre-wrap text-slate-100"
            data-testid="webhook-mapped-input"
          >
            {JSON.stringify(preview.input, null, 2)}
          </pre>
          {preview.issues.length > 0 ? (
            <ul className="mt-1.5 space-y-0.5 text-xs text-rose-700" data-testid="webhook-mapped-issues">
              {preview.issues.map((issue) => (
                <li key={`${issue.path}:${issue.message}`}>
                  <span className="font-mono">{issue.path}</span>: {issue.message}
                </li>
              ))}
              <li className="text-slate-500">Calls like this would be refused with 400.</li>
            </ul>
          ) : inputSchema ? (
            <p className="mt-1 text-xs text-emerald-700" data-testid="webhook-mapped-valid">
              ✓ Matches the workflow's input schema.
            </p>
          ) : null}
        </>
      )}
    </div>
  );
}
