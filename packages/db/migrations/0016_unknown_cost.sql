ALTER TABLE "execution_steps" ALTER COLUMN "cost_micros" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ALTER COLUMN "cost_micros" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_rollups" ADD COLUMN "failed_no_usage_attempts" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "execution_steps" ADD COLUMN "known_cost_micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "execution_steps" ADD COLUMN "unknown_cost_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "known_cost_micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "unknown_cost_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- An attempt's cost is unknown when it had no price (`unpriced`) or when it was answered without
-- usage (`no_usage` and no error: tokens were billed, nobody told us how many). A failed call that
-- reported no usage cost nothing we know of. Runs and steps keep the known part
-- (`known_cost_micros`) and how many attempts are unknown; `cost_micros` is null when any is.
UPDATE "execution_steps" s SET "known_cost_micros" = coalesce(s."cost_micros", 0),
  "unknown_cost_attempts" = (SELECT count(*) FROM "execution_costs" c WHERE c."step_id" = s."id"
    AND (c."cost_status" = 'unpriced' OR (c."cost_status" = 'no_usage' AND c."error_class" IS NULL)));
--> statement-breakpoint
UPDATE "execution_steps" SET "cost_micros" = NULL WHERE "unknown_cost_attempts" > 0;
--> statement-breakpoint
UPDATE "executions" x SET "known_cost_micros" = coalesce(x."cost_micros", 0),
  "unknown_cost_attempts" = (SELECT count(*) FROM "execution_costs" c WHERE c."execution_id" = x."id"
    AND (c."cost_status" = 'unpriced' OR (c."cost_status" = 'no_usage' AND c."error_class" IS NULL)));
--> statement-breakpoint
UPDATE "executions" SET "cost_micros" = NULL WHERE "unknown_cost_attempts" > 0;
--> statement-breakpoint
-- A run's outcome: its known cost, and "unknown cost" (left out of cost per successful run) now
-- also for an answer without usage. `coalesce` keeps writers that set only cost_micros (imports,
-- older scripts) right.
CREATE OR REPLACE FUNCTION "cost_rollups_add_run"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  known bigint := coalesce(NEW."cost_micros", NEW."known_cost_micros");
  unknown boolean := NEW."status" = 'succeeded' AND (NEW."unknown_cost_attempts" > 0
    OR EXISTS (SELECT 1 FROM "execution_costs" c WHERE c."execution_id" = NEW."id"
      AND (c."cost_status" = 'unpriced' OR (c."cost_status" = 'no_usage' AND c."error_class" IS NULL))));
BEGIN
  INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id",
    "runs_succeeded", "runs_failed", "runs_cancelled", "succeeded_run_cost_micros", "failed_run_cost_micros",
    "runs_succeeded_unpriced", "succeeded_unpriced_run_cost_micros")
  SELECT NEW."owner_id", 'quarter', k.d, date_bin('15 minutes', coalesce(NEW."finished_at", now()), timestamptz '2000-01-01T00:00:00Z'), k.w,
    (NEW."status" = 'succeeded')::int, (NEW."status" = 'failed')::int, (NEW."status" = 'cancelled')::int,
    CASE WHEN NEW."status" = 'succeeded' THEN known ELSE 0 END,
    CASE WHEN NEW."status" = 'failed' THEN known ELSE 0 END,
    unknown::int, CASE WHEN unknown THEN known ELSE 0 END
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
-- The attempts trigger of 0011: `no_usage_attempts` counts answers without usage only, failed
-- calls without usage go to `failed_no_usage_attempts`; an answer without usage recorded after its
-- run succeeded (imports) moves the run out of the priced ones, as an unpriced attempt does.
CREATE OR REPLACE FUNCTION "cost_rollups_add_attempts"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id", "version_id", "provider", "model", "agent_role",
    "attempts", "priced_attempts", "unpriced_attempts", "no_usage_attempts", "failed_no_usage_attempts", "cost_micros", "input_tokens", "cache_read_tokens",
    "cache_write_tokens", "output_tokens", "reasoning_tokens", "failed_attempts", "failed_attempt_cost_micros", "fallback_attempts", "retry_attempts")
  SELECT n."owner_id", k.g, k.d, k.b, k.w, k.v, k.p, k.m, k.ro,
    count(*), count(*) FILTER (WHERE n."cost_status" = 'priced'), count(*) FILTER (WHERE n."cost_status" = 'unpriced'),
    count(*) FILTER (WHERE n."cost_status" = 'no_usage' AND n."error_class" IS NULL),
    count(*) FILTER (WHERE n."cost_status" = 'no_usage' AND n."error_class" IS NOT NULL), coalesce(sum(n."cost_micros"), 0),
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
    "failed_no_usage_attempts" = r."failed_no_usage_attempts" + excluded."failed_no_usage_attempts",
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
  IF EXISTS (SELECT 1 FROM "new_costs" WHERE "cost_status" = 'unpriced' OR ("cost_status" = 'no_usage' AND "error_class" IS NULL)) THEN
    INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id",
      "runs_succeeded_unpriced", "succeeded_unpriced_run_cost_micros")
    SELECT x."owner_id", 'quarter', k.d, date_bin('15 minutes', x."finished_at", timestamptz '2000-01-01T00:00:00Z'), k.w,
      count(*), coalesce(sum(coalesce(x."cost_micros", x."known_cost_micros")), 0)
    FROM "executions" x
    CROSS JOIN LATERAL (VALUES ('total', NULL::uuid), ('workflow', x."workflow_id")) AS k(d, w)
    WHERE x."id" IN (SELECT "execution_id" FROM "new_costs" WHERE "cost_status" = 'unpriced' OR ("cost_status" = 'no_usage' AND "error_class" IS NULL))
      AND x."status" = 'succeeded' AND x."finished_at" IS NOT NULL AND x."unknown_cost_attempts" = 0
      AND NOT EXISTS (SELECT 1 FROM "execution_costs" c WHERE c."execution_id" = x."id"
        AND (c."cost_status" = 'unpriced' OR (c."cost_status" = 'no_usage' AND c."error_class" IS NULL))
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
-- Backfill: failed calls without usage move from `no_usage_attempts` to `failed_no_usage_attempts`,
-- in every row the trigger counted them in.
INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id", "version_id", "provider", "model", "agent_role",
    "failed_no_usage_attempts")
  SELECT n."owner_id", k.g, k.d, k.b, k.w, k.v, k.p, k.m, k.ro, count(*)
  FROM "execution_costs" n
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
  WHERE n."cost_status" = 'no_usage' AND n."error_class" IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ON CONFLICT ON CONSTRAINT "cost_rollups_key" DO UPDATE SET
    "no_usage_attempts" = greatest(0, r."no_usage_attempts" - excluded."failed_no_usage_attempts"),
    "failed_no_usage_attempts" = r."failed_no_usage_attempts" + excluded."failed_no_usage_attempts";
--> statement-breakpoint
-- Backfill: successful runs with an answer without usage but no unpriced attempt were counted as
-- priced; count them with the unknown-cost runs, in the bucket they finished in.
INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id",
    "runs_succeeded_unpriced", "succeeded_unpriced_run_cost_micros")
  SELECT x."owner_id", 'quarter', k.d, date_bin('15 minutes', x."finished_at", timestamptz '2000-01-01T00:00:00Z'), k.w,
    count(*), coalesce(sum(x."known_cost_micros"), 0)
  FROM "executions" x
  CROSS JOIN LATERAL (VALUES ('total', NULL::uuid), ('workflow', x."workflow_id")) AS k(d, w)
  WHERE x."status" = 'succeeded' AND x."finished_at" IS NOT NULL
    AND EXISTS (SELECT 1 FROM "execution_costs" c WHERE c."execution_id" = x."id" AND c."cost_status" = 'no_usage' AND c."error_class" IS NULL)
    AND NOT EXISTS (SELECT 1 FROM "execution_costs" c WHERE c."execution_id" = x."id" AND c."cost_status" = 'unpriced')
  GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT ON CONSTRAINT "cost_rollups_key" DO UPDATE SET
    "runs_succeeded_unpriced" = r."runs_succeeded_unpriced" + excluded."runs_succeeded_unpriced",
    "succeeded_unpriced_run_cost_micros" = r."succeeded_unpriced_run_cost_micros" + excluded."succeeded_unpriced_run_cost_micros";
