/**
 * The runner's logger: pino JSON lines, each passed through the process's secret redactor after
 * serialisation — so error messages and causes are covered too, not only known field paths.
 * The redactor knows the keys that decrypt stored secrets from the start; the LLM client tells it
 * the operator's provider keys and each owner's key as it is decrypted.
 */
import { createSecretRedactor, type SecretRedactor } from '@swarm/engine';
import pino, { type DestinationStream, type Logger } from 'pino';

export interface RunnerLoggerSettings {
  level: string;
  /** SWARM_SECRET_KEY and SWARM_SECRET_KEYS (comma-separated), redacted by value. */
  secretKey?: string | undefined;
  secretKeys?: string | undefined;
}

export function createRunnerLogger(
  settings: RunnerLoggerSettings,
  destination?: DestinationStream,
): { logger: Logger; redactor: SecretRedactor } {
  const redactor = createSecretRedactor();
  redactor.remember(settings.secretKey, ...(settings.secretKeys ?? '').split(','));
  const options = {
    level: settings.level,
    base: { service: 'runner', pid: process.pid },
    hooks: redactor.pinoHooks,
  };
  return { logger: destination ? pino(options, destination) : pino(options), redactor };
}
