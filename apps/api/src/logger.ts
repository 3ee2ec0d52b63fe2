/**
 * The API's logger: pino JSON lines, each passed through the process's secret redactor after
 * serialisation — credential shapes (provider keys, `whsec_…`, Bearer tokens) and, by value, the
 * keys that encrypt stored secrets — so error messages and causes are covered too, not only known
 * field paths.
 */
import { createSecretRedactor, type SecretRedactor } from '@swarm/engine';
import pino, { type DestinationStream, type Logger } from 'pino';

export interface ApiLoggerSettings {
  level: string;
  /** SWARM_SECRET_KEY and SWARM_SECRET_KEYS (comma-separated), redacted by value. */
  secretKey?: string | undefined;
  secretKeys?: string | undefined;
}

export function createApiLogger(
  settings: ApiLoggerSettings,
  destination?: DestinationStream,
): { logger: Logger; redactor: SecretRedactor } {
  const redactor = createSecretRedactor();
  redactor.remember(settings.secretKey, ...(settings.secretKeys ?? '').split(','));
  const options = { level: settings.level, base: { service: 'api' }, hooks: redactor.pinoHooks };
  return { logger: destination ? pino(options, destination) : pino(options), redactor };
}
