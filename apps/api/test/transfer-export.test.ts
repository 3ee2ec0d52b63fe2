/** Workflow export over tRPC and the plain HTTP downloads: single, bulk (ZIP), anonymised, scoped. */
import { type ExportDocument, readZipEntries } from '@swarm/engine';
import { everyNodeType } from '@swarm/engine/testing/every-node-type';
import { describe, expect, it } from 'vitest';
import { expectApiError } from './expect-error.ts';
import { useTransferApi } from './transfer-harness.ts';

const { api, counts, http, importJson, importZip, seedWorkflow } = useTransferApi();

describe('export', () => {
  it('exports a document over tRPC and as a JSON download over HTTP', async () => {
    const { client, token, user } = await api.signUp();
    const { wf } = await seedWorkflow(client, 'Triage: "bot" / v2');
    const doc = await client.transfer.export.query({ workflowId: wf.id });
    expect(doc).toMatchObject({
      version: '1.0',
      metadata: {
        name: 'Triage: "bot" / v2',
        description: 'all types',
        category: 'qa',
        author: user.email,
        tags: ['Ops'],
      },
      agents: [{ nodeId: 'ask', role: 'asker', provider: 'mock', model: 'echo' }],
      inputSchema: { type: 'object' },
    });
    expect(doc.workflow.nodes.map((n) => n.id)).toEqual([
      'in',
      'ask',
      'check',
      'shape',
      'call',
      'join',
      'out',
    ]);

    const res = await http(`/api/workflows/${wf.id}/export`, { token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="triage-bot-v2.json"');
    const body = (await res.json()) as ExportDocument;
    expect(body.workflow).toEqual(doc.workflow);
  });

  it('includes execution summaries (never their data) and empty schedules/webhooks on request', async () => {
    const { client, token, user } = await api.signUp();
    const { wf } = await seedWorkflow(client);
    await api.database.sql`
      insert into executions (workflow_id, owner_id, definition, trigger, status, input, started_at, finished_at, duration_ms)
      values (${wf.id}, ${user.id}, '{"nodes":[],"edges":[]}'::jsonb, 'api', 'succeeded', '{"secret":"run-input-xyz"}'::jsonb,
              now(), now(), 5)`;
    const res = await http(`/api/workflows/${wf.id}/export?executions=true&schedules=1&webhooks=true`, {
      token,
    });
    const text = await res.text();
    expect(text).not.toContain('run-input-xyz');
    const doc = JSON.parse(text) as ExportDocument;
    expect(doc.executions).toEqual([
      expect.objectContaining({ status: 'succeeded', trigger: 'api', costMicros: 0 }),
    ]);
    expect(doc).toMatchObject({ schedules: [], webhooks: [] });
  });

  it('exports schedules and webhooks without secrets; importing recreates them disabled, webhooks with new secrets', async () => {
    const { client, token, user } = await api.signUp();
    const { wf } = await seedWorkflow(client);
    await client.schedules.create.mutate({
      workflowId: wf.id,
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      input: { query: 'news' },
      overlap: 'queue-one',
      missed: 'all',
      missedWindowSeconds: 3600,
      retryLimit: 3,
      retryDelaySeconds: 30,
    });
    const hook = await client.webhooks.create.mutate({
      workflowId: wf.id,
      auth: 'signature',
      rateLimitPerHour: 10,
      ipAllowlist: ['10.0.0.0/8'],
    });

    const plain = await client.transfer.export.query({ workflowId: wf.id });
    expect(plain).not.toHaveProperty('schedules');
    expect(plain).not.toHaveProperty('webhooks');

    const res = await http(`/api/workflows/${wf.id}/export?schedules=true&webhooks=true`, { token });
    const text = await res.text();
    const [stored] = await api.database.sql<{ secret: string }[]>`
      select secret from workflow_webhooks where id = ${hook.id}`;
    for (const secret of [hook.secret, stored!.secret, hook.id]) expect(text).not.toContain(secret);
    const doc = JSON.parse(text) as ExportDocument;
    expect(doc.schedules).toEqual([
      {
        cron: '0 9 * * 1-5',
        timezone: 'Europe/Berlin',
        enabled: true,
        input: { query: 'news' },
        versionTag: null,
        overlap: 'queue-one',
        missed: 'all',
        missedWindowSeconds: 3600,
        retryLimit: 3,
        retryDelaySeconds: 30,
      },
    ]);
    expect(doc.webhooks).toEqual([
      {
        auth: 'signature',
        enabled: true,
        rateLimitPerHour: 10,
        ipAllowlist: ['10.0.0.0/8'],
        mapping: null,
        versionTag: null,
      },
    ]);

    const imported = await client.transfer.import.mutate({ document: doc, mode: 'new' });
    const copyId = imported.workflowIds[0]!;
    expect(imported.warnings.map((w) => w.path)).toEqual(expect.arrayContaining(['schedules', 'webhooks']));
    const [schedule] = (await client.schedules.list.query({ workflowId: copyId })).items;
    expect(schedule).toMatchObject({
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      enabled: false,
      nextFireAt: null,
      input: { query: 'news' },
      overlap: 'queue-one',
      missed: 'all',
      retryLimit: 3,
    });
    const webhooks = await api.database.sql<
      {
        id: string;
        owner_id: string;
        enabled: boolean;
        rate_limit_per_hour: number;
        ip_allowlist: string[];
        secret: string;
      }[]
    >`select id, owner_id, enabled, rate_limit_per_hour, ip_allowlist, secret from workflow_webhooks where workflow_id = ${copyId}`;
    expect(webhooks).toHaveLength(1);
    expect(webhooks[0]).toMatchObject({
      owner_id: user.id,
      enabled: false,
      rate_limit_per_hour: 10,
      ip_allowlist: ['10.0.0.0/8'],
    });
    expect(webhooks[0]!.secret).not.toBe(stored!.secret);
    // The owner gets a usable secret by regenerating it.
    const { secret } = await client.webhooks.regenerateSecret.mutate({
      id: webhooks[0]!.id,
      graceSeconds: 0,
    });
    expect(secret).toMatch(/^whsec_/);
    // The original's schedule and webhook are untouched.
    expect((await client.schedules.list.query({ workflowId: wf.id })).items[0]).toMatchObject({
      enabled: true,
    });
  });

  it('refuses an imported schedule with a bad cron, naming its path, and writes nothing', async () => {
    const { client } = await api.signUp();
    const { wf } = await seedWorkflow(client);
    const doc = await client.transfer.export.query({ workflowId: wf.id, include: { schedules: true } });
    const before = await client.workflows.list.query({});
    await expectApiError(
      client.transfer.import.mutate({
        document: { ...doc, schedules: [{ cron: 'every day', timezone: 'UTC' }] } as never,
        mode: 'new',
      }),
      'BAD_REQUEST',
      { paths: ['schedules[0].cron'] },
    );
    expect((await client.workflows.list.query({})).items.length).toBe(before.items.length);
  });

  it('anonymises: no name, email or ids, references renumbered consistently', async () => {
    const { client, token, user } = await api.signUp();
    const { wf } = await seedWorkflow(client, 'Secret project');
    const res = await http(`/api/workflows/${wf.id}/export?anonymize=true&executions=true`, { token });
    const text = await res.text();
    for (const secret of [user.email, 'Secret project', wf.id, '"ask"']) expect(text).not.toContain(secret);
    const doc = JSON.parse(text) as ExportDocument;
    expect(doc.workflow.nodes[2]!.config.expression).toBe('$length(nodes.`node-2`.output) > 3');
    expect(doc).not.toHaveProperty('executions');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="workflow-template.json"');
  });

  it('refuses anonymous callers (401) and gives B NOT_FOUND for A’s workflow', async () => {
    const a = await api.signUp();
    const b = await api.signUp();
    const { wf } = await seedWorkflow(a.client);
    expect((await http(`/api/workflows/${wf.id}/export`)).status).toBe(401);
    expect((await http(`/api/workflows/${wf.id}/export`, { token: 'swarm_not-a-token' })).status).toBe(401);
    const res = await http(`/api/workflows/${wf.id}/export`, { token: b.token });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('Every node');
    await expectApiError(b.client.transfer.export.query({ workflowId: wf.id }), 'NOT_FOUND');
    expect((await http('/api/workflows/not-a-uuid/export', { token: b.token })).status).toBe(400);
    const bulk = await http('/api/workflows/bulk-export', {
      method: 'POST',
      token: b.token,
      type: 'application/json',
      body: JSON.stringify({ workflowIds: [wf.id] }),
    });
    expect(bulk.status).toBe(404);
    expect(
      (await http('/api/workflows/bulk-export', { method: 'POST', type: 'application/json', body: '{}' }))
        .status,
    ).toBe(401);
    expect((await importJson('', {})).status).toBe(401);
  });

  it('bulk-exports a ZIP with one safely named JSON per workflow, which imports back', async () => {
    const { client, token } = await api.signUp();
    const one = await client.workflows.create.mutate({ name: 'Report', definition: everyNodeType() });
    const two = await client.workflows.create.mutate({ name: 'report' });
    const three = await client.workflows.create.mutate({ name: '../../etc/passwd' });
    const res = await http('/api/workflows/bulk-export', {
      method: 'POST',
      token,
      type: 'application/json',
      body: JSON.stringify({ workflowIds: [one.id, two.id, three.id] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const entries = readZipEntries(bytes);
    expect(entries.map((e) => e.name)).toEqual(['etc-passwd.json', 'report-2.json', 'report.json']);

    const before = await counts();
    const imported = await importZip(token, bytes, '?onConflict=rename');
    expect(imported.status).toBe(200);
    const result = (await imported.json()) as { workflowIds: string[] };
    expect(result.workflowIds).toHaveLength(3);
    expect((await counts()).workflows).toBe(before.workflows + 3);
    const names = (await client.workflows.list.query({})).items.map((w) => w.name).sort();
    expect(names).toEqual(
      ['../../etc/passwd', '../../etc/passwd (2)', 'Report', 'Report (3)', 'report', 'report (2)'].sort(),
    );
  });
});
