/**
 * `swarm pull [DIR]`: writes every workflow of the user as `<slug>.swarm.json` and records in
 * `swarm.lock.json` what the server had, for `push`'s check. Files are only rewritten when their
 * content changed; files of workflows deleted on the server (known from the lock) are removed.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { action } from '../command-context.ts';
import type { CliEnv } from '../env.ts';
import { EXIT } from '../exit-codes.ts';
import { exportAsFile, listAllWorkflows } from '../server-workflows.ts';
import {
  FILE_SUFFIX,
  type Lock,
  readLock,
  removeFile,
  slugify,
  stableJson,
  writeIfChanged,
  writeLock,
} from '../workflow-files.ts';

export function registerPull(program: Command, env: CliEnv): void {
  program
    .command('pull')
    .argument('[dir]', 'the folder of workflow files', '.')
    .description('write every workflow as <slug>.swarm.json (with its schedules and webhooks)')
    .action(
      action(env, async ({ out, connect }, dir: string) => {
        const { client } = await connect();
        await mkdir(dir, { recursive: true });
        const lock = await readLock(dir);
        const fileOf = new Map(Object.entries(lock.workflows).map(([file, entry]) => [entry.id, file]));

        // Oldest first, so when two workflows share a slug the older one keeps the plain name.
        const workflows = (await listAllWorkflows(client)).sort(
          (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1),
        );
        out.progress(`pulling ${workflows.length} workflows…`);
        const exported = await Promise.all(workflows.map((w) => exportAsFile(client, w.id)));

        const taken = new Set<string>();
        for (const w of exported) {
          const known = fileOf.get(w.id);
          if (known) taken.add(known);
        }
        const next: Lock = { version: 1, workflows: {} };
        const results: Array<{ file: string; id: string; name: string; status: 'written' | 'unchanged' }> =
          [];
        for (const w of exported) {
          let file = fileOf.get(w.id);
          if (!file) {
            const slug = slugify(w.parsed.metadata.name);
            file = `${slug}${FILE_SUFFIX}`;
            for (let n = 2; taken.has(file); n++) file = `${slug}-${n}${FILE_SUFFIX}`;
            taken.add(file);
          }
          const written = await writeIfChanged(join(dir, file), stableJson(w.file));
          next.workflows[file] = { id: w.id, updatedAt: w.updatedAt, contentHash: w.hash };
          results.push({
            file,
            id: w.id,
            name: w.parsed.metadata.name,
            status: written ? 'written' : 'unchanged',
          });
        }
        const removed: string[] = [];
        for (const [file, entry] of Object.entries(lock.workflows)) {
          if (!exported.some((w) => w.id === entry.id)) {
            await removeFile(dir, file);
            removed.push(file);
          }
        }
        await writeLock(dir, next);

        const written = results.filter((r) => r.status === 'written');
        out.result({ dir, workflows: results, removed }, () => [
          ...written.map((r) => `${out.color.green('wrote')} ${r.file}`),
          ...removed.map((file) => `${out.color.red('removed')} ${file} (deleted on the server)`),
          written.length === 0 && removed.length === 0
            ? `already up to date: ${results.length} workflows`
            : `${written.length} written, ${results.length - written.length} unchanged, ${removed.length} removed`,
        ]);
        return EXIT.ok;
      }),
    );
}
