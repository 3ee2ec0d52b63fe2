/**
 * The workflow export format ("1.0"): one JSON document per workflow, portable between
 * installations and users. This file owns its shape (zod; `docs/export-format.schema.json` is
 * generated from it) and the complete check of an untrusted document before anything is imported:
 * safe JSON, the format version, shape, then the graph's structure — every issue with its path.
 */
import { z } from 'zod';
import { CRON_MAX_LENGTH, checkCron, isValidTimeZone } from '../cron.ts';
import { checkWorkflowStructure, edgeSchema, MAX_EDGES, MAX_NODES, nodeSchema } from '../definition.ts';
import { DomainError, formatPath, type ValidationIssue } from '../errors.ts';
import { findUnsafeJson } from '../json-safety.ts';
import { EXECUTION_TRIGGERS } from '../run-contract.ts';

export const EXPORT_FORMAT_VERSION = '1.0';
export const SUPPORTED_FORMAT_VERSIONS: readonly string[] = [EXPORT_FORMAT_VERSION];
/** Recent execution summaries an export may carry. */
export const MAX_EXPORTED_EXECUTIONS = 50;

const jsonObject = z.record(z.string(), z.unknown());
const timestamp = z.iso.datetime({ offset: true });

/** A node as exported: like a definition node, but `position` may be absent (laid out on import). */
export const exportNodeSchema = nodeSchema.extend({
  position: z.object({ x: z.number().finite(), y: z.number().finite() }).optional(),
});

export const exportAgentSchema = z.object({
  nodeId: z.string().max(64),
  name: z.string().max(200),
  role: z.string().max(200).optional(),
  provider: z.string().max(100).optional(),
  model: z.string().max(200).optional(),
});

/** A run summary: when, how and how it ended. Never inputs, outputs or errors (they may hold data). */
export const exportExecutionSchema = z.object({
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  trigger: z.enum(EXECUTION_TRIGGERS),
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  durationMs: z.number().int().nonnegative().nullable(),
  /** Null when any attempt's cost is unknown (no price, or an answer without usage). */
  costMicros: z.number().int().nonnegative().nullable(),
});

/** Schedules and webhooks a document may carry (more is not a real workflow). */
export const MAX_EXPORTED_TRIGGERS = 50;

/**
 * A cron schedule as exported: its plan and policies (the same names and bounds as the
 * `workflow_schedules` table), never its history. Imported disabled.
 */
export const exportScheduleSchema = z.object({
  cron: z
    .string()
    .max(CRON_MAX_LENGTH)
    .superRefine((cron, ctx) => {
      const problem = checkCron(cron);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  timezone: z
    .string()
    .max(64)
    .refine(isValidTimeZone, 'unknown time zone (use an IANA name like Europe/Berlin)'),
  enabled: z.boolean().default(true),
  input: z.unknown().default({}),
  versionTag: z.string().trim().min(1).max(100).nullable().default(null),
  overlap: z.enum(['skip', 'queue-one', 'allow']).default('skip'),
  missed: z.enum(['none', 'latest', 'all']).default('latest'),
  missedWindowSeconds: z.number().int().min(60).max(2_678_400).default(86_400),
  retryLimit: z.number().int().min(0).max(10).default(2),
  retryDelaySeconds: z.number().int().min(1).max(86_400).default(60),
});

/**
 * A webhook as exported: how it is called and what it starts — never its secret, URL, logs or
 * counters. Imported disabled, with a fresh secret.
 */
export const exportWebhookSchema = z.object({
  auth: z.enum(['signature', 'url-secret']),
  enabled: z.boolean().default(true),
  rateLimitPerHour: z.number().int().min(1).max(1_000_000).default(100),
  ipAllowlist: z.array(z.string().trim().min(1).max(64)).max(100).default([]),
  mapping: z.string().max(10_000).nullable().default(null),
  versionTag: z.string().trim().min(1).max(100).nullable().default(null),
});

export const exportDocumentSchema = z.object({
  version: z.literal(EXPORT_FORMAT_VERSION),
  metadata: z.object({
    name: z.string().trim().min(1, 'required').max(200, 'at most 200 characters'),
    description: z.string().max(5000, 'at most 5000 characters').default(''),
    category: z.string().trim().max(100, 'at most 100 characters').default(''),
    /** The exporter's email; null in anonymised templates. */
    author: z.string().max(320).nullable().default(null),
    createdAt: timestamp.nullable().default(null),
    updatedAt: timestamp.nullable().default(null),
    exportedAt: timestamp.nullable().default(null),
    /** Tag names; matched case-insensitively (or created) on import. */
    tags: z.array(z.string().trim().min(1).max(50)).max(50).default([]),
    anonymized: z.boolean().default(false),
  }),
  workflow: z.object({
    nodes: z.array(exportNodeSchema).max(MAX_NODES, `at most ${MAX_NODES} nodes`).default([]),
    edges: z.array(edgeSchema).max(MAX_EDGES, `at most ${MAX_EDGES} edges`).default([]),
  }),
  /** Derived from the agent nodes, for readers; ignored on import (the nodes are the truth). */
  agents: z.array(exportAgentSchema).max(MAX_NODES).default([]),
  inputSchema: jsonObject.optional(),
  outputSchema: jsonObject.optional(),
  settings: jsonObject.optional(),
  executions: z.array(exportExecutionSchema).max(MAX_EXPORTED_EXECUTIONS).optional(),
  /** Present when the export asked for them; an import recreates them disabled. */
  schedules: z.array(exportScheduleSchema).max(MAX_EXPORTED_TRIGGERS).optional(),
  webhooks: z.array(exportWebhookSchema).max(MAX_EXPORTED_TRIGGERS).optional(),
  /**
   * Pinned node outputs of the draft (`{ [nodeId]: output }`), present only when the export asked
   * for them (`include.pins`); an import restores them into the draft.
   */
  pins: z.record(z.string().max(64), z.unknown()).optional(),
  notes: z.array(z.string().max(500)).max(20).optional(),
});

export type ExportDocument = z.output<typeof exportDocumentSchema>;
export type ExportDocumentInput = z.input<typeof exportDocumentSchema>;
export type ExportNode = z.output<typeof exportNodeSchema>;
export type ExportSchedule = z.output<typeof exportScheduleSchema>;
export type ExportWebhook = z.output<typeof exportWebhookSchema>;

/** The published JSON Schema of the format (what `docs/export-format.schema.json` holds). */
export function exportFormatJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://swarm.dev/schemas/export-format-1.0.json',
    title: 'SWARM workflow export (format 1.0)',
    ...z.toJSONSchema(exportDocumentSchema, { io: 'input', target: 'draft-2020-12' }),
  };
}

/** An import that must not go on: BAD_REQUEST listing every issue, the first in the message. */
export class ImportValidationError extends DomainError {
  constructor(issues: ValidationIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(
      'BAD_REQUEST',
      first ? `${first.path}: ${first.message}${more}` : 'invalid export document',
      issues,
    );
  }
}

export type DocumentCheck =
  | { valid: true; document: ExportDocument; issues: [] }
  | { valid: false; issues: ValidationIssue[] };

/**
 * Checks an untrusted value as an export document, completely: safe JSON (depth, prototype keys),
 * the format version (an unknown one is named, not reported as a shape mismatch), the shape, and
 * the graph (unique ids, edges to existing nodes, no cycles). `prefix` locates issues in a bundle.
 */
export function checkExportDocument(value: unknown, prefix = ''): DocumentCheck {
  const at = (path: ReadonlyArray<PropertyKey>) => formatPath(path, prefix) || prefix || 'document';
  const unsafe = findUnsafeJson(value, prefix ? [prefix] : []);
  if (unsafe.length > 0) return { valid: false, issues: unsafe };
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return {
      valid: false,
      issues: [{ path: at([]), message: 'expected an export document (a JSON object)' }],
    };

  const version = (value as Record<string, unknown>).version;
  if (version === undefined)
    return {
      valid: false,
      issues: [{ path: at(['version']), message: 'required: the export format version' }],
    };
  if (typeof version !== 'string' || !SUPPORTED_FORMAT_VERSIONS.includes(version))
    return {
      valid: false,
      issues: [
        {
          path: at(['version']),
          message: `unsupported export format version ${JSON.stringify(version)} (this server reads ${SUPPORTED_FORMAT_VERSIONS.join(', ')})`,
        },
      ],
    };

  const parsed = exportDocumentSchema.safeParse(value);
  if (!parsed.success)
    return {
      valid: false,
      issues: parsed.error.issues.map((issue) => ({ path: at(issue.path), message: issue.message })),
    };
  const doc = parsed.data;
  const structural = checkWorkflowStructure(
    {
      nodes: doc.workflow.nodes.map((n) => ({ ...n, position: n.position ?? { x: 0, y: 0 } })),
      edges: doc.workflow.edges,
    },
    prefix ? `${prefix}.workflow` : 'workflow',
  );
  if (structural.length > 0) return { valid: false, issues: structural };
  return { valid: true, document: doc, issues: [] };
}

/** Like `checkExportDocument`, but throws `ImportValidationError` listing every issue. */
export function parseExportDocument(value: unknown, prefix = ''): ExportDocument {
  const result = checkExportDocument(value, prefix);
  if (!result.valid) throw new ImportValidationError(result.issues);
  return result.document;
}
