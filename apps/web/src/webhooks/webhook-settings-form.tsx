/**
 * The form to create or edit a webhook: auth mode (fixed once created) — for a sender preset, the
 * service's secret (pasted at creation, never shown back) and the event filter — rate limit, version tag,
 * IP allowlist, enabled, and the payload mapping with a live preview on a sample payload. The draft
 * and its checks live in webhook-form.ts; this is how they are shown.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { readApiError } from '../api-error.ts';
import type { JsonSchema } from '../schemas/schema-text.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { FieldRow, inputClass } from '../ui/field.tsx';
import { VersionTagOptions } from '../versions/version-tag-options.tsx';
import { MappingPreviewView } from './mapping-preview.tsx';
import {
  AUTH_MODES,
  draftFromWebhook,
  isSenderPreset,
  newWebhookDraft,
  pastedSecret,
  type RevealedSecret,
  SENDER_GUIDES,
  samplePayload,
  type Webhook,
  type WebhookDraft,
  webhookSettings,
} from './webhook-form.ts';

export function WebhookSettingsForm({
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
    secret: useId(),
    events: useId(),
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
  const secret: ReturnType<typeof pastedSecret> = webhook ? { ok: true } : pastedSecret(draft);
  const localErrors: Record<string, string> = {
    ...(local.ok ? {} : local.errors),
    ...(secret.ok ? {} : { secret: secret.error }),
  };
  const guide = isSenderPreset(draft.auth) ? SENDER_GUIDES[draft.auth] : null;
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
    if (!local.ok || !secret.ok || saving) return;
    try {
      if (webhook) {
        await update.mutateAsync({ id: webhook.id, ...local.value });
        await queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
        onDone({ webhookId: webhook.id, sample: compactSample() });
      } else {
        const created = await create.mutateAsync({
          workflowId,
          auth: draft.auth,
          ...local.value,
          ...(secret.secret ? { secret: secret.secret } : {}),
        });
        await queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
        onDone({
          webhookId: created.id,
          sample: compactSample(),
          // A pasted secret is write-only: only one we generated is shown (once).
          ...(secret.secret
            ? {}
            : {
                revealed: { webhookId: created.id, secret: created.secret, triggerUrl: created.triggerUrl },
              }),
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

      {guide ? (
        <div
          className="space-y-3 rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200"
          data-testid="webhook-sender-setup"
        >
          <div className="text-xs text-slate-600">
            <p className="font-semibold text-slate-800">Connect {guide.name}</p>
            <ol className="mt-1 list-decimal space-y-0.5 pl-4">
              {guide.steps.map((step) => (
                <li key={step}>{step}</li>
              ))}
            </ol>
            <p className="mt-1">The URL is shown once the webhook is created.</p>
          </div>
          {webhook ? null : (
            <FieldRow label={guide.secretLabel} htmlFor={ids.secret} error={shown('secret')}>
              <input
                id={ids.secret}
                type="password"
                autoComplete="off"
                spellCheck={false}
                className={inputClass}
                placeholder={guide.secretPlaceholder}
                value={draft.secret}
                onChange={(e) => set('secret', e.target.value)}
                data-testid="webhook-secret-input"
              />
            </FieldRow>
          )}
          <FieldRow label="Only these events" htmlFor={ids.events} error={shown('eventFilter')}>
            <textarea
              id={ids.events}
              rows={2}
              spellCheck={false}
              placeholder={`Every event. Or one per line, e.g. ${guide.eventExamples}`}
              className={`${inputClass} font-mono text-xs`}
              value={draft.eventFilter}
              onChange={(e) => set('eventFilter', e.target.value)}
              data-testid="webhook-event-filter-input"
            />
            <p className="mt-1 text-xs text-slate-500">
              Other events are answered 200 "ignored" and logged, without a run. A trailing * matches a
              prefix.
            </p>
          </FieldRow>
        </div>
      ) : null}

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
            headers and query
            {draft.auth === 'github'
              ? ' (the event: $headers."x-github-event")'
              : draft.auth === 'shopify'
                ? ' (the topic: $headers."x-shopify-topic")'
                : ''}
            .
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
