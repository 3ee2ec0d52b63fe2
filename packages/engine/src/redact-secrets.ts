/**
 * The one place that decides what a secret looks like before text is stored, logged, exported or
 * answered. Two rules, always both:
 *
 * - **by value**: the exact secrets the caller knows for this call (the provider key in use, a
 *   webhook's secret) become `[redacted]`, wherever they appear — a provider or gateway that echoes
 *   the key back in an error body is the usual way one leaks;
 * - **by shape**: anything that looks like a credential becomes its public prefix plus
 *   `[redacted]` (`sk-proj-[redacted]`, `Bearer [redacted]`), so keys nobody told us about (a key
 *   pasted into a prompt, a header, a gateway's own token) do not leak either.
 *
 * The shapes are deliberately narrow so ordinary words survive: a token must start at a word edge,
 * be long, and (where the prefix is an English word, like `Bearer`) contain a digit or punctuation
 * that words don't. They also work on JSON text (a pino log line), where a newline before a key is
 * the two characters `\n`.
 *
 * Usage:
 *   redactSecrets(error.message, [apiKey])        // one string
 *   redactSecretsDeep(detail, [webhookSecret])     // every string inside a JSON value
 *   const redactor = createSecretRedactor();       // a process's known secrets, for its logger:
 *   redactor.remember(env.OPENAI_API_KEY);
 *   pino({ hooks: redactor.pinoHooks });
 */

export const REDACTED = '[redacted]';

/** Secrets shorter than this are not replaced by value (they would erase ordinary text). */
export const MIN_KNOWN_SECRET_LENGTH = 8;

/**
 * Where a credential may start: not inside a word or a dashed name — except right after a JSON or
 * C escape (`\n`, `\t`…) or a percent-encoded byte (`%20`), which end in a letter or digit.
 */
const EDGE = String.raw`(?:(?<![A-Za-z0-9_-])|(?<=\\[nrtbf])|(?<=%[0-9A-Fa-f]{2}))`;
/** Where a credential ends: not in the middle of more token characters. */
const END = '(?![A-Za-z0-9_-])';

interface CredentialShape {
  /** What it is, for tests and documentation. */
  name: string;
  pattern: string;
  /** What stays visible: a prefix anyone could know (never part of the secret itself). */
  keep: (match: string) => string;
}

const SK_KEEP = /^sk-(?:proj-|ant-(?:api\d+-|admin\d+-)?|svcacct-|admin-|or-v\d+-)?/;

const CREDENTIAL_SHAPES: readonly CredentialShape[] = [
  {
    // OpenAI (`sk-…`, `sk-proj-…`, `sk-svcacct-…`), Anthropic (`sk-ant-api03-…`), OpenRouter and
    // most gateways: long, and with a digit somewhere (random keys always have one; words don't).
    name: 'sk- key',
    pattern: 'sk-(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{16,}',
    keep: (m) => SK_KEEP.exec(m)?.[0] ?? 'sk-',
  },
  { name: 'Google API key', pattern: 'AIza[0-9A-Za-z_-]{30,}', keep: () => 'AIza' },
  { name: 'webhook secret', pattern: 'whsec_[A-Za-z0-9+/=_-]{16,}', keep: () => 'whsec_' },
  { name: 'SWARM token', pattern: 'sw[st]_[A-Za-z0-9_-]{32,}', keep: (m) => m.slice(0, 4) },
  {
    name: 'GitHub token',
    pattern: '(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})',
    keep: () => '',
  },
  { name: 'Slack token', pattern: 'xox[abpers]-[A-Za-z0-9-]{10,}', keep: () => '' },
  { name: 'AWS access key id', pattern: '(?:AKIA|ASIA)[0-9A-Z]{16}', keep: () => '' },
  {
    // `Bearer <token>`: the token needs a digit or one of `._~+/=-`, so "Bearer responsibility" stays.
    name: 'Bearer token',
    pattern: String.raw`[Bb]earer[ \t]+(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}`,
    keep: (m) => `${m.slice(0, 6)} `,
  },
  {
    // `Basic <base64 of user:password>`: long base64 with a digit or `+/=` ("Basic configuration" stays).
    name: 'Basic credentials',
    pattern: String.raw`Basic[ \t]+(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{12,}={0,2}`,
    keep: () => 'Basic ',
  },
];

/** Every shape in one pass; each alternative is a capture group so the replacement knows which. */
const SHAPES = new RegExp(
  `${EDGE}(?:${CREDENTIAL_SHAPES.map((s) => `(${s.pattern})`).join('|')})${END}`,
  'g',
);

function replaceShapes(text: string): string {
  return text.replace(SHAPES, (match, ...groups: unknown[]) => {
    const index = groups.findIndex((g, i) => i < CREDENTIAL_SHAPES.length && typeof g === 'string');
    const shape = CREDENTIAL_SHAPES[index];
    return `${shape ? shape.keep(match) : ''}${REDACTED}`;
  });
}

/** The known secrets worth replacing, longest first (so a secret containing another goes whole). */
function usableSecrets(known: Iterable<string | null | undefined> | undefined): string[] {
  if (!known) return [];
  const out = new Set<string>();
  for (const secret of known) {
    if (typeof secret !== 'string') continue;
    // Keys are often pasted with surrounding whitespace; what goes on the wire is the trimmed one
    // (and replacing it also covers the untrimmed form, which contains it).
    const trimmed = secret.trim();
    if (trimmed.length >= MIN_KNOWN_SECRET_LENGTH) out.add(trimmed);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * Every form a known secret is looked for in, in the order they are replaced: each secret (longest
 * first), then its JSON-escaped form (for JSON text), then its percent-encoded form (a URL or form
 * may carry it so). Worked out once per call, not once per string.
 */
function secretForms(secrets: readonly string[], alsoJsonEscaped: boolean): string[] {
  const forms: string[] = [];
  for (const secret of secrets) {
    forms.push(secret);
    if (alsoJsonEscaped) {
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) forms.push(escaped);
    }
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) forms.push(encoded);
  }
  return forms;
}

function replaceKnown(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/** `text` with the known secrets and every credential-shaped value replaced. */
export function redactSecrets(text: string, known?: Iterable<string | null | undefined>): string {
  return replaceShapes(replaceKnown(text, secretForms(usableSecrets(known), false)));
}

/**
 * The same for JSON text (a serialised log line or document): also finds known secrets in their
 * JSON-escaped form. The result is still valid JSON (only the insides of strings change).
 */
export function redactSecretsInJson(text: string, known?: Iterable<string | null | undefined>): string {
  return replaceShapes(replaceKnown(text, secretForms(usableSecrets(known), true)));
}

/** Whether `text` holds anything credential-shaped (tests, and checks that refuse rather than redact). */
export function hasCredentialShape(text: string): boolean {
  SHAPES.lastIndex = 0;
  const found = SHAPES.test(text);
  SHAPES.lastIndex = 0;
  return found;
}

/**
 * A copy of a JSON-like value with every string (not object keys) redacted as `redactSecrets`
 * does. Values that need no change are returned as they are (same object), so the common case
 * allocates nothing. Depth-bounded like the rest of the engine's JSON handling.
 */
export function redactSecretsDeep<T>(value: T, known?: Iterable<string | null | undefined>): T {
  return redactDeepWith(value, secretForms(usableSecrets(known), false));
}

function redactDeepWith<T>(value: T, forms: readonly string[]): T {
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      const clean = replaceShapes(replaceKnown(v, forms));
      return clean === v ? v : clean;
    }
    if (v === null || typeof v !== 'object' || depth > 256) return v;
    if (v instanceof Date) return v;
    if (Array.isArray(v)) {
      let changed = false;
      const out = v.map((item) => {
        const next = walk(item, depth + 1);
        if (next !== item) changed = true;
        return next;
      });
      return changed ? out : v;
    }
    // The copy is made only once a value inside changes (earlier keys are copied over then).
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record);
    let out: Record<string, unknown> | null = null;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const item = record[key];
      const next = walk(item, depth + 1);
      if (out === null && next !== item) {
        out = {};
        for (const earlier of keys.slice(0, i)) defineOwn(out, earlier, record[earlier]);
      }
      if (out !== null) defineOwn(out, key, next);
    }
    return out ?? v;
  };
  return walk(value, 0) as T;
}

/** defineProperty, not assignment: a `__proto__` key stays an own key, never the prototype. */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export interface SecretRedactor {
  /** Adds secrets this process knows (operator keys, a decrypted stored key); short ones are ignored. */
  remember(...secrets: Array<string | null | undefined>): void;
  redact(text: string): string;
  redactDeep<T>(value: T): T;
  redactJson(text: string): string;
  /** pino's `hooks`: every log line is redacted after serialisation (messages, errors, causes). */
  readonly pinoHooks: { streamWrite(line: string): string };
}

/**
 * A process's redactor: shapes plus the secrets it was told about. Bounded (the most recently
 * remembered `maxKnown` are kept) so a long-running runner that decrypts many users' keys doesn't
 * grow without limit; an evicted key is still caught by shape when it looks like one.
 */
export function createSecretRedactor(options: { maxKnown?: number } = {}): SecretRedactor {
  const maxKnown = Math.max(1, options.maxKnown ?? 1000);
  const known = new Set<string>();
  let plainForms: string[] = [];
  let jsonForms: string[] = [];
  const redactor: SecretRedactor = {
    remember(...secrets) {
      let added = false;
      for (const secret of usableSecrets(secrets)) {
        if (!known.delete(secret)) added = true;
        known.add(secret); // (re-)inserted as the most recent
      }
      if (!added) return; // the same set: its forms still hold
      while (known.size > maxKnown) known.delete(known.values().next().value!);
      const ordered = usableSecrets(known);
      plainForms = secretForms(ordered, false);
      jsonForms = secretForms(ordered, true);
    },
    redact: (text) => replaceShapes(replaceKnown(text, plainForms)),
    redactDeep: (value) => redactDeepWith(value, plainForms),
    redactJson: (text) => replaceShapes(replaceKnown(text, jsonForms)),
    pinoHooks: { streamWrite: (line) => redactor.redactJson(line) },
  };
  return redactor;
}

export interface RedactingLoggerSettings {
  /** Which process this is (`api`, `runner`): the `service` field of every line. */
  service: string;
  level: string;
  /** More fields on every line (the runner's pid). */
  base?: Record<string, unknown> | undefined;
  /** SWARM_SECRET_KEY and SWARM_SECRET_KEYS (comma-separated), redacted by value. */
  secretKey?: string | undefined;
  secretKeys?: string | undefined;
}

/**
 * pino options for a SWARM process (`pino(options)`) whose every line passes the process's redactor
 * after serialisation — credential shapes and, by value, the keys that encrypt stored secrets and
 * whatever the process `remember`s later — so error messages and causes are covered too, not only
 * known field paths. A plain options object: this package does not depend on pino.
 */
export function redactingLoggerOptions(settings: RedactingLoggerSettings): {
  options: { level: string; base: Record<string, unknown>; hooks: SecretRedactor['pinoHooks'] };
  redactor: SecretRedactor;
} {
  const redactor = createSecretRedactor();
  redactor.remember(settings.secretKey, ...(settings.secretKeys ?? '').split(','));
  return {
    options: {
      level: settings.level,
      base: { service: settings.service, ...settings.base },
      hooks: redactor.pinoHooks,
    },
    redactor,
  };
}
