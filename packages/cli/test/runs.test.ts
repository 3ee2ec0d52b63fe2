/**
 * `swarm run`, `swarm runs …`, `swarm export` and `swarm import` with the packed binary against a
 * real API server and a real runner (the offline mock provider): exit codes for succeeded, failed,
 * cancelled and timed out; `--follow` printing each step once, as it finishes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useApiServer } from '@swarm/api/testing';
import type { SwarmClient } from '@swarm/client';
import { agentChain, killRunners, type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InstalledCli, installCli } from './cli-harness.ts';

const api = useApiServer();
let cli: InstalledCli;
let runner: RunnerProcess | undefined;
let owner: SwarmClient;
let env: Record<string, string>;
let scratch: string;

beforeAll(async () => {
  [cli, runner] = await Promise.all([installCli(), spawnRunner(api.database.url)]);
  scratch = await mkdtemp(join(tmpdir(), 'swarm-runs-'));
  const { client } = await api.signUp();
  owner = client;
  const { token } = await owner.auth.createApiToken.mutate({ name: 'runs' });
  // This file logs in through the environment alone (no `swarm login`).
  env = { SWARM_URL: api.url, SWARM_TOKEN: token };
  await owner.workflows.create.mutate({ name: 'Chain ok', definition: agentChain(['echo']) });
  await owner.workflows.create.mutate({ name: 'Chain fails', definition: agentChain(['fail:invalid']) });
  await owner.workflows.create.mutate({
    name: 'Chain slow',
    definition: agentChain(['echo', 'delay:120000']),
  });
}, 300_000);

afterAll(async () => {
  if (runner) await killRunners([runner]);
  await cli?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const swarm = (args: string[]) => cli.swarm(args, { env });

/** Step lines of `--follow` (`✓ a1 (agent) succeeded 3 ms`) as node ids, in order. */
const stepIds = (stdout: string) =>
  stdout
    .split('\n')
    .map((line) => /^\S+ (\S+) \(\w+\) (succeeded|failed|skipped|cancelled)/.exec(line)?.[1])
    .filter(Boolean);

describe('swarm run', () => {
  it('prints the output of a succeeded run and exits 0', async () => {
    const run = await swarm(['run', 'Chain ok', '--input', '{"query":"tides"}', '--wait', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.status).toBe('succeeded');
    expect(JSON.stringify(result.output)).toMatch(/tides/);

    await writeFile(join(scratch, 'input.json'), '{"query":"from a file"}');
    const human = await swarm(['run', 'Chain ok', '--input', `@${join(scratch, 'input.json')}`, '--wait']);
    expect(human.code).toBe(0);
    expect(JSON.stringify(JSON.parse(human.stdout))).toMatch(/from a file/);
  });

  it('exits 10 when the run fails, naming the error', async () => {
    const run = await swarm(['run', 'Chain fails', '--input', '{"query":"x"}', '--wait']);
    expect(run.code).toBe(10);
    expect(run.stdout).toMatch(/^failed: \w+/);
    const json = JSON.parse(
      (await swarm(['run', 'Chain fails', '--input', '{"query":"x"}', '--wait', '--json'])).stdout,
    );
    expect(json).toMatchObject({ status: 'failed', error: { code: expect.any(String) } });
  });

  it('--follow prints each step once; a run cancelled while followed exits 11', async () => {
    const ok = await swarm(['run', 'Chain ok', '--input', '{"query":"q"}', '--follow']);
    expect(ok.code).toBe(0);
    expect(stepIds(ok.stdout)).toEqual(['input', 'a1', 'output']);

    // The slow agent only ends when cancelled, and it is cancelled only once the CLI has printed
    // the step before it: so that step was printed while the run was still going.
    let cancelled: Promise<unknown> | undefined;
    const followed = await cli.swarmStreaming(
      ['run', 'Chain slow', '--input', '{"query":"q"}', '--follow', '--json'],
      (line) => {
        if (cancelled || !line.includes('"nodeId":"a1"')) return;
        cancelled = owner.runs.list
          .query({ status: 'running' })
          .then(({ items }) => owner.runs.cancel.mutate({ id: items[0]!.id }));
      },
      { env },
    );
    await cancelled;
    expect(followed.code).toBe(11);
    const events = followed.stdout
      .split('\n')
      .filter((line) => line.startsWith('{"event"'))
      .map((line) => JSON.parse(line).nodeId);
    expect(events).toEqual(['input', 'a1', 'a2']);
  }, 60_000);

  it('exits 12 when --timeout passes before the run ends', async () => {
    const run = await swarm([
      'run',
      'Chain slow',
      '--input',
      '{"query":"q"}',
      '--wait',
      '--timeout',
      '1',
      '--json',
    ]);
    expect(run.code).toBe(12);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'running', timedOut: true });
    await owner.runs.cancel.mutate({ id: JSON.parse(run.stdout).executionId });
  });

  it('lists, reads and re-runs runs; bad input is exit 2', async () => {
    const list = JSON.parse((await swarm(['runs', 'list', '--workflow', 'Chain ok', '--json'])).stdout);
    expect(list.items.length).toBeGreaterThanOrEqual(3);
    const id = list.items.find((r: { status: string }) => r.status === 'succeeded').id;
    const get = JSON.parse((await swarm(['runs', 'get', id, '--json'])).stdout);
    expect(get).toMatchObject({ id, status: 'succeeded' });
    expect(get.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(expect.arrayContaining(['a1']));
    const rerun = await swarm(['runs', 'rerun', id, '--from', 'a1', '--wait', '--json']);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout).status).toBe('succeeded');

    expect((await swarm(['run', 'Chain ok', '--input', '{nope'])).code).toBe(2);
    expect((await swarm(['run', 'No such workflow'])).code).toBe(2);
  });
});

describe('swarm export / import', () => {
  it('exports JSON and ZIP and imports both with the conflict policies', async () => {
    const file = join(scratch, 'chain.json');
    expect((await swarm(['export', 'Chain ok', '-o', file])).code).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8')).metadata.name).toBe('Chain ok');
    const renamed = await swarm(['import', file, '--on-conflict', 'rename', '--json']);
    expect(renamed.code).toBe(0);
    expect(JSON.parse(renamed.stdout).workflows).toEqual([expect.objectContaining({ name: 'Chain ok (2)' })]);

    const zip = join(scratch, 'both.zip');
    expect((await swarm(['export', 'Chain ok', 'Chain fails', '-o', zip])).code).toBe(0);
    const skipped = await swarm(['import', zip, '--on-conflict', 'skip', '--json']);
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout).workflows).toEqual([]);

    const replaced = await swarm(['import', file, '--mode', 'replace', '--target', 'Chain fails', '--json']);
    expect(replaced.code).toBe(0);
    const names = (await owner.workflows.list.query({})).items.map((w) => w.name).sort();
    expect(names).toEqual(['Chain fails', 'Chain ok', 'Chain ok (2)', 'Chain slow']);
  });
});
