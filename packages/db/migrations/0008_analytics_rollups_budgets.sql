CREATE TABLE "budget_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"budget_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"period" text NOT NULL,
	"threshold" integer NOT NULL,
	"spent_micros" bigint NOT NULL,
	"limit_micros" bigint NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"workflow_id" uuid,
	"monthly_limit_micros" bigint NOT NULL,
	"alert_at" integer[] DEFAULT '{50,80,100}'::integer[] NOT NULL,
	"block_when_exceeded" boolean DEFAULT false NOT NULL,
	"period" text NOT NULL,
	"spent_micros" bigint DEFAULT 0 NOT NULL,
	"reserved_micros" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budgets_owner_scope_key" UNIQUE NULLS NOT DISTINCT("owner_id","workflow_id"),
	CONSTRAINT "budgets_limit_positive" CHECK ("budgets"."monthly_limit_micros" > 0),
	CONSTRAINT "budgets_amounts_non_negative" CHECK ("budgets"."spent_micros" >= 0 and "budgets"."reserved_micros" >= 0)
);
--> statement-breakpoint
CREATE TABLE "cost_rollups" (
	"owner_id" uuid NOT NULL,
	"grain" text NOT NULL,
	"dimension" text NOT NULL,
	"bucket_start" timestamp (3) with time zone NOT NULL,
	"workflow_id" uuid,
	"version_id" uuid,
	"provider" text,
	"model" text,
	"agent_role" text,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"priced_attempts" bigint DEFAULT 0 NOT NULL,
	"unpriced_attempts" bigint DEFAULT 0 NOT NULL,
	"no_usage_attempts" bigint DEFAULT 0 NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"reasoning_tokens" bigint DEFAULT 0 NOT NULL,
	"failed_attempts" bigint DEFAULT 0 NOT NULL,
	"failed_attempt_cost_micros" bigint DEFAULT 0 NOT NULL,
	"fallback_attempts" bigint DEFAULT 0 NOT NULL,
	"retry_attempts" bigint DEFAULT 0 NOT NULL,
	"runs_succeeded" bigint DEFAULT 0 NOT NULL,
	"runs_failed" bigint DEFAULT 0 NOT NULL,
	"runs_cancelled" bigint DEFAULT 0 NOT NULL,
	"succeeded_run_cost_micros" bigint DEFAULT 0 NOT NULL,
	"failed_run_cost_micros" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "cost_rollups_key" UNIQUE NULLS NOT DISTINCT("owner_id","grain","dimension","bucket_start","workflow_id","version_id","provider","model","agent_role")
);
--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD CONSTRAINT "budget_alerts_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD CONSTRAINT "budget_alerts_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cost_rollups" ADD CONSTRAINT "cost_rollups_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "budget_alerts_once_key" ON "budget_alerts" USING btree ("budget_id","period","threshold");--> statement-breakpoint
CREATE INDEX "budget_alerts_owner_created_idx" ON "budget_alerts" USING btree ("owner_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "cost_rollups_workflow_idx" ON "cost_rollups" USING btree ("workflow_id","grain","dimension","bucket_start");--> statement-breakpoint
-- cost_rollups is maintained here, by triggers, in the same transaction as the ledger rows and run
-- status changes (see src/schema/analytics.ts for the grains and why). Every statement upserts its
-- rollup rows in key order, so concurrent writers lock them in the same order and cannot deadlock.
CREATE FUNCTION "cost_rollups_add_attempts"() RETURNS trigger LANGUAGE plpgsql AS $$
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
    ('day', 'version', date_trunc('day', n."started_at", 'UTC'), n."workflow_id", e."version_id", NULL, NULL, NULL),
    ('day', 'model', date_trunc('day', n."started_at", 'UTC'), n."workflow_id", NULL, n."served_provider", n."served_model", NULL),
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
CREATE TRIGGER "execution_costs_rollup" AFTER INSERT ON "execution_costs" REFERENCING NEW TABLE AS "new_costs"
  FOR EACH STATEMENT EXECUTE FUNCTION "cost_rollups_add_attempts"();
--> statement-breakpoint
-- A run's outcome counts once, when it first reaches a final status (or is inserted finished, as
-- imports do), in the 15-minute bucket it finished in.
CREATE FUNCTION "cost_rollups_add_run"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id",
    "runs_succeeded", "runs_failed", "runs_cancelled", "succeeded_run_cost_micros", "failed_run_cost_micros")
  SELECT NEW."owner_id", 'quarter', k.d, date_bin('15 minutes', coalesce(NEW."finished_at", now()), timestamptz '2000-01-01T00:00:00Z'), k.w,
    (NEW."status" = 'succeeded')::int, (NEW."status" = 'failed')::int, (NEW."status" = 'cancelled')::int,
    CASE WHEN NEW."status" = 'succeeded' THEN NEW."cost_micros" ELSE 0 END,
    CASE WHEN NEW."status" = 'failed' THEN NEW."cost_micros" ELSE 0 END
  FROM (VALUES ('total', NULL::uuid), ('workflow', NEW."workflow_id")) AS k(d, w)
  ORDER BY k.d
  ON CONFLICT ON CONSTRAINT "cost_rollups_key" DO UPDATE SET
    "runs_succeeded" = r."runs_succeeded" + excluded."runs_succeeded",
    "runs_failed" = r."runs_failed" + excluded."runs_failed",
    "runs_cancelled" = r."runs_cancelled" + excluded."runs_cancelled",
    "succeeded_run_cost_micros" = r."succeeded_run_cost_micros" + excluded."succeeded_run_cost_micros",
    "failed_run_cost_micros" = r."failed_run_cost_micros" + excluded."failed_run_cost_micros";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "executions_rollup_finished" AFTER UPDATE OF "status" ON "executions" FOR EACH ROW
  WHEN (NEW."status" IN ('succeeded', 'failed', 'cancelled') AND OLD."status" NOT IN ('succeeded', 'failed', 'cancelled'))
  EXECUTE FUNCTION "cost_rollups_add_run"();
--> statement-breakpoint
CREATE TRIGGER "executions_rollup_inserted_finished" AFTER INSERT ON "executions" FOR EACH ROW
  WHEN (NEW."status" IN ('succeeded', 'failed', 'cancelled'))
  EXECUTE FUNCTION "cost_rollups_add_run"();
--> statement-breakpoint
-- Backfill from what is already recorded, with the same statement shapes as the triggers.
INSERT INTO "cost_rollups" ("owner_id", "grain", "dimension", "bucket_start", "workflow_id", "version_id", "provider", "model", "agent_role",
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
    ('quarter', 'total', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), NULL::uuid, NULL::uuid, NULL::text, NULL::text, NULL::text),
    ('quarter', 'workflow', date_bin('15 minutes', n."started_at", timestamptz '2000-01-01T00:00:00Z'), n."workflow_id", NULL, NULL, NULL, NULL),
    ('day', 'version', date_trunc('day', n."started_at", 'UTC'), n."workflow_id", e."version_id", NULL, NULL, NULL),
    ('day', 'model', date_trunc('day', n."started_at", 'UTC'), n."workflow_id", NULL, n."served_provider", n."served_model", NULL),
    ('day', 'role', date_trunc('day', n."started_at", 'UTC'), n."workflow_id", NULL, NULL, NULL, n."agent_role")
  ) AS k(g, d, b, w, v, p, m, ro)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
--> statement-breakpoint
INSERT INTO "cost_rollups" AS r ("owner_id", "grain", "dimension", "bucket_start", "workflow_id",
    "runs_succeeded", "runs_failed", "runs_cancelled", "succeeded_run_cost_micros", "failed_run_cost_micros")
  SELECT x."owner_id", 'quarter', k.d, date_bin('15 minutes', x."finished_at", timestamptz '2000-01-01T00:00:00Z'), k.w,
    count(*) FILTER (WHERE x."status" = 'succeeded'), count(*) FILTER (WHERE x."status" = 'failed'),
    count(*) FILTER (WHERE x."status" = 'cancelled'),
    coalesce(sum(x."cost_micros") FILTER (WHERE x."status" = 'succeeded'), 0),
    coalesce(sum(x."cost_micros") FILTER (WHERE x."status" = 'failed'), 0)
  FROM "executions" x
  CROSS JOIN LATERAL (VALUES ('total', NULL::uuid), ('workflow', x."workflow_id")) AS k(d, w)
  WHERE x."status" IN ('succeeded', 'failed', 'cancelled') AND x."finished_at" IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT ON CONSTRAINT "cost_rollups_key" DO UPDATE SET
    "runs_succeeded" = r."runs_succeeded" + excluded."runs_succeeded",
    "runs_failed" = r."runs_failed" + excluded."runs_failed",
    "runs_cancelled" = r."runs_cancelled" + excluded."runs_cancelled",
    "succeeded_run_cost_micros" = r."succeeded_run_cost_micros" + excluded."succeeded_run_cost_micros",
    "failed_run_cost_micros" = r."failed_run_cost_micros" + excluded."failed_run_cost_micros";
