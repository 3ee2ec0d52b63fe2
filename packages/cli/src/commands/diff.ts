/**
 * `swarm diff [DIR]`: what `push` would change, per workflow, from the server's own comparison of
 * its draft with the file (nodes added, removed, modified — with the fields — and moved, by name),
 * plus the name, description and category. Exit 0 whatever it finds, like `git diff`.
 */
import type { SwarmOutputs } from '@swarm/client';
import type { Command } from 'commander';
import { action } from '../command-context.ts';
import type { CliEnv } from '../env.ts';
import { EXIT } from '../exit-codes.ts';
import { planSync } from '../sync-plan.ts';
import { pushablePart } from '../workflow-files.ts';

type Summary = SwarmOutputs['versions']['compareDefinition']['summary'];

interface WorkflowDiff {
  file: string;
  name: string;
  workflowId: string | null;
  status: 'new' | 'unchanged' | 'changed' | 'conflict';
  reason?: string;
  /** Changed top-level fields: `name`, `description`, `category`, `inputSchema`, `settings` … */
  changed: string[];
  nodes: {
    added: string[];
    removed: string[];
    modified: Array<{ name: string; fields: string[] }>;
    moved: string[];
  };
  edges: { added: number; removed: number; modified: number };
}

const noNodes = () => ({ added: [], removed: [], modified: [], moved: [] });

function fromSummary(summary: Summary): Pick<WorkflowDiff, 'nodes' | 'edges'> & { changed: string[] } {
  return {
    changed: summary.changed,
    nodes: {
      added: summary.nodes.added.map((n) => n.name),
      removed: summary.nodes.removed.map((n) => n.name),
      modified: summary.nodes.modified.map((n) => ({ name: n.name, fields: n.fields })),
      moved: summary.nodes.moved.map((n) => n.name),
    },
    edges: {
      added: summary.edges.added.length,
      removed: summary.edges.removed.length,
      modified: summary.edges.modified.length,
    },
  };
}

export function registerDiff(program: Command, env: CliEnv): void {
  program
    .command('diff')
    .argument('[dir]', 'the folder of workflow files', '.')
    .description('show what push would change, per workflow (nodes by name)')
    .action(
      action(env, async ({ out, connect }, dir: string) => {
        const { client } = await connect();
        const plan = await planSync(client, dir);
        const diffs: WorkflowDiff[] = await Promise.all(
          plan.files.map(async (f): Promise<WorkflowDiff> => {
            const part = pushablePart(f.document);
            const base = {
              file: f.file,
              name: part.name,
              workflowId: f.server?.id ?? null,
              status: f.status,
              ...(f.reason && { reason: f.reason }),
            };
            if (!f.server) {
              return {
                ...base,
                changed: [],
                nodes: { ...noNodes(), added: f.document.workflow.nodes.map((n) => n.name) },
                edges: { added: f.document.workflow.edges.length, removed: 0, modified: 0 },
              };
            }
            if (f.status === 'unchanged') {
              return { ...base, changed: [], nodes: noNodes(), edges: { added: 0, removed: 0, modified: 0 } };
            }
            const { summary } = await client.versions.compareDefinition.mutate({
              workflowId: f.server.id,
              from: 'draft',
              definition: part.definition as never,
            });
            const server = pushablePart(f.server.parsed);
            const metadata = (['name', 'description', 'category'] as const).filter(
              (k) => server[k] !== part[k],
            );
            const compared = fromSummary(summary);
            return { ...base, ...compared, changed: [...metadata, ...compared.changed] };
          }),
        );
        const changes = diffs.some((d) => d.status !== 'unchanged');
        out.result({ changes, workflows: diffs }, () => {
          if (!changes) return `no changes: ${diffs.length} workflows match the server`;
          const { green, red, yellow, bold } = out.color;
          return diffs
            .filter((d) => d.status !== 'unchanged')
            .flatMap((d) => [
              `${bold(d.file)} (${d.name}): ${d.status === 'conflict' ? red(`conflict, ${d.reason}`) : d.status}`,
              ...d.changed.map((field) => `  ${yellow('~')} ${field}`),
              ...d.nodes.added.map((name) => `  ${green('+')} ${name}`),
              ...d.nodes.removed.map((name) => `  ${red('-')} ${name}`),
              ...d.nodes.modified.map((n) => `  ${yellow('~')} ${n.name}: ${n.fields.join(', ')}`),
              ...d.nodes.moved.map((name) => `  ${yellow('>')} ${name} (moved)`),
              ...(d.edges.added + d.edges.removed + d.edges.modified > 0
                ? [`  edges: +${d.edges.added} -${d.edges.removed} ~${d.edges.modified}`]
                : []),
            ]);
        });
        return EXIT.ok;
      }),
    );
}
