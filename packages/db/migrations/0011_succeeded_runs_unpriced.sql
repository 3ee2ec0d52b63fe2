ALTER TABLE "cost_rollups" ADD COLUMN "runs_succeeded_unpriced" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_rollups" ADD COLUMN "succeeded_unpriced_run_cost_micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Cost per successful run leaves out runs with an unpriced attempt (their cost is unknown, never
-- $0): each bucket also counts the successful runs that had one, and what those runs cost. A live run
-- records its attempts while running, so whether it had one is decided when it succeeds.
-- Same function name, so the triggers of 0008 now run this body.
CREATE OR REPLACE FUNCTION "cost_rollups_add_run"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unpriced boolean := NEW."status" = 'succeeded'
    AND EXISTS (SELECT 1 FROM "execution_costs" c WHERE c."execution_id" = NEW."id" AND c."cost_status" = 'unpriced');
BEGIN
  INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id",
    "runs_succeeded", "runs_failed", "runs_cancelled", "succeeded_run_cost_micros", "failed_run_cost_micros",
    "runs_succeeded_unpriced", "succeeded_unpriced_run_cost_micros")
  SELECT NEW."owner_id", 'quarter', k.d, date_bin('15 minutes', coalesce(NEW."finished_at", now()), timestamptz '2000-01-01T00:00:00Z'), k.w,
    (NEW."status" = 'succeeded')::int, (NEW."status" = 'failed')::int, (NEW."status" = 'cancelled')::int,
    CASE WHEN NEW."status" = 'succeeded' THEN NEW."cost_micros" ELSE 0 END,
    CASE WHEN NEW."status" = 'failed' THEN NEW."cost_micros" ELSE 0 END,
    unpriced::int, CASE WHEN unpriced THEN NEW."cost_micros" ELSE 0 END
  FROM (VALUES ('total', NULL::uuid), ('workflow', NEW."workflow_id")) AS k(d, w)
  ORDER BY k.d
  ON CONFLICT ON CONSTRAINT "cost_rollups_key" DO UPDATE SET
    "runs_succeeded" = r."runs_succeeded" + excluded."runs_succeeded",
    "runs_failed" = r."runs_failed" + excluded."runs_failed",
    "runs_cancelled" = r."runs_cancelled" + excluded."runs_cancelled",
    "succeeded_run_cost_micros" = r."succeeded_run_cost_micros" + excluded."succeeded_run_cost_micros",
    "failed_run_cost_micros" = r."failed_run_cost_micros" + excluded."failed_run_cost_micros",
    "runs_succeeded_unpriced" = r."runs_succeeded_unpriced" + excluded."runs_succeeded_unpriced",
    "succeeded_unpriced_run_cost_micros" = r."succeeded_unpriced_run_cost_micros" + excluded."succeeded_unpriced_run_cost_micros";
  RETURN NULL;
END $$;
--> statement-breakpoint
-- The attempts trigger of 0010, plus the case of an unpriced attempt recorded after its run
-- succeeded (imports).
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
  -- A run recorded as succeeded before its attempts (imports): its first unpriced attempt moves it
  -- out of the priced runs, in the bucket it finished in, as if known when it succeeded. Live runs
  -- record attempts while running, so this selects nothing for them.
  IF EXISTS (SELECT 1 FROM "new_costs" WHERE "cost_status" = 'unpriced') THEN
    INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id",
      "runs_succeeded_unpriced", "succeeded_unpriced_run_cost_micros")
    SELECT x."owner_id", 'quarter', k.d, date_bin('15 minutes', x."finished_at", timestamptz '2000-01-01T00:00:00Z'), k.w,
      count(*), coalesce(sum(x."cost_micros"), 0)
    FROM "executions" x
    CROSS JOIN LATERAL (VALUES ('total', NULL::uuid), ('workflow', x."workflow_id")) AS k(d, w)
    WHERE x."id" IN (SELECT "execution_id" FROM "new_costs" WHERE "cost_status" = 'unpriced')
      AND x."status" = 'succeeded' AND x."finished_at" IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM "execution_costs" c WHERE c."execution_id" = x."id" AND c."cost_status" = 'unpriced'
        AND c."id" NOT IN (SELECT "id" FROM "new_costs"))
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ON CONSTRAINT "cost_rollups_key" DO UPDATE SET
      "runs_succeeded_unpriced" = r."runs_succeeded_unpriced" + excluded."runs_succeeded_unpriced",
      "succeeded_unpriced_run_cost_micros" = r."succeeded_unpriced_run_cost_micros" + excluded."succeeded_unpriced_run_cost_micros";
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Backfill: every successful run (finished, so finished_at is set) with an unpriced attempt, in the
-- bucket it finished in, which is what the triggers above record whichever was written first.
INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id",
    "runs_succeeded_unpriced", "succeeded_unpriced_run_cost_micros")
  SELECT x."owner_id", 'quarter', k.d, date_bin('15 minutes', x."finished_at", timestamptz '2000-01-01T00:00:00Z'), k.w,
    count(*), coalesce(sum(x."cost_micros"), 0)
  FROM "executions" x
  CROSS JOIN LATERAL (VALUES ('total', NULL::uuid), ('workflow', x."workflow_id")) AS k(d, w)
  WHERE x."status" = 'succeeded' AND x."finished_at" IS NOT NULL
    AND EXISTS (SELECT 1 FROM "execution_costs" c WHERE c."execution_id" = x."id" AND c."cost_status" = 'unpriced')
  GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT ON CONSTRAINT "cost_rollups_key" DO UPDATE SET
    "runs_succeeded_unpriced" = r."runs_succeeded_unpriced" + excluded."runs_succeeded_unpriced",
    "succeeded_unpriced_run_cost_micros" = r."succeeded_unpriced_run_cost_micros" + excluded."succeeded_unpriced_run_cost_micros";
