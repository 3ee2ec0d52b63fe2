/**
 * One attempt's clock and cancellation. The caller's `signal` and the per-attempt `timeoutMs` are
 * joined into one AbortSignal handed to the SDK, and we remember which of the two fired: every SDK
 * reports both as the same abort error (and their stream iterators swallow it and simply stop), so
 * only this object can tell a `timeout` from a `cancelled` call.
 */
import type { ProviderId } from '@swarm/engine';
import { type ChatRequest, ProviderError, type Usage } from '../types.ts';
import { providerError, transportFailure, withoutSecrets } from './errors.ts';

export type AttemptStop = 'timeout' | 'cancelled';

export interface AttemptControl {
  /** Aborts when the caller aborts or the attempt times out; pass it to the SDK call. */
  readonly signal: AbortSignal;
  readonly stoppedBy: AttemptStop | null;
  elapsedMs(): number;
  /** Call on the first visible output token; later calls are ignored. */
  markFirstToken(): void;
  timeToFirstTokenMs(): number | null;
  /** Throws the `timeout`/`cancelled` error when the attempt was stopped (streams end quietly on abort). */
  throwIfStopped(usage?: Usage): void;
  /** Turns anything a call threw into a `ProviderError`; `fromApi` handles the SDK's own HTTP errors. */
  toProviderError(
    error: unknown,
    fromApi: (error: unknown) => ProviderError | null,
    usage?: Usage,
  ): ProviderError;
  dispose(): void;
}

/**
 * `secrets`: the key this adapter sends, redacted from every error the attempt turns into a
 * `ProviderError` (see `withoutSecrets`).
 */
export function startAttempt(
  request: ChatRequest,
  provider: ProviderId,
  secrets: ReadonlyArray<string | null | undefined> = [],
): AttemptControl {
  const model = request.model;
  const started = performance.now();
  const controller = new AbortController();
  let stoppedBy: AttemptStop | null = null;
  let firstTokenAt: number | null = null;

  const stoppedError = (usage?: Usage, cause?: unknown): ProviderError | null => {
    if (stoppedBy === 'timeout') {
      return providerError({
        provider,
        model,
        errorClass: 'timeout',
        detail: `no complete answer within ${request.timeoutMs} ms`,
        usage,
        cause,
      });
    }
    if (stoppedBy === 'cancelled') {
      return providerError({
        provider,
        model,
        errorClass: 'cancelled',
        detail: 'the call was cancelled',
        usage,
        cause,
      });
    }
    return null;
  };

  const callerSignal = request.signal;
  if (callerSignal?.aborted) {
    stoppedBy = 'cancelled';
    throw stoppedError(undefined, callerSignal.reason);
  }
  const onCallerAbort = () => {
    stoppedBy ??= 'cancelled';
    controller.abort(callerSignal?.reason);
  };
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const timeoutMs = request.timeoutMs;
  const timer =
    typeof timeoutMs === 'number' && Number.isFinite(timeoutMs)
      ? setTimeout(
          () => {
            stoppedBy ??= 'timeout';
            controller.abort(new DOMException(`attempt timed out after ${timeoutMs} ms`, 'TimeoutError'));
          },
          Math.max(0, timeoutMs),
        )
      : undefined;

  return {
    signal: controller.signal,
    get stoppedBy() {
      return stoppedBy;
    },
    elapsedMs: () => Math.round(performance.now() - started),
    markFirstToken() {
      firstTokenAt ??= performance.now();
    },
    timeToFirstTokenMs: () => (firstTokenAt === null ? null : Math.round(firstTokenAt - started)),
    throwIfStopped(usage) {
      const error = stoppedError(usage);
      if (error) throw error;
    },
    toProviderError(error, fromApi, usage) {
      const failure =
        error instanceof ProviderError
          ? error
          : (stoppedError(usage, error) ??
            fromApi(error) ??
            transportFailure(error, { provider, model, usage }));
      return withoutSecrets(failure, secrets);
    },
    dispose() {
      if (timer) clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}
