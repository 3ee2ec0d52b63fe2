/**
 * Plain HTTP routes for moving workflows as files: `GET /api/workflows/:id/export` (a JSON
 * download), `POST /api/workflows/bulk-export` (a ZIP) and `POST /api/workflows/import` (a JSON or
 * ZIP body). They authenticate exactly like tRPC (Bearer token or session cookie, through the auth
 * service) and call the same package functions as the `transfer` router.
 *
 * Bodies arrive as text or bytes, never pre-parsed: JSON goes through the server's depth and
 * `__proto__` guard (a preHandler on string bodies) before `JSON.parse`, ZIP entries through the
 * archive limits and the same depth check.
 */
import { type AuthService, importedWebhookSecrets, importWarnings } from '@swarm/api-router';
import {
  CONFLICT_POLICIES,
  type Db,
  exportWorkflow,
  exportWorkflows,
  IMPORT_MODES,
  importWorkflowDocuments,
} from '@swarm/db';
import {
  checkExportDocument,
  DomainError,
  type ExportDocument,
  ImportValidationError,
  isZip,
  jsonTextDepth,
  type NodeRegistry,
  readZipEntries,
  safeFileName,
  type ValidationIssue,
  writeZip,
} from '@swarm/engine';
import type { SecretKeyring } from '@swarm/providers/store';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { authenticate, sendError } from './plain-routes.ts';

/** Largest import body (a JSON document or a ZIP of them); larger bodies get 413. */
export const IMPORT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Most workflows one bulk export or one import may carry. */
export const MAX_BULK_WORKFLOWS = 100;
const MAX_JSON_DEPTH = 256;

export interface TransferRouteDeps {
  db: Db;
  auth: AuthService;
  nodeRegistry: NodeRegistry;
  /** Encrypts the fresh secrets of imported webhooks; without it they are not imported. */
  secretKeys?: SecretKeyring | null | undefined;
}

const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const exportQuery = z.object({
  executions: flag,
  schedules: flag,
  webhooks: flag,
  pins: flag,
  anonymize: flag,
});

const bulkBody = z.object({
  workflowIds: z.array(z.uuid('not a valid id')).min(1, 'required').max(MAX_BULK_WORKFLOWS),
  anonymize: z.boolean().optional(),
  include: z
    .object({
      executions: z.boolean().optional(),
      schedules: z.boolean().optional(),
      webhooks: z.boolean().optional(),
      pins: z.boolean().optional(),
    })
    .optional(),
});

const importQuery = z.object({
  mode: z.enum(IMPORT_MODES).default('new'),
  onConflict: z.enum(CONFLICT_POLICIES).optional(),
  targetWorkflowId: z.uuid('not a valid id').optional(),
});

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, prefix: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new DomainError('BAD_REQUEST', `${issues[0]!.path}: ${issues[0]!.message}`, issues);
}

/** JSON text to a value, refusing hostile nesting before `JSON.parse` or anything recursive. */
function parseJsonText(text: string, where: string): unknown {
  if (jsonTextDepth(text) > MAX_JSON_DEPTH)
    throw new DomainError('BAD_REQUEST', `${where}: nested too deeply`, [
      { path: where, message: 'nested too deeply' },
    ]);
  try {
    return JSON.parse(text);
  } catch {
    throw new DomainError('BAD_REQUEST', `${where}: not valid JSON`, [
      { path: where, message: 'not valid JSON' },
    ]);
  }
}

function attachment(name: string) {
  return `attachment; filename="${name}"`;
}

/**
 * The documents of an import body: one document, an array of them, or a ZIP of `.json` files.
 * Every document is checked before any is returned; all issues are reported together.
 */
function documentsFromBody(body: unknown): ExportDocument[] {
  const sources: Array<{ value: unknown; prefix: string }> = [];
  if (body instanceof Uint8Array) {
    if (isZip(body)) {
      const entries = readZipEntries(body);
      if (entries.length === 0) throw new DomainError('BAD_REQUEST', 'the archive holds no .json files');
      if (entries.length > MAX_BULK_WORKFLOWS)
        throw new DomainError('PAYLOAD_TOO_LARGE', `at most ${MAX_BULK_WORKFLOWS} workflows per import`);
      for (const entry of entries)
        sources.push({ value: parseJsonText(entry.text, entry.name), prefix: entry.name });
    } else sources.push({ value: parseJsonText(Buffer.from(body).toString('utf8'), 'body'), prefix: '' });
  } else if (typeof body === 'string') {
    sources.push({ value: parseJsonText(body, 'body'), prefix: '' });
  } else
    throw new DomainError(
      'BAD_REQUEST',
      'send an export document (application/json) or a ZIP (application/zip)',
    );

  if (sources.length === 1 && Array.isArray(sources[0]!.value)) {
    const list = sources[0]!.value as unknown[];
    if (list.length > MAX_BULK_WORKFLOWS)
      throw new DomainError('PAYLOAD_TOO_LARGE', `at most ${MAX_BULK_WORKFLOWS} workflows per import`);
    sources.splice(0, 1, ...list.map((value, i) => ({ value, prefix: `[${i}]` })));
  }
  const documents: ExportDocument[] = [];
  const issues: ValidationIssue[] = [];
  for (const { value, prefix } of sources) {
    const check = checkExportDocument(value, prefix);
    if (check.valid) documents.push(check.document);
    else issues.push(...check.issues);
  }
  if (issues.length > 0) throw new ImportValidationError(issues);
  return documents;
}

/** The routes as an encapsulated plugin: their body parsers apply to them alone. */
export const transferRoutes: FastifyPluginAsync<TransferRouteDeps> = async (scope, deps) => {
  // Bodies stay text or bytes here (see the header); the server's preHandler guards text.
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT_BYTES },
    (_req, body, done) => done(null, body),
  );
  scope.addContentTypeParser(
    ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT_BYTES },
    (_req, body, done) => done(null, body),
  );

  scope.get<{ Params: { id: string } }>('/api/workflows/:id/export', async (req, reply) => {
    try {
      const user = await authenticate(deps.auth, req);
      const id = parseOrThrow(z.uuid('not a valid id'), req.params.id, 'id');
      const query = parseOrThrow(exportQuery, req.query, 'query');
      const doc = await exportWorkflow(deps.db, user.id, id, {
        include: {
          executions: query.executions,
          schedules: query.schedules,
          webhooks: query.webhooks,
          pins: query.pins,
        },
        anonymize: query.anonymize,
      });
      return reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('content-disposition', attachment(`${safeFileName(doc.metadata.name)}.json`))
        .send(JSON.stringify(doc, null, 2));
    } catch (error) {
      return sendError(req, reply, error, 'transfer route failed');
    }
  });

  scope.post('/api/workflows/bulk-export', async (req, reply) => {
    try {
      const user = await authenticate(deps.auth, req);
      const raw = typeof req.body === 'string' ? parseJsonText(req.body, 'body') : req.body;
      const body = parseOrThrow(bulkBody, raw, 'body');
      const docs = await exportWorkflows(deps.db, user.id, body.workflowIds, {
        include: body.include,
        anonymize: body.anonymize,
      });
      const zip = writeZip(docs.map((doc) => ({ name: doc.metadata.name, json: doc })));
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', attachment('swarm-workflows.zip'))
        .send(Buffer.from(zip));
    } catch (error) {
      return sendError(req, reply, error, 'transfer route failed');
    }
  });

  scope.post('/api/workflows/import', { bodyLimit: IMPORT_BODY_LIMIT_BYTES }, async (req, reply) => {
    try {
      const user = await authenticate(deps.auth, req);
      const options = parseOrThrow(importQuery, req.query, 'query');
      const documents = documentsFromBody(req.body);
      const result = await importWorkflowDocuments(deps.db, user.id, documents, {
        ...options,
        newWebhookSecret: importedWebhookSecrets(deps.secretKeys),
      });
      const prefixes = documents.length > 1 ? documents.map((_, i) => `documents[${i}]`) : [];
      return reply.send({
        ...result,
        warnings: [...importWarnings(documents, deps.nodeRegistry, prefixes), ...result.warnings],
      });
    } catch (error) {
      return sendError(req, reply, error, 'transfer route failed');
    }
  });
};
