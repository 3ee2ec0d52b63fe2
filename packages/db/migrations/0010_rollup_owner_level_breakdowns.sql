-- Breakdowns without reading the ledger (BENCH B8: a million attempts). Besides the rows of 0008,
-- each attempt now also counts in
-- * owner-level `model` and `role` rows (workflow_id NULL), daily and per 15 minutes, so an
--   unfiltered breakdown reads a few rows per day instead of one per workflow and day;
-- * 15-minute `version`, `model` and `role` rows per workflow, so the partial days at the ends of a
--   range come from roll-ups too (before, from the ledger).
-- Same function name, so the trigger of 0008 now runs this body. Rows keep the key order of 0008
-- (grain, dimension, …) when upserted, so concurrent writers still lock in one order.
CREATE OR REPLACE FUNCTION "cost_rollups_add_attempts"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id", "version_id", "provider", "model", "agent_role",
    "attempts", "priced_attempts", "unpriced_attempts", "no_usage_attempts", "cost_micros", "input_tokens", "cache_read_tokens",
    "cache_write_tokens", "output_tokens", "reasoning_tokens", "failed_attempts", "failed_attempt_cost_micros", "fallback_attempts", "retry_attempts")
  SELECT n."owner_id", k.g, k.d, k.b, k.w, k.v, k.p, k.m, k.ro,
    count(*), count(*) FILTER (WHERE n."cost_status" = 'priced'), count(*) FILTER (WHERE n."cost_status" = 'unpriced'),
    count(*) FILTER (WHERE n."cost_status" = 'no_usage'), coalesce(sum(n."cost_micros"), 0),
    sum(n."input_tokens"), sum(n."cache_read_tokens"), sum(n."cache_write_tokens"), sum(n."output_tokens"), sum(n."reasoning_tokens"),
    count(*) FILTER (WHERE n."error_class" IS NOT NULL), coalesce(sum(n."cost_micros") FILTER (WHERE n."error_class" IS NOT NULL), 0),
    count(*) FILTER (WHERE n."reason" LIKE 'fallback%'), count(*) FILTER (WHERE n."reason" = 'retry')
  FROM "new_costs" n
  LEFT JOIN "executions" e ON e."id" = n."execution_id"
  CROSS JOIN LATERAL (VALUES
    ('quarter', 'total', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), NULL::uuid, NULL::uuid, NULL::text, NULL::text, NULL::text),
    ('quarter', 'workflow', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), n."workflow_id", NULL, NULL, NULL, NULL),
    ('quarter', 'version', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), n."workflow_id", e."version_id", NULL, NULL, NULL),
    ('quarter', 'model', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), NULL, NULL, n."served_provider", n."served_model", NULL),
    ('quarter', 'model', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), n."workflow_id", NULL, n."served_provider", n."served_model", NULL),
    ('quarter', 'role', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), NULL, NULL, NULL, NULL, n."agent_role"),
    ('quarter', 'role', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), n."workflow_id", NULL, NULL, NULL, n."agent_role"),
    ('day', 'version', date_trunc('day', n."started_at", 'UTC'), n."workflow_id", e."version_id", NULL, NULL, NULL),
    ('day', 'model', date_trunc('day', n."started_at", 'UTC'), NULL, NULL, n."served_provider", n."served_model", NULL),
    ('day', 'model', date_trunc('day', n."started_at", 'UTC'), n."workflow_id", NULL, n."served_provider", n."served_model", NULL),
    ('day', 'role', date_trunc('day', n."started_at", 'UTC'), NULL, NULL, NULL, NULL, n."agent_role"),
    ('day', 'role', date_trunc('day', n."started_at", 'UTC'), n."workflow_id", NULL, NULL, NULL, n."agent_role")
  ) AS k(g, d, b, w, v, p, m, ro)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ON CONFLICT ON CONSTRAINT "cost_rollups_key" DO UPDATE SET
    "attempts" = r."attempts" + excluded."attempts",
    "priced_attempts" = r."priced_attempts" + excluded."priced_attempts",
    "unpriced_attempts" = r."unpriced_attempts" + excluded."unpriced_attempts",
    "no_usage_attempts" = r."no_usage_attempts" + excluded."no_usage_attempts",
    "cost_micros" = r."cost_micros" + excluded."cost_micros",
    "input_tokens" = r."input_tokens" + excluded."input_tokens",
    "cache_read_tokens" = r."cache_read_tokens" + excluded."cache_read_tokens",
    "cache_write_tokens" = r."cache_write_tokens" + excluded."cache_write_tokens",
    "output_tokens" = r."output_tokens" + excluded."output_tokens",
    "reasoning_tokens" = r."reasoning_tokens" + excluded."reasoning_tokens",
    "failed_attempts" = r."failed_attempts" + excluded."failed_attempts",
    "failed_attempt_cost_micros" = r."failed_attempt_cost_micros" + excluded."failed_attempt_cost_micros",
    "fallback_attempts" = r."fallback_attempts" + excluded."fallback_attempts",
    "retry_attempts" = r."retry_attempts" + excluded."retry_attempts";
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Backfill the new row kinds from the ledger recorded so far.
  INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id", "version_id", "provider", "model", "agent_role",
    "attempts", "priced_attempts", "unpriced_attempts", "no_usage_attempts", "cost_micros", "input_tokens", "cache_read_tokens",
    "cache_write_tokens", "output_tokens", "reasoning_tokens", "failed_attempts", "failed_attempt_cost_micros", "fallback_attempts", "retry_attempts")
  SELECT n."owner_id", k.g, k.d, k.b, k.w, k.v, k.p, k.m, k.ro,
    count(*), count(*) FILTER (WHERE n."cost_status" = 'priced'), count(*) FILTER (WHERE n."cost_status" = 'unpriced'),
    count(*) FILTER (WHERE n."cost_status" = 'no_usage'), coalesce(sum(n."cost_micros"), 0),
    sum(n."input_tokens"), sum(n."cache_read_tokens"), sum(n."cache_write_tokens"), sum(n."output_tokens"), sum(n."reasoning_tokens"),
    count(*) FILTER (WHERE n."error_class" IS NOT NULL), coalesce(sum(n."cost_micros") FILTER (WHERE n."error_class" IS NOT NULL), 0),
    count(*) FILTER (WHERE n."reason" LIKE 'fallback%'), count(*) FILTER (WHERE n."reason" = 'retry')
  FROM "execution_costs" n
  LEFT JOIN "executions" e ON e."id" = n."execution_id"
  CROSS JOIN LATERAL (VALUES
    ('quarter', 'version', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), n."workflow_id", e."version_id", NULL, NULL, NULL),
    ('quarter', 'model', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), NULL, NULL, n."served_provider", n."served_model", NULL),
    ('quarter', 'model', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), n."workflow_id", NULL, n."served_provider", n."served_model", NULL),
    ('quarter', 'role', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), NULL, NULL, NULL, NULL, n."agent_role"),
    ('quarter', 'role', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), n."workflow_id", NULL, NULL, NULL, n."agent_role"),
    ('day', 'model', date_trunc('day', n."started_at", 'UTC'), NULL, NULL, n."served_provider", n."served_model", NULL),
    ('day', 'role', date_trunc('day', n."started_at", 'UTC'), NULL, NULL, NULL, NULL, n."agent_role")
  ) AS k(g, d, b, w, v, p, m, ro)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
