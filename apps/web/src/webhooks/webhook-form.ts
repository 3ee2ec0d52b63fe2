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

/** The services whose own signatures a webhook can check (the server's WEBHOOK_SENDER_PRESETS). */
export type SenderPreset = Extract<WebhookAuth, 'github' | 'stripe' | 'slack' | 'shopify'>;
export const SENDER_PRESETS: readonly SenderPreset[] = ['github', 'stripe', 'slack', 'shopify'];

export function isSenderPreset(auth: WebhookAuth): auth is SenderPreset {
  return (SENDER_PRESETS as readonly string[]).includes(auth);
}

/**
 * Per service: where the owner pastes our URL and finds the secret, what the secret looks like, how
 * its events are named (for the filter), and what "Send test" sends by default.
 */
export const SENDER_GUIDES: Record<
  SenderPreset,
  {
    name: string;
    /** Steps in that service's settings, in order. */
    steps: readonly string[];
    secretLabel: string;
    secretPlaceholder: string;
    /** GitHub lets you choose the secret: left empty, we generate one to paste there. */
    secretOptional: boolean;
    eventExamples: string;
    /** "Send test": the event header (GitHub, Shopify), or none (Stripe and Slack name it in the body). */
    testEvent: string | null;
    testPayload: object;
  }
> = {
  github: {
    name: 'GitHub',
    steps: [
      'In the repository (or organization): Settings → Webhooks → Add webhook.',
      'Payload URL: the URL below. Content type: application/json.',
      'Secret: the same secret as here (leave it empty here and we generate one to copy there).',
      'Choose the events to send. GitHub sends a ping at once: an event filter answers it without a run.',
    ],
    secretLabel: 'Secret (optional: generated when left empty)',
    secretPlaceholder: 'the secret typed into GitHub',
    secretOptional: true,
    eventExamples: 'pull_request, pull_request.opened, push, issues',
    testEvent: 'ping',
    testPayload: { zen: 'Design for failure.', hook_id: 1 },
  },
  stripe: {
    name: 'Stripe',
    steps: [
      'In the Stripe Dashboard: Developers → Webhooks → Add endpoint (or Workbench → Event destinations).',
      'Endpoint URL: the URL below; select the events to send.',
      'Open the endpoint, reveal its Signing secret (whsec_…) and paste it here.',
    ],
    secretLabel: 'Signing secret',
    secretPlaceholder: 'whsec_…',
    secretOptional: false,
    eventExamples: 'invoice.paid, checkout.session.completed, customer.*',
    testEvent: null,
    testPayload: { id: 'evt_test', object: 'event', type: 'invoice.paid', data: { object: {} } },
  },
  slack: {
    name: 'Slack',
    steps: [
      'At api.slack.com/apps, open your app: Basic Information → App Credentials → Signing Secret; paste it here.',
      'Event Subscriptions → Enable Events → Request URL: the URL below. Slack checks it at once (we answer its challenge).',
      'Subscribe to the bot or workspace events you want, and save.',
    ],
    secretLabel: 'Signing secret',
    secretPlaceholder: '32 hex characters from Basic Information',
    secretOptional: false,
    eventExamples: 'app_mention, message, reaction_added',
    testEvent: null,
    testPayload: {
      type: 'event_callback',
      event_id: 'EvTEST',
      event: { type: 'app_mention', text: 'hello' },
    },
  },
  shopify: {
    name: 'Shopify',
    steps: [
      'In the Shopify admin: Settings → Notifications → Webhooks → Create webhook (format JSON), URL: the URL below.',
      'Paste here the key shown under the webhooks list ("Your webhooks will be signed with …"). For an app’s webhooks, paste the app’s client secret.',
    ],
    secretLabel: 'Signing key (or app client secret)',
    secretPlaceholder: 'the key Shopify shows under the webhooks',
    secretOptional: false,
    eventExamples: 'orders/create, orders/paid, products/*',
    testEvent: 'orders/create',
    testPayload: { id: 1, email: 'test@example.com', total_price: '0.00' },
  },
};

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
  {
    value: 'github',
    label: 'GitHub',
    hint: 'Deliveries signed by GitHub (X-Hub-Signature-256), each taken once by X-GitHub-Delivery.',
  },
  {
    value: 'stripe',
    label: 'Stripe',
    hint: 'Events signed by Stripe (Stripe-Signature, within 5 minutes), each taken once by its event id.',
  },
  {
    value: 'slack',
    label: 'Slack',
    hint: 'Events API requests signed by Slack (X-Slack-Signature); the URL check is answered for you.',
  },
  {
    value: 'shopify',
    label: 'Shopify',
    hint: 'Webhooks signed by Shopify (X-Shopify-Hmac-Sha256), each taken once by X-Shopify-Webhook-Id.',
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
  /** Sender presets: the service's secret, pasted at creation (write-only: never shown back). */
  secret: string;
  /** Sender presets: one event per line (commas work too); empty: every event. */
  eventFilter: string;
}

export function newWebhookDraft(): WebhookDraft {
  return {
    auth: 'signature',
    enabled: true,
    rateLimitPerHour: '100',
    ipAllowlist: '',
    mapping: '',
    versionTag: '',
    secret: '',
    eventFilter: '',
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
    secret: '',
    eventFilter: webhook.eventFilter.join('\n'),
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
  const preset = isSenderPreset(draft.auth);
  const eventFilter = preset ? parseAllowlist(draft.eventFilter) : [];
  const badEvent = eventFilter.find((entry) => !/^[A-Za-z0-9_.:/-]+\*?$/.test(entry));
  if (badEvent !== undefined) errors.eventFilter = `${badEvent}: not an event name`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      enabled: draft.enabled,
      rateLimitPerHour: rate,
      ipAllowlist: parseAllowlist(draft.ipAllowlist),
      mapping: mapping || null,
      versionTag: draft.versionTag.trim() || null,
      ...(preset ? { eventFilter } : {}),
    },
  };
}

/** The pasted secret for create, or the problem with it (the server checks again). */
export function pastedSecret(
  draft: WebhookDraft,
): { ok: true; secret?: string } | { ok: false; error: string } {
  if (!isSenderPreset(draft.auth)) return { ok: true };
  const secret = draft.secret.trim();
  const guide = SENDER_GUIDES[draft.auth];
  if (secret === '')
    return guide.secretOptional
      ? { ok: true }
      : { ok: false, error: `paste the ${guide.secretLabel.toLowerCase()} from ${guide.name}` };
  if (draft.auth === 'stripe' && !secret.startsWith('whsec_'))
    return { ok: false, error: "a Stripe endpoint's signing secret starts with whsec_" };
  return { ok: true, secret };
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
  /** Ours only: a sender preset's calls are signed by the service ("Send test" signs one likewise). */
  auth: Exclude<WebhookAuth, SenderPreset>;
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
  ignored: { label: 'Ignored (event filter)', className: 'bg-slate-100 text-slate-700 ring-slate-300' },
  challenge: { label: 'URL check answered', className: good },
};

/** Grace periods offered when regenerating a secret (seconds). */
export const GRACE_OPTIONS: ReadonlyArray<{ seconds: number; label: string }> = [
  { seconds: 0, label: 'None: the old secret stops working now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 24 * 3600, label: '24 hours' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
];
