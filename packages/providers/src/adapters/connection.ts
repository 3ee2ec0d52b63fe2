/**
 * The settings an SDK adapter needs before it may touch the network: an API key and a base URL.
 * Both are checked here so a missing key or a broken URL fails with a `ProviderConfigError` that
 * names the setting to fix, instead of surfacing as a 401 or a DNS error from the provider.
 * The defaults are passed to the SDKs explicitly: left unset, each SDK would read its own
 * environment variables (OPENAI_BASE_URL, GOOGLE_GEMINI_BASE_URL, GOOGLE_GENAI_USE_VERTEXAI…),
 * and configuration is parsed once by the apps, never read from the environment by packages.
 */
import type { ProviderId } from '@swarm/engine';
import { type AdapterConfig, ProviderConfigError } from '../types.ts';
import { PROVIDER_LABELS } from './errors.ts';

export interface Connection {
  apiKey: string;
  baseUrl: string;
  fetch: typeof fetch | undefined;
}

export interface ConnectionSettings {
  keySetting: string;
  baseUrlSetting: string;
  defaultBaseUrl: string;
}

export function resolveConnection(
  provider: ProviderId,
  config: AdapterConfig,
  settings: ConnectionSettings,
): Connection {
  const label = PROVIDER_LABELS[provider];
  const apiKey = config.apiKey?.trim();
  if (!apiKey) {
    throw new ProviderConfigError(
      provider,
      settings.keySetting,
      `no API key for ${label}: set ${settings.keySetting} (or store the key under credentials) to use it`,
    );
  }
  const baseUrl = config.baseUrl?.trim() || settings.defaultBaseUrl;
  let parsed: URL | undefined;
  try {
    parsed = new URL(baseUrl);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new ProviderConfigError(
      provider,
      settings.baseUrlSetting,
      `${label} base URL "${baseUrl}" is not an http(s) URL: fix ${settings.baseUrlSetting}`,
    );
  }
  return { apiKey, baseUrl: baseUrl.replace(/\/+$/, ''), fetch: config.fetch };
}

/** Creates the SDK client on first use, so a provider that is never called needs no key. */
export function lazily<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}

/**
 * Whether a response carries one JSON document rather than server-sent events: what a gateway
 * that can't stream answers a streamed request with. The adapters read it as the whole answer.
 */
export function isJsonResponse(headers: Headers): boolean {
  const mediaType = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}
