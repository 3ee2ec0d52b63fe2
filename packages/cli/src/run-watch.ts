/**
 * Waiting for a run to finish over `runs.events` (Server-Sent Events), optionally reporting each
 * step once, when it has finished — the stream may send a step several times (started, then
 * finished; again after a reconnect), so steps are remembered by id.
 */
import type { SwarmClient, SwarmOutputs } from '@swarm/client';
import { EXIT, type ExitCode } from './exit-codes.ts';

type RunStatus = SwarmOutputs['runs']['get']['status'];
export type RunStep = SwarmOutputs['runs']['get']['steps'][number];

export type WaitOutcome = { finished: true; status: RunStatus } | { finished: false };

export async function waitForRun(
  client: SwarmClient,
  executionId: string,
  options: { timeoutMs?: number | undefined; onStep?: ((step: RunStep) => void) | undefined },
): Promise<WaitOutcome> {
  const reported = new Set<string>();
  const report = (step: RunStep) => {
    if (step.status === 'running' || reported.has(step.id)) return;
    reported.add(step.id);
    options.onStep?.(step);
  };
  return new Promise<WaitOutcome>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: WaitOutcome) => {
      if (timer) clearTimeout(timer);
      subscription.unsubscribe();
      resolve(outcome);
    };
    const subscription = client.runs.events.subscribe(
      { id: executionId },
      {
        onData: ({ data }) => {
          if (data.kind === 'step') return report(data.step);
          if (data.kind === 'snapshot') for (const step of data.run.steps) report(step);
          const status = data.run.status;
          if (status === 'succeeded' || status === 'failed' || status === 'cancelled') {
            finish({ finished: true, status });
          }
        },
        onError: (error) => {
          if (timer) clearTimeout(timer);
          subscription.unsubscribe();
          reject(error);
        },
      },
    );
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => finish({ finished: false }), options.timeoutMs);
    }
  });
}

/** The documented exit code of a finished run. */
export function exitCodeOf(run: { status: RunStatus; error: { code: string } | null }): ExitCode {
  if (run.status === 'succeeded') return EXIT.ok;
  if (run.status === 'cancelled') return EXIT.runCancelled;
  if (run.error?.code === 'timeout') return EXIT.runTimedOut;
  return EXIT.runFailed;
}
