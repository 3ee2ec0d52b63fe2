/**
 * `swarm push [DIR]`: makes the server's drafts what the files say — creating workflows for new
 * files, updating changed ones — then, when asked, commits a version of each workflow whose draft
 * differs from its newest version and moves a tag onto it. Idempotent: an unchanged folder changes
 * nothing on the server and says so. Any conflict (see `sync-plan.ts`) refuses the whole push
 * before anything is written, unless `--force`. Schedules and webhooks in the files are not pushed
 * (they are pulled for review; their secrets never leave the server).
 */
import type { SwarmClient } from '@swarm/client';
import type { Command } from 'commander';
import { action } from '../command-context.ts';
import type { CliEnv } from '../env.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { exportAsFile } from '../server-workflows.ts';
import { type PlannedFile, planSync } from '../sync-plan.ts';
import { pushablePart, writeLock } from '../workflow-files.ts';

interface PushOptions {
  commit?: string;
  tag?: string;
  dryRun?: boolean;
  force?: boolean;
}

interface PushResult {
  file: string;
  name: string;
  workflowId: string | null;
  draft: 'created' | 'updated' | 'unchanged';
  version?: { id: string; number: number; committed: boolean };
  tagged?: boolean;
}

/** Commits the draft when it differs from the newest version (or there is none); returns the head. */
async function commitIfChanged(client: SwarmClient, workflowId: string, message: string) {
  const { items } = await client.versions.list.query({ workflowId, limit: 1 });
  const head = items[0];
  if (head) {
    const { summary } = await client.versions.compare.query({ workflowId, from: head.id, to: 'draft' });
    if (summary.identical) return { head, committed: false };
  }
  const created = await client.versions.create.mutate({ workflowId, commitMessage: message });
  return { head: created, committed: true };
}

export function registerPush(program: Command, env: CliEnv): void {
  program
    .command('push')
    .argument('[dir]', 'the folder of workflow files', '.')
    .description('create or update drafts from the files; optionally commit a version and move a tag')
    .option('--commit <message>', 'commit a version of every workflow whose draft differs from its newest')
    .option('--tag <tag>', 'put this tag on each workflow’s newest version (moved from an older one)')
    .option('--dry-run', 'show what would change, change nothing')
    .option('--force', 'replace workflows even if they changed on the server since the last pull')
    .action(
      action(env, async ({ out, connect }, dir: string, opts: PushOptions) => {
        if (opts.tag && !opts.commit && opts.dryRun !== true) {
          // Allowed: tags the newest existing version. Said so people know nothing is committed.
          out.progress(`tagging the newest versions with ${opts.tag} (no --commit: nothing committed)`);
        }
        const { client } = await connect();
        const plan = await planSync(client, dir);
        const conflicts = plan.files.filter((f) => f.status === 'conflict');
        if (conflicts.length > 0 && !opts.force) {
          throw new CliError(
            `push refused, nothing changed: ${conflicts.map((f) => `${f.file} (${f.reason})`).join('; ')}. ` +
              'Pull first (and merge your edits), or push --force to overwrite.',
            EXIT.conflict,
            { conflicts: conflicts.map((f) => ({ file: f.file, reason: f.reason })) },
          );
        }
        const toWrite = plan.files.filter((f) => f.status !== 'unchanged');
        if (opts.dryRun) {
          out.result(
            {
              dryRun: true,
              files: plan.files.map((f) => ({ file: f.file, status: f.status, reason: f.reason })),
            },
            () =>
              toWrite.length === 0
                ? `nothing to push: ${plan.files.length} workflows unchanged`
                : toWrite.map((f) => `would ${f.server ? 'update' : 'create'} ${f.file}`),
          );
          return EXIT.ok;
        }

        const results: PushResult[] = [];
        for (const file of plan.files) {
          results.push(await pushFile(client, file, opts));
          out.progress(`pushed ${file.file}`);
        }
        // Record what the server holds now, for the next push's check.
        const lock = { version: 1 as const, workflows: { ...plan.lock.workflows } };
        for (const result of results) {
          if (!result.workflowId) continue;
          const now = await exportAsFile(client, result.workflowId);
          lock.workflows[result.file] = { id: now.id, updatedAt: now.updatedAt, contentHash: now.hash };
        }
        await writeLock(dir, lock);

        const changed = results.filter(
          (r) => r.draft !== 'unchanged' || r.version?.committed === true || r.tagged === true,
        );
        out.result({ changed: changed.length > 0, workflows: results }, () =>
          changed.length === 0
            ? `nothing to push: ${results.length} workflows unchanged`
            : changed.map((r) =>
                [
                  `${out.color.green(r.draft === 'unchanged' ? 'kept' : r.draft)} ${r.file}`,
                  r.version?.committed ? `committed v${r.version.number}` : undefined,
                  r.tagged ? `tagged ${opts.tag}` : undefined,
                ]
                  .filter(Boolean)
                  .join(', '),
              ),
        );
        return EXIT.ok;
      }),
    );
}

async function pushFile(client: SwarmClient, file: PlannedFile, opts: PushOptions): Promise<PushResult> {
  const part = pushablePart(file.document);
  // A node without a position (hand-written files) goes where the editor would put a new one.
  const definition = {
    ...part.definition,
    nodes: part.definition.nodes.map((n) => ({ position: { x: 0, y: 0 }, ...n })),
  } as Parameters<SwarmClient['workflows']['update']['mutate']>[0]['definition'];
  let workflowId: string;
  let draft: PushResult['draft'];
  if (file.status === 'unchanged') {
    workflowId = file.server!.id;
    draft = 'unchanged';
  } else if (file.server) {
    await client.workflows.update.mutate({
      id: file.server.id,
      name: part.name,
      description: part.description,
      category: part.category,
      definition,
    });
    workflowId = file.server.id;
    draft = 'updated';
  } else {
    const created = await client.workflows.create.mutate({
      name: part.name,
      description: part.description,
      category: part.category,
      definition,
    });
    workflowId = created.id;
    draft = 'created';
  }
  const result: PushResult = { file: file.file, name: part.name, workflowId, draft };
  let head: { id: string; number: number; tags: string[] } | undefined;
  if (opts.commit) {
    const committed = await commitIfChanged(client, workflowId, opts.commit);
    head = committed.head;
    result.version = { id: head.id, number: head.number, committed: committed.committed };
  }
  if (opts.tag) {
    head ??= (await client.versions.list.query({ workflowId, limit: 1 })).items[0];
    if (!head) {
      throw new CliError(`${file.file}: no version to tag (push with --commit first)`, EXIT.usage);
    }
    result.version ??= { id: head.id, number: head.number, committed: false };
    result.tagged = !head.tags.includes(opts.tag);
    if (result.tagged) await client.versions.tag.mutate({ versionId: head.id, tag: opts.tag, move: true });
  }
  return result;
}
