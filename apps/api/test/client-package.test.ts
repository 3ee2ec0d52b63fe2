/**
 * `@swarm/client` as another app gets it: packed with `pnpm pack` (so `publishConfig` applies),
 * installed with npm into a throwaway project outside this repository that has nothing but the
 * tarball and `typescript`, typechecked under a plain `NodeNext` + `strict` tsconfig, then run on
 * the system Node (20) against a real API server and runner. Wrong calls must fail typechecking,
 * including comparisons with a run status, a provider error class and an attempt reason that do not
 * exist (statuses and the provider layer's vocabularies are unions, not strings).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sampleWorkflowDefinition } from '@swarm/engine';
import { killRunners, type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const SYSTEM_NODE = '/usr/bin/node';
const SYSTEM_NPM = '/usr/bin/npm';
/** The consumer gets the same TypeScript as this repository, so npm's cache usually has it. */
const typescriptVersion: string = createRequire(import.meta.url)('typescript/package.json').version;

/** This process's environment without pnpm's and npm's script variables, with the system Node first. */
function systemEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)));
  return { ...env, PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}` };
}

/** pnpm itself: the one running this test (`pnpm test`), else the one on PATH. */
function pnpm(args: string[]) {
  const execPath = process.env.npm_execpath;
  return execPath && /pnpm/.test(execPath) && /\.c?js$/.test(execPath)
    ? run(process.execPath, [execPath, ...args], { cwd: repoRoot })
    : run('pnpm', args, { cwd: repoRoot });
}

const TSCONFIG = {
  compilerOptions: { module: 'NodeNext', strict: true, rootDir: 'src', outDir: 'out' },
  include: ['src'],
};

/** What an app outside this repository writes: every call typed from the installed package alone. */
const MAIN = `import { createSwarmClient, isSwarmError, type SwarmOutputs } from '@swarm/client';
import { email, password, url } from './config.js';

type RunStatus = SwarmOutputs['runs']['get']['status'];

const { token } = await createSwarmClient({ url }).auth.login.mutate({ email, password });
const swarm = createSwarmClient({ url, token });

const { items } = await swarm.workflows.list.query({ search: 'Packed' });
const workflow = items[0];
if (!workflow) throw new Error('no workflow');
const { executionId } = await swarm.runs.start.mutate({ workflowId: workflow.id, input: { query: 'tides' } });

const kinds: string[] = [];
const finished = await new Promise<RunStatus>((resolve, reject) => {
  const subscription = swarm.runs.events.subscribe(
    { id: executionId },
    {
      onData: ({ data }) => {
        kinds.push(data.kind);
        const status: RunStatus | undefined = data.kind === 'step' ? undefined : data.run.status;
        if (status === 'succeeded' || status === 'failed' || status === 'cancelled') {
          subscription.unsubscribe();
          resolve(status);
        }
      },
      onError: reject,
    },
  );
});

const detail = await swarm.runs.get.query({ id: executionId });
const created: Date = detail.createdAt;
const error = await swarm.workflows.get
  .query({ id: '00000000-0000-4000-8000-000000000000' })
  .catch((e: unknown) => e);

console.log(
  JSON.stringify({
    workflows: items.map((w) => w.name),
    finished,
    status: detail.status,
    steps: detail.steps.map((s) => s.nodeId),
    createdIsDate: created instanceof Date,
    kinds: [...new Set(kinds)],
    errorCode: isSwarmError(error) ? error.data?.code : String(error),
  }),
);
`;

/** Calls that must not typecheck, each with the error it must produce. */
const WRONG = `import { createSwarmClient } from '@swarm/client';

const swarm = createSwarmClient({ url: 'http://localhost:3000' });
const run = await swarm.runs.get.query({ id: 'x' });
export const done = run.status === 'done';
export const started = await swarm.runs.start.mutate({ workflow: 'x' });
export const missing = swarm.runs.launch;
const attempt = run.steps[0]?.attempts[0];
export const slow = attempt?.errorClass === 'slow';
export const fellBack = attempt?.reason === 'fallback';
`;

/** Figures worth seeing in the test output (tarball size, typecheck time); not asserted on timing. */
const report = (text: string) => process.stdout.write(`${text}\n`);

const api = useApiServer();
let runner: RunnerProcess | undefined;
let consumer: string | undefined;
let tarball = { path: '', bytes: 0 };

beforeAll(async () => {
  runner = await spawnRunner(api.database.url);
  await pnpm(['--filter', '@swarm/client', 'build']);
  consumer = await mkdtemp(join(tmpdir(), 'swarm-client-consumer-'));
  const { stdout } = await pnpm(['--filter', '@swarm/client', 'pack', '--pack-destination', consumer]);
  const path = stdout
    .trim()
    .split('\n')
    .findLast((line) => line.endsWith('.tgz'));
  if (!path) throw new Error(`pnpm pack printed no tarball:\n${stdout}`);
  tarball = { path, bytes: (await stat(path)).size };

  await mkdir(join(consumer, 'src'));
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  await run(
    SYSTEM_NPM,
    [
      'install',
      tarball.path,
      `typescript@${typescriptVersion}`,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
    ],
    { cwd: consumer, env: systemEnv() },
  );
}, 300_000);

afterAll(async () => {
  if (runner) await killRunners([runner]);
  if (consumer) await rm(consumer, { recursive: true, force: true });
});

/** tsc from the consumer's own install, on the system Node; resolves to its output and exit code. */
async function tsc(project: string) {
  const started = performance.now();
  const result = await run(SYSTEM_NODE, ['node_modules/typescript/bin/tsc', '-p', project], {
    cwd: consumer!,
    env: systemEnv(),
  }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
  );
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

describe('the packed @swarm/client in an app outside the workspace', () => {
  it('ships built JavaScript and self-contained types with ranged dependencies', async () => {
    const manifest = JSON.parse(
      await readFile(join(consumer!, 'node_modules/@swarm/client/package.json'), 'utf8'),
    );
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(manifest.engines.node).toBe('>=20');
    // Nothing in it points back at this workspace (devDependencies, build scripts: .pnpmfile.cjs).
    expect(JSON.stringify(manifest)).not.toMatch(/api-router|workspace|catalog|tsdown/);
    for (const name of ['@trpc/client', '@trpc/server', 'superjson', 'eventsource']) {
      expect(manifest.dependencies[name]).toMatch(/^\^\d+\.\d+\.\d+$/);
    }
    const types = await readFile(join(consumer!, 'node_modules/@swarm/client/dist/index.d.ts'), 'utf8');
    const imported = [...types.matchAll(/from ["']([^"']+)["']/g)].map((m) => m[1]);
    expect(new Set(imported)).toEqual(new Set(['@trpc/server', '@trpc/client']));
    expect(types).not.toMatch(/@swarm\/|\.\.\/|drizzle|zod/);
    report(`@swarm/client tarball: ${tarball.bytes} bytes`);
    expect(tarball.bytes).toBeLessThan(100_000);
  });

  it('typechecks a NodeNext strict app, then runs it on Node 20 against a real server', async () => {
    const password = 'a long password';
    const { client: owner, user } = await api.signUp('packed-client@example.com', password);
    await owner.workflows.create.mutate({ name: 'Packed brief', definition: sampleWorkflowDefinition() });
    // Another user's workflow of the same name must not show up for the script's user.
    const { client: other } = await api.signUp();
    await other.workflows.create.mutate({ name: 'Packed elsewhere', definition: sampleWorkflowDefinition() });

    await writeFile(
      join(consumer!, 'src/config.ts'),
      [
        `export const url = ${JSON.stringify(api.url)};`,
        `export const email = ${JSON.stringify(user.email)};`,
        `export const password = ${JSON.stringify(password)};`,
        '',
      ].join('\n'),
    );
    await writeFile(join(consumer!, 'src/main.ts'), MAIN);

    const checked = await tsc('.');
    report(`typecheck of the consumer app: ${checked.seconds.toFixed(1)} s`);
    expect(checked.output).toBe('');
    expect(checked.code).toBe(0);

    const { stdout } = await run(SYSTEM_NODE, ['out/main.js'], { cwd: consumer!, env: systemEnv() });
    expect(JSON.parse(stdout)).toEqual({
      workflows: ['Packed brief'],
      finished: 'succeeded',
      status: 'succeeded',
      steps: expect.arrayContaining(['input', 'output']),
      createdIsDate: true,
      kinds: expect.arrayContaining(['snapshot', 'status']),
      errorCode: 'NOT_FOUND',
    });
  });

  it('rejects wrong calls at typecheck time, naming each', async () => {
    await mkdir(join(consumer!, 'wrong'));
    await writeFile(join(consumer!, 'wrong/wrong.ts'), WRONG);
    await writeFile(
      join(consumer!, 'tsconfig.wrong.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', strict: true, noEmit: true },
        include: ['wrong'],
      }),
    );
    const { code, output } = await tsc('tsconfig.wrong.json');
    expect(code).not.toBe(0);
    expect(output).toMatch(/wrong\.ts\(5,.*error TS2367:.*'"done"' have no overlap/);
    expect(output).toMatch(/wrong\.ts\(6,.*error TS2561:.*'workflow' does not exist.*'workflowId'/);
    expect(output).toMatch(/wrong\.ts\(7,.*error TS2339:.*'launch' does not exist/);
    // Provider error classes and attempt reasons are unions too (`fallback:<class>`, never bare).
    expect(output).toMatch(/wrong\.ts\(9,.*error TS2367:.*"rate_limit".*'"slow"' have no overlap/);
    expect(output).toMatch(/wrong\.ts\(10,.*error TS2367:.*'AttemptReason' and '"fallback"' have no overlap/);
    expect(output.match(/error TS/g)).toHaveLength(5);
  });
});
