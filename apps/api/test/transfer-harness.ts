/**
 * What the transfer test files share: an API server with a secret key (so webhooks, whose secrets
 * are encrypted, can be exported and imported) and raw HTTP helpers for the plain export/import
 * routes.
 */
import type { WorkflowDefinition } from '@swarm/engine';
import { everyNodeType } from '@swarm/engine/testing/every-node-type';
import { generateSecretKey } from '@swarm/providers/store';
import { useApiServer } from '../src/testing.ts';

/** Ids replaced by node order, so definitions compare "ids aside". */
export function canonical(def: WorkflowDefinition) {
  const index = new Map(def.nodes.map((n, i) => [n.id, `#${i}`]));
  let text = JSON.stringify({
    nodes: def.nodes.map((n) => ({ ...n, id: index.get(n.id) })),
    edges: def.edges.map((e) => ({
      ...e,
      id: undefined,
      source: index.get(e.source),
      target: index.get(e.target),
    })),
    inputSchema: def.inputSchema,
  });
  for (const [id, i] of index) text = text.replaceAll(`nodes.${id}.`, `nodes.${i}.`);
  return JSON.parse(text);
}

export function useTransferApi() {
  // With a secret key, so webhooks (encrypted secrets) can be created and imported.
  const api = useApiServer({ secretKey: generateSecretKey() });

  async function counts() {
    const [row] = await api.database.sql<{ workflows: number; tags: number; links: number }[]>`
      select (select count(*)::int from workflows) as workflows,
             (select count(*)::int from tags) as tags,
             (select count(*)::int from workflow_tags) as links`;
    return row!;
  }

  function http(
    path: string,
    init: { method?: string; token?: string; body?: string | Uint8Array; type?: string } = {},
  ) {
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.type) headers['content-type'] = init.type;
    return fetch(`${api.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
  }

  const importJson = (token: string, body: unknown, query = '') =>
    http(`/api/workflows/import${query}`, {
      method: 'POST',
      token,
      type: 'application/json',
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const importZip = (token: string, bytes: Uint8Array, query = '') =>
    http(`/api/workflows/import${query}`, { method: 'POST', token, type: 'application/zip', body: bytes });

  async function seedWorkflow(client: Awaited<ReturnType<typeof api.signUp>>['client'], name = 'Every node') {
    const wf = await client.workflows.create.mutate({
      name,
      description: 'all types',
      category: 'qa',
      definition: everyNodeType(),
    });
    const tag = await client.tags.create.mutate({ name: 'Ops', color: '#22c55e' });
    await client.tags.attach.mutate({ workflowId: wf.id, tagId: tag.id });
    return { wf, tag };
  }

  return { api, counts, http, importJson, importZip, seedWorkflow };
}
