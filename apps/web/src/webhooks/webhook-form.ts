/**
 * The webhook panel's rules, apart from React: the form's draft and its API input, the `curl`
 * example (with the real secret while it is known, a `$SECRET` placeholder otherwise), the mapping
 * preview (the same JSONata with the same bindings the server uses, run in the browser on a sample
 * payload, then checked against the workflow's input schema), the sample payload they start from,
 * and how logged calls are shown.
 */
import { compileExpression, webhookCurlExample } from '@swarm/engine';
import { exampleInput } from '../schema-form/json-schema.ts';
import { checkSample, type JsonSchema, type SampleIssue } from '../schemas/schema-text.ts';
import type { RouterInputs, RouterOutputs } from '../trpc.ts';

export type Webhook = RouterOutputs['webhooks']['list']['items'][number];
export type WebhookLog = RouterOutputs['webhooks']['logs']['items'][number];
export type WebhookAuth = Webhook['auth'];
export type WebhookOutcome = WebhookLog['outcome'];

/** A secret just returned by create/regenerate, for one webhook. */
export interface RevealedSecret {
  webhookId: string;
  secret: string;
  triggerUrl: string;
}

/**
 * The sample payload used by the curl example, "send test" and the mapping preview: an example
 * the workflow's input schema accepts (`exampleInput`), so the shown `curl` starts a run.
 */
export function samplePayload(inputSchema: JsonSchema | undefined): string {
  return JSON.stringify(inputSchema ? exampleInput(inputSchema).value : { hello: 'world' });
}

/**
 * The header's count: the calls its log lists (accepted or not), and how many of them started a
 * run when that differs (a refused call is logged but starts nothing).
 */
export function callCountLabel(webhook: Pick<Webhook, 'loggedCallCount' | 'triggerCount'>): string {
  // The log keeps the newest calls only; runs started before its oldest still count.
  const count = Math.max(webhook.loggedCallCount, webhook.triggerCount);
  const calls = `${count} call${count === 1 ? '' : 's'}`;
  return webhook.triggerCount === count ? calls : `${calls} (${webhook.triggerCount} started a run)`;
}

export const AUTH_MODES: ReadonlyArray<{ value: WebhookAuth; label: string; hint: string }> = [
  {
    value: 'signature',
    label: 'Signature',
    hint: 'Callers sign the raw body with the secret: Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) or x-webhook-signature (hex HMAC-SHA256).',
  },
  {
    value: 'url-secret',
    label: 'Secret in the URL',
    hint: 'The secret is the last part of the URL. For senders that cannot sign; anyone who sees the URL can call it.',
  },
];

export interface WebhookDraft {
  auth: WebhookAuth;
  enabled: boolean;
  rateLimitPerHour: string;
  /** One CIDR block or address per line (commas work too). */
  ipAllowlist: string;
  mapping: string;
  versionTag: string;
}

export function newWebhookDraft(): WebhookDraft {
  return {
    auth: 'signature',
    enabled: true,
    rateLimitPerHour: '100',
    ipAllowlist: '',
    mapping: '',
    versionTag: '',
  };
}

export function draftFromWebhook(webhook: Webhook): WebhookDraft {
  return {
    auth: webhook.auth,
    enabled: webhook.enabled,
    rateLimitPerHour: String(webhook.rateLimitPerHour),
    ipAllowlist: webhook.ipAllowlist.join('\n'),
    mapping: webhook.mapping ?? '',
    versionTag: webhook.versionTag ?? '',
  };
}

export function parseAllowlist(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
}

type WebhookSettingsInput = Omit<RouterInputs['webhooks']['update'], 'id'>;

/** The settings part of create/update, or the problems by field. The server checks CIDRs and JSONata again. */
export function webhookSettings(
  draft: WebhookDraft,
): { ok: true; value: WebhookSettingsInput } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const rate = Number(draft.rateLimitPerHour.trim());
  if (!Number.isInteger(rate) || rate < 1 || rate > 1_000_000)
    errors.rateLimitPerHour = 'a whole number of calls per hour from 1 to 1000000';
  const mapping = draft.mapping.trim();
  if (mapping) {
    const problem = mappingSyntaxError(mapping);
    if (problem) errors.mapping = problem;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      enabled: draft.enabled,
      rateLimitPerHour: rate,
      ipAllowlist: parseAllowlist(draft.ipAllowlist),
      mapping: mapping || null,
      versionTag: draft.versionTag.trim() || null,
    },
  };
}

function mappingSyntaxError(mapping: string): string | null {
  try {
    compileExpression(mapping);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const SECRET_PLACEHOLDER = '__SWARM_WEBHOOK_SECRET__';

/**
 * A bash snippet that calls the webhook once. With the secret (right after create or regenerate) it
 * runs as is; without it, it reads the secret from `$SECRET` and stops with a message when unset.
 */
export function curlCommand(options: {
  url: string;
  auth: WebhookAuth;
  secret: string | null;
  body: string;
}): string {
  if (options.secret !== null)
    return webhookCurlExample({
      url: options.url,
      auth: options.auth,
      secret: options.secret,
      body: options.body,
    });
  const command = webhookCurlExample({
    url: options.url,
    auth: options.auth,
    secret: SECRET_PLACEHOLDER,
    body: options.body,
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion that stops with this message when SECRET is unset
  const fromEnvironment = '${SECRET:?set SECRET to the webhook secret}';
  return options.auth === 'signature'
    ? command.replace(`'${SECRET_PLACEHOLDER}'`, `"${fromEnvironment}"`)
    : // Inside the single-quoted URL: close the quotes, splice the variable in, reopen.
      command.replace(`${SECRET_PLACEHOLDER}'`, `'"${fromEnvironment}"`);
}

export type MappingPreview =
  | { state: 'payload-error'; message: string }
  | { state: 'mapping-error'; message: string }
  | { state: 'ok'; input: unknown; issues: SampleIssue[] };

/** Evaluates a mapping over a payload; throws with the reason when it fails (the server does it). */
export type MappingEvaluator = (mapping: string, payload: unknown) => Promise<unknown>;

/**
 * What a call with this payload would start a run with: the mapping (`$` = the payload, `$headers`
 * and `$query` empty here) or the payload itself, and its problems under the input schema. The
 * mapping is user code: `evaluate` sends it to the server's expression pool, not this tab.
 */
export async function previewMapping(
  mapping: string,
  payloadText: string,
  inputSchema: JsonSchema | undefined,
  evaluate: MappingEvaluator,
): Promise<MappingPreview> {
  let payload: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch (error) {
    return { state: 'payload-error', message: error instanceof SyntaxError ? error.message : 'Invalid JSON' };
  }
  let input: unknown = payload;
  if (mapping.trim() !== '') {
    const syntax = mappingSyntaxError(mapping);
    if (syntax !== null) return { state: 'mapping-error', message: syntax };
    try {
      input = await evaluate(mapping, payload);
    } catch (error) {
      const message = (error as { message?: string }).message ?? String(error);
      return { state: 'mapping-error', message: message.replace(/^mapping: /, '') };
    }
  }
  const issues = inputSchema ? checkSample(inputSchema, input, 'input').issues : [];
  return { state: 'ok', input, issues };
}

const good = 'bg-emerald-50 text-emerald-700 ring-emerald-200';
const warn = 'bg-amber-50 text-amber-800 ring-amber-200';
const bad = 'bg-rose-50 text-rose-700 ring-rose-200';

export const LOG_OUTCOMES: Record<WebhookOutcome, { label: string; className: string }> = {
  accepted: { label: 'Accepted', className: good },
  duplicate: { label: 'Duplicate', className: 'bg-sky-50 text-sky-700 ring-sky-200' },
  'rejected-signature': { label: 'Bad signature', className: bad },
  'forbidden-ip': { label: 'IP not allowed', className: bad },
  'rate-limited': { label: 'Rate limited', className: warn },
  'invalid-input': { label: 'Invalid input', className: bad },
  'too-large': { label: 'Too large', className: bad },
  disabled: { label: 'Disabled', className: 'bg-slate-100 text-slate-700 ring-slate-300' },
  blocked: { label: 'Blocked', className: bad },
  error: { label: 'Error', className: bad },
};

/** Grace periods offered when regenerating a secret (seconds). */
export const GRACE_OPTIONS: ReadonlyArray<{ seconds: number; label: string }> = [
  { seconds: 0, label: 'None: the old secret stops working now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 24 * 3600, label: '24 hours' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
];
