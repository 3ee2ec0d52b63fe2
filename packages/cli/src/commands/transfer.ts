/**
 * `swarm export` and `swarm import`: workflows as files in the export format, one JSON document or
 * a ZIP of several, through the API's file routes (the same the web app's buttons use), with the
 * import modes (`new`, `merge`, `replace`) and conflict policies (`skip`, `rename`, `overwrite`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { action } from '../command-context.ts';
import { httpRequest } from '../connection.ts';
import type { CliEnv } from '../env.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { resolveWorkflow } from '../server-workflows.ts';

interface ExportOptions {
  output?: string;
  zip?: boolean;
  executions?: boolean;
  triggers?: boolean;
  anonymize?: boolean;
}

export function registerTransfer(program: Command, env: CliEnv): void {
  program
    .command('export')
    .argument('<workflows...>', 'workflow ids or exact names')
    .description('export workflows: one as JSON (stdout or -o), several (or --zip) as a ZIP file')
    .option('-o, --output <file>', 'write to this file (required for a ZIP)')
    .option('--zip', 'a ZIP even for one workflow')
    .option('--executions', 'include recent run summaries')
    .option('--triggers', 'include schedules and webhooks (never their secrets)')
    .option('--anonymize', 'a shareable template: no names, emails, timestamps or runs')
    .action(
      action(env, async ({ out, connect }, names: string[], opts: ExportOptions) => {
        const connection = await connect();
        const ids = await Promise.all(
          names.map(async (n) => (await resolveWorkflow(connection.client, n)).id),
        );
        const include = {
          executions: !!opts.executions,
          schedules: !!opts.triggers,
          webhooks: !!opts.triggers,
        };
        if (ids.length === 1 && !opts.zip) {
          const doc = await connection.client.transfer.export.query({
            workflowId: ids[0]!,
            include,
            anonymize: !!opts.anonymize,
          });
          const text = `${JSON.stringify(doc, null, 2)}\n`;
          if (!opts.output) {
            process.stdout.write(text);
            return EXIT.ok;
          }
          await writeFile(opts.output, text);
          out.result({ file: opts.output, workflows: 1 }, () => `wrote ${opts.output}`);
          return EXIT.ok;
        }
        if (!opts.output) throw new CliError('a ZIP export needs -o FILE', EXIT.usage);
        const response = await httpRequest(connection, '/api/workflows/bulk-export', {
          method: 'POST',
          contentType: 'application/json',
          body: JSON.stringify({ workflowIds: ids, include, anonymize: !!opts.anonymize }),
        });
        await writeFile(opts.output, new Uint8Array(await response.arrayBuffer()));
        out.result(
          { file: opts.output, workflows: ids.length },
          () => `wrote ${opts.output} (${ids.length} workflows)`,
        );
        return EXIT.ok;
      }),
    );

  program
    .command('import')
    .argument('<file>', 'an export document (.json) or a ZIP of them (.zip)')
    .description('import workflows from a JSON or ZIP export')
    .addOption(
      new Option('--mode <mode>', 'new workflows, or merge into / replace an existing one')
        .choices(['new', 'merge', 'replace'])
        .default('new'),
    )
    .addOption(
      new Option('--on-conflict <policy>', 'when a new workflow’s name is taken').choices([
        'skip',
        'rename',
        'overwrite',
      ]),
    )
    .option('--target <workflow>', 'the workflow to merge into or replace (id or exact name)')
    .action(
      action(
        env,
        async (
          { out, connect },
          file: string,
          opts: { mode: string; onConflict?: string; target?: string },
        ) => {
          let body: Buffer;
          try {
            body = await readFile(file);
          } catch (error) {
            throw new CliError(`${file}: ${(error as Error).message}`, EXIT.usage);
          }
          const connection = await connect();
          const zip = body[0] === 0x50 && body[1] === 0x4b; // "PK": a ZIP, whatever the file is called
          const query = new URLSearchParams({ mode: opts.mode });
          if (opts.onConflict) query.set('onConflict', opts.onConflict);
          if (opts.target)
            query.set('targetWorkflowId', (await resolveWorkflow(connection.client, opts.target)).id);
          const response = await httpRequest(connection, `/api/workflows/import?${query}`, {
            method: 'POST',
            contentType: zip ? 'application/zip' : 'application/json',
            body: zip ? new Uint8Array(body) : body.toString('utf8'),
          });
          const result = (await response.json()) as {
            workflows: Array<{ id: string; name: string }>;
            warnings: Array<{ path: string; message: string }>;
          };
          for (const w of result.warnings)
            out.note(`${out.color.yellow('warning')}: ${w.path}: ${w.message}`);
          out.result(result, () => result.workflows.map((w) => `imported ${w.name} (${w.id})`));
          return EXIT.ok;
        },
      ),
    );
}
