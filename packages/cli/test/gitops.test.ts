/**
 * The GitOps loop with the built, packed `swarm` binary against a real API server and a real git
 * repository: login, pull, edit a prompt, diff (exactly that node), push with --commit and --tag
 * (one version), pull again (byte-identical), push again (a no-op), and a concurrent server-side
 * edit that makes push refuse until --force.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useApiServer } from '@swarm/api/testing';
import type { SwarmClient } from '@swarm/client';
import { sampleWorkflowDefinition } from '@swarm/engine';
import { generateSecretKey } from '@swarm/providers/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, type InstalledCli, installCli } from './cli-harness.ts';

const api = useApiServer({ secretKey: generateSecretKey() });
let cli: InstalledCli;
let repo: string;
let owner: SwarmClient;
let workflowId: string;
const FILE = 'research-brief.swarm.json';

beforeAll(async () => {
  cli = await installCli();
  repo = await mkdtemp(join(tmpdir(), 'swarm-gitops-'));
  await git(repo, ['init', '--quiet', '--initial-branch=main']);
  const { client } = await api.signUp();
  owner = client;
  const workflow = await owner.workflows.create.mutate({
    name: 'Research brief',
    definition: sampleWorkflowDefinition(),
  });
  workflowId = workflow.id;
  await owner.schedules.create.mutate({
    workflowId,
    cron: '0 9 * * 1',
    timezone: 'UTC',
    enabled: false,
    input: { query: 'weekly' },
  });
  await owner.webhooks.create.mutate({ workflowId, auth: 'signature' });
}, 300_000);

afterAll(async () => {
  await cli?.cleanup();
  if (repo) await rm(repo, { recursive: true, force: true });
});

const read = (name = FILE) => readFile(join(repo, name), 'utf8');

describe('swarm login / pull / diff / push against a real server and git', () => {
  it('logs in with an API token stored 0600 in XDG_CONFIG_HOME, and whoami names the user', async () => {
    const { token } = await owner.auth.createApiToken.mutate({ name: 'cli test' });
    const login = await cli.swarm(['login', '--url', api.url, '--token', token]);
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    const file = join(cli.configDir, 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(cli.configDir)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: api.url, token });

    const me = await owner.auth.me.query();
    const whoami = await cli.swarm(['whoami', '--json']);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout).user.email).toBe(me.email);

    const refused = await cli.swarm(['whoami'], { env: { SWARM_TOKEN: 'swt_not_a_real_token' } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refused the token/);
  });

  it('pulls one stable file per workflow with its schedules and webhooks, without secrets', async () => {
    const pulled = await cli.swarm(['pull', repo]);
    expect(pulled.code).toBe(0);
    const text = await read();
    const doc = JSON.parse(text);
    expect(doc.version).toBe('1.0');
    expect(doc.metadata.name).toBe('Research brief');
    expect(doc.metadata).not.toHaveProperty('exportedAt');
    expect(doc.schedules).toEqual([expect.objectContaining({ cron: '0 9 * * 1', timezone: 'UTC' })]);
    expect(doc.webhooks).toEqual([expect.objectContaining({ auth: 'signature' })]);
    expect(text).not.toMatch(/whsec_|"secret"/);
    // Sorted keys, two spaces, a final newline.
    expect(Object.keys(doc)).toEqual([...Object.keys(doc)].sort());
    expect(text.endsWith('}\n')).toBe(true);
    await git(repo, ['add', '-A']);
    await git(repo, ['commit', '--quiet', '-m', 'pull']);

    const again = await cli.swarm(['pull', repo]);
    expect(again.stdout).toMatch(/already up to date: 1 workflows/);
    expect(await git(repo, ['status', '--porcelain'])).toBe('');
  });

  it('diff shows exactly the edited node; push --commit --tag makes one version; re-pull is identical', async () => {
    const before = await read();
    const edited = before.replace('Write the brief.', 'Write the brief in three bullet points.');
    expect(edited).not.toBe(before);
    await writeFile(join(repo, FILE), edited);
    expect(await git(repo, ['diff', '--numstat'])).toBe(`1\t1\t${FILE}\n`);

    const diff = await cli.swarm(['diff', repo, '--json']);
    expect(diff.stderr).toBe('');
    expect(diff.code).toBe(0);
    const [entry, ...others] = JSON.parse(diff.stdout).workflows;
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ file: FILE, status: 'changed', workflowId, changed: [] });
    expect(entry.nodes).toEqual({
      added: [],
      removed: [],
      modified: [{ name: 'Writer', fields: ['config.prompt'] }],
      moved: [],
    });
    const human = await cli.swarm(['diff', repo]);
    expect(human.stdout).toMatch(/~ Writer: config\.prompt/);

    const dry = await cli.swarm(['push', repo, '--dry-run', '--commit', 'x']);
    expect(dry.stdout).toMatch(/would update research-brief\.swarm\.json/);
    expect((await owner.versions.list.query({ workflowId })).items).toHaveLength(0);

    const push = await cli.swarm(['push', repo, '--commit', 'Three bullets', '--tag', 'production']);
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    expect(push.stdout).toMatch(/updated research-brief\.swarm\.json, committed v1, tagged production/);
    const versions = (await owner.versions.list.query({ workflowId })).items;
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ commitMessage: 'Three bullets', tags: ['production'] });
    const draft = await owner.workflows.get.query({ id: workflowId });
    expect(draft.definition.nodes.find((n) => n.id === 'writer')?.config.prompt).toMatch(
      /three bullet points/,
    );

    const pull = await cli.swarm(['pull', repo]);
    expect(pull.code).toBe(0);
    expect(await read()).toBe(edited);
  });

  it('pushing an unchanged folder changes nothing and says so', async () => {
    const updatedAt = (await owner.workflows.get.query({ id: workflowId })).updatedAt;
    const push = await cli.swarm(['push', repo, '--commit', 'Again', '--tag', 'production', '--json']);
    expect(push.code).toBe(0);
    expect(JSON.parse(push.stdout)).toMatchObject({ changed: false });
    const human = await cli.swarm(['push', repo, '--commit', 'Again']);
    expect(human.stdout).toMatch(/nothing to push: 1 workflows unchanged/);
    expect((await owner.versions.list.query({ workflowId })).items).toHaveLength(1);
    expect((await owner.workflows.get.query({ id: workflowId })).updatedAt).toEqual(updatedAt);
  });

  it('refuses to overwrite a workflow edited on the server since the pull, unless --force', async () => {
    const server = await owner.workflows.get.query({ id: workflowId });
    const nodes = server.definition.nodes.map((n) =>
      n.id === 'critic' ? { ...n, config: { ...n.config, prompt: 'Edited in the web editor' } } : n,
    );
    await owner.workflows.update.mutate({ id: workflowId, definition: { ...server.definition, nodes } });
    const local = (await read()).replace('Research this question', 'Research carefully');
    await writeFile(join(repo, FILE), local);

    const refused = await cli.swarm(['push', repo, '--commit', 'Mine']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(
      /research-brief\.swarm\.json \(changed on the server since the last pull\)/,
    );
    const untouched = await owner.workflows.get.query({ id: workflowId });
    expect(untouched.definition.nodes.find((n) => n.id === 'critic')?.config.prompt).toBe(
      'Edited in the web editor',
    );
    expect((await owner.versions.list.query({ workflowId })).items).toHaveLength(1);
    const diff = JSON.parse((await cli.swarm(['diff', repo, '--json'])).stdout);
    expect(diff.workflows[0].status).toBe('conflict');

    const forced = await cli.swarm(['push', repo, '--commit', 'Mine', '--force']);
    expect(forced.code).toBe(0);
    const now = await owner.workflows.get.query({ id: workflowId });
    expect(now.definition.nodes.find((n) => n.id === 'critic')?.config.prompt).not.toBe(
      'Edited in the web editor',
    );
    expect(now.definition.nodes.find((n) => n.id === 'researcher')?.config.prompt).toMatch(
      /Research carefully/,
    );
    expect((await owner.versions.list.query({ workflowId })).items).toHaveLength(2);
  });

  it('creates a workflow for a new file, and a usage error is exit 2', async () => {
    const doc = JSON.parse(await read());
    doc.metadata.name = 'Second brief';
    await writeFile(join(repo, 'second.swarm.json'), JSON.stringify(doc));
    const push = await cli.swarm(['push', repo, '--json']);
    expect(push.code).toBe(0);
    const created = JSON.parse(push.stdout).workflows.find(
      (w: { file: string }) => w.file === 'second.swarm.json',
    );
    expect(created).toMatchObject({ draft: 'created', name: 'Second brief' });
    expect((await owner.workflows.list.query({ search: 'Second brief' })).items).toHaveLength(1);

    expect((await cli.swarm(['push', repo, '--no-such-flag'])).code).toBe(2);
    await writeFile(join(repo, 'broken.swarm.json'), '{ not json');
    const broken = await cli.swarm(['push', repo]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.swarm\.json: not JSON/);
  });
});
