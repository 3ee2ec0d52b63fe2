/**
 * `swarm run WORKFLOW` (start, optionally wait or follow; the exit code says how the run ended) and
 * `swarm runs list|get|cancel|rerun`.
 */
import type { SwarmClient } from '@swarm/client';
import { type Command, InvalidArgumentError } from 'commander';
import { action, type CommandContext } from '../command-context.ts';
import type { CliEnv } from '../env.ts';
import { EXIT } from '../exit-codes.ts';
import { parseRunInput } from '../run-input.ts';
import { exitCodeOf, type RunStep, waitForRun } from '../run-watch.ts';
import { resolveWorkflow } from '../server-workflows.ts';

interface WaitOptions {
  wait?: boolean;
  follow?: boolean;
  timeout?: number;
}

const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number of seconds above 0');
  return n;
};

const cost = (micros: number | null) => (micros === null ? 'unknown' : `$${(micros / 1e6).toFixed(6)}`);

/** Waits (and follows) when asked, prints the outcome, returns the exit code. */
async function finishRun(
  { out }: CommandContext,
  client: SwarmClient,
  executionId: string,
  opts: WaitOptions,
): Promise<number> {
  if (!opts.wait && !opts.follow) {
    out.result({ executionId, status: 'queued' }, () => executionId);
    return EXIT.ok;
  }
  out.progress(`run ${executionId} started, waiting…`);
  const onStep = opts.follow
    ? (step: RunStep) => {
        const line = { event: 'step', nodeId: step.nodeId, nodeType: step.nodeType, status: step.status };
        const mark = step.status === 'succeeded' ? out.color.green('✓') : out.color.red('✗');
        // With --json, one JSON line per step (JSON Lines), then the result object.
        process.stdout.write(
          out.json
            ? `${JSON.stringify(line)}\n`
            : `${mark} ${step.nodeId} (${step.nodeType}) ${step.status}${step.durationMs !== null ? out.color.dim(` ${step.durationMs} ms`) : ''}\n`,
        );
      }
    : undefined;
  const outcome = await waitForRun(client, executionId, {
    timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000,
    onStep,
  });
  if (!outcome.finished) {
    out.result(
      { executionId, status: 'running', timedOut: true },
      () => `still running after ${opts.timeout} s`,
    );
    return EXIT.runTimedOut;
  }
  const run = await client.runs.get.query({ id: executionId });
  out.result(
    {
      executionId,
      status: run.status,
      output: run.output,
      error: run.error,
      costMicros: run.costMicros,
      durationMs: run.durationMs,
    },
    () =>
      run.status === 'succeeded'
        ? JSON.stringify(run.output, null, 2)
        : `${out.color.red(run.status)}${run.error ? `: ${run.error.code}: ${run.error.message}` : ''}`,
  );
  if (run.status === 'succeeded') out.progress(out.color.dim(`succeeded, cost ${cost(run.costMicros)}`));
  return exitCodeOf(run);
}

function addWaitOptions(command: Command): Command {
  return command
    .option('--wait', 'wait for the run to finish and print its output')
    .option('--follow', 'print each step as it finishes (implies --wait)')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 12)', seconds);
}

export function registerRun(program: Command, env: CliEnv): void {
  addWaitOptions(
    program
      .command('run')
      .argument('<workflow>', 'workflow id or exact name')
      .description('start a run; with --wait the exit code says how it ended')
      .option('--input <json>', "the run's input: JSON, or @file.json, or @- for stdin")
      .option('--version-tag <tag>', 'run the version with this tag (e.g. production) instead of the draft'),
  ).action(
    action(
      env,
      async (context, workflow: string, opts: WaitOptions & { input?: string; versionTag?: string }) => {
        const input = await parseRunInput(opts.input);
        const { client } = await context.connect();
        const { id } = await resolveWorkflow(client, workflow);
        const { executionId } = await client.runs.start.mutate({
          workflowId: id,
          ...(input !== undefined && { input }),
          ...(opts.versionTag && { versionTag: opts.versionTag }),
        });
        return finishRun(context, client, executionId, opts);
      },
    ),
  );

  const runs = program.command('runs').description('list, inspect, cancel and re-run runs');
  runs
    .command('list')
    .description('recent runs, newest first')
    .option('--workflow <workflow>', 'only runs of this workflow (id or exact name)')
    .option('--status <status>', 'queued, running, succeeded, failed or cancelled')
    .option('--limit <n>', 'how many (at most 200)', (v) => Number.parseInt(v, 10), 20)
    .action(
      action(env, async ({ out, connect }, opts: { workflow?: string; status?: string; limit: number }) => {
        const { client } = await connect();
        const workflowId = opts.workflow ? (await resolveWorkflow(client, opts.workflow)).id : undefined;
        const page = await client.runs.list.query({
          limit: opts.limit,
          ...(workflowId && { workflowId }),
          ...(opts.status && { status: opts.status as 'queued' }),
        });
        out.result(page, () =>
          page.items.map(
            (r) => `${r.id}  ${r.status.padEnd(9)}  ${r.createdAt.toISOString()}  ${r.workflowName}`,
          ),
        );
        return EXIT.ok;
      }),
    );
  runs
    .command('get')
    .argument('<id>', 'run id')
    .description('a run with its steps, output and cost')
    .action(
      action(env, async ({ out, connect }, id: string) => {
        const { client } = await connect();
        const run = await client.runs.get.query({ id });
        const { definition: _definition, ...shown } = run;
        out.result(shown, () => [
          `${run.id}  ${run.status}  ${run.workflowName}  cost ${cost(run.costMicros)}`,
          ...run.steps.map((s) => `  ${s.nodeId} (${s.nodeType}) ${s.status}`),
          ...(run.error ? [`error: ${run.error.code}: ${run.error.message}`] : []),
          ...(run.status === 'succeeded' ? [JSON.stringify(run.output, null, 2)] : []),
        ]);
        return EXIT.ok;
      }),
    );
  runs
    .command('cancel')
    .argument('<id>', 'run id')
    .description('cancel a queued or running run')
    .action(
      action(env, async ({ out, connect }, id: string) => {
        const { client } = await connect();
        const result = await client.runs.cancel.mutate({ id });
        out.result(result, () => `cancel requested for ${id}`);
        return EXIT.ok;
      }),
    );
  addWaitOptions(
    runs
      .command('rerun')
      .argument('<id>', 'run id')
      .description('run again, reusing finished steps before --from')
      .option('--from <nodeId>', 'run this node and everything after it again')
      .option('--draft', "on the workflow's current draft instead of the run's own definition")
      .option('--input <json>', 'a new input: JSON, or @file.json'),
  ).action(
    action(
      env,
      async (context, id: string, opts: WaitOptions & { from?: string; draft?: boolean; input?: string }) => {
        const input = await parseRunInput(opts.input);
        const { client } = await context.connect();
        const { executionId } = await client.runs.rerun.mutate({
          id,
          ...(opts.from && { fromNodeId: opts.from }),
          version: opts.draft ? 'draft' : 'original',
          ...(input !== undefined && { input }),
        });
        return finishRun(context, client, executionId, opts);
      },
    ),
  );
}
