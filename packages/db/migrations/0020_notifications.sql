CREATE TABLE "notification_channels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"secret" text,
	"secret_key_id" text,
	"digest_minutes" integer DEFAULT 60 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_channels_digest_minutes" CHECK ("notification_channels"."digest_minutes" between 0 and 1440)
);
--> statement-breakpoint
CREATE TABLE "notification_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"channel_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"event_id" uuid,
	"event_kind" text,
	"workflow_id" uuid,
	"execution_id" uuid,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"digest_key" text,
	"digest_count" integer DEFAULT 0 NOT NULL,
	"send_after" timestamp (3) with time zone,
	"sent_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"workflow_id" uuid,
	"execution_id" uuid,
	"payload" jsonb NOT NULL,
	"fanned_out_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"channel_id" uuid NOT NULL,
	"workflow_id" uuid,
	"events" text[] NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_subscriptions_scope_key" UNIQUE NULLS NOT DISTINCT("channel_id","workflow_id")
);
--> statement-breakpoint
ALTER TABLE "notification_channels" ADD CONSTRAINT "notification_channels_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_channel_id_notification_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."notification_channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_event_id_notification_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."notification_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_events" ADD CONSTRAINT "notification_events_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_events" ADD CONSTRAINT "notification_events_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_events" ADD CONSTRAINT "notification_events_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_subscriptions" ADD CONSTRAINT "notification_subscriptions_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_subscriptions" ADD CONSTRAINT "notification_subscriptions_channel_id_notification_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."notification_channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_subscriptions" ADD CONSTRAINT "notification_subscriptions_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notification_channels_owner_idx" ON "notification_channels" USING btree ("owner_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "notification_deliveries_event_channel_key" ON "notification_deliveries" USING btree ("event_id","channel_id");--> statement-breakpoint
CREATE UNIQUE INDEX "notification_deliveries_digest_key" ON "notification_deliveries" USING btree ("digest_key");--> statement-breakpoint
CREATE INDEX "notification_deliveries_owner_idx" ON "notification_deliveries" USING btree ("owner_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "notification_deliveries_window_idx" ON "notification_deliveries" USING btree ("channel_id","workflow_id","event_kind","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "notification_deliveries_execution_idx" ON "notification_deliveries" USING btree ("execution_id");--> statement-breakpoint
CREATE UNIQUE INDEX "notification_events_dedupe_key" ON "notification_events" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "notification_events_pending_idx" ON "notification_events" USING btree ("created_at") WHERE "notification_events"."fanned_out_at" is null;--> statement-breakpoint
CREATE INDEX "notification_events_execution_idx" ON "notification_events" USING btree ("execution_id");--> statement-breakpoint
CREATE INDEX "notification_subscriptions_owner_idx" ON "notification_subscriptions" USING btree ("owner_id","workflow_id");--> statement-breakpoint
-- Hand-written from here: events the database itself sees. Budget alerts, schedule fires and
-- breaker transitions are written by many code paths (cost recording, the scheduler, every
-- runner's provider calls); a trigger records the notification event in the same transaction as
-- the row, exactly once (the dedupe key), and only for owners who subscribed to that kind. The
-- runners' once-a-minute sweep (job `notificationSweep`) fans them out.
CREATE FUNCTION "notification_events_from_budget_alert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "notification_events" ("owner_id", "kind", "dedupe_key", "workflow_id", "payload")
  SELECT NEW."owner_id", 'budget_threshold', 'budget_alert:' || NEW."id", b."workflow_id",
    jsonb_build_object('budgetId', b."id", 'period', NEW."period", 'threshold', NEW."threshold",
      'spentMicros', NEW."spent_micros", 'limitMicros', NEW."limit_micros")
  FROM "budgets" b
  WHERE b."id" = NEW."budget_id"
    AND EXISTS (SELECT 1 FROM "notification_subscriptions" s
                WHERE s."owner_id" = NEW."owner_id" AND 'budget_threshold' = ANY(s."events"))
  ON CONFLICT ("dedupe_key") DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "budget_alerts_notify" AFTER INSERT ON "budget_alerts"
  FOR EACH ROW EXECUTE FUNCTION "notification_events_from_budget_alert"();
--> statement-breakpoint
-- A fire is written `missed` or `failed` directly, or updated to `failed` later (a claim that never
-- committed, a scheduled run's retries used up): both count, once per fire and outcome.
CREATE FUNCTION "notification_events_from_schedule_fire"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "notification_events" ("owner_id", "kind", "dedupe_key", "workflow_id", "payload")
  SELECT w."owner_id", 'schedule_failed', 'schedule_fire:' || NEW."id" || ':' || NEW."outcome", w."id",
    jsonb_build_object('scheduleId', sch."id", 'cron', sch."cron", 'fireAt', NEW."fire_at",
      'outcome', NEW."outcome", 'reason', NEW."reason")
  FROM "workflow_schedules" sch JOIN "workflows" w ON w."id" = sch."workflow_id"
  WHERE sch."id" = NEW."schedule_id"
    AND EXISTS (SELECT 1 FROM "notification_subscriptions" s
                WHERE s."owner_id" = w."owner_id" AND 'schedule_failed' = ANY(s."events"))
  ON CONFLICT ("dedupe_key") DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "schedule_fires_notify_insert" AFTER INSERT ON "schedule_fires"
  FOR EACH ROW WHEN (NEW."outcome" IN ('missed', 'failed'))
  EXECUTE FUNCTION "notification_events_from_schedule_fire"();
--> statement-breakpoint
CREATE TRIGGER "schedule_fires_notify_update" AFTER UPDATE OF "outcome" ON "schedule_fires"
  FOR EACH ROW WHEN (NEW."outcome" IN ('missed', 'failed') AND OLD."outcome" IS DISTINCT FROM NEW."outcome")
  EXECUTE FUNCTION "notification_events_from_schedule_fire"();
--> statement-breakpoint
-- A circuit opening concerns every subscribed owner with an agent node that calls that model, as
-- its own model or a fallback. Circuits open rarely, so the scan of definitions is affordable; the
-- breaker's version (bumped by every transition) keeps each opening one event per owner.
CREATE FUNCTION "notification_events_from_breaker"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "notification_events" ("owner_id", "kind", "dedupe_key", "payload")
  SELECT s."owner_id", 'circuit_opened',
    'circuit:' || NEW."provider" || '/' || NEW."model" || ':' || NEW."version" || ':' || s."owner_id",
    jsonb_build_object('provider', NEW."provider", 'model', NEW."model", 'openedAt', NEW."opened_at")
  FROM (SELECT DISTINCT "owner_id" FROM "notification_subscriptions"
        WHERE 'circuit_opened' = ANY("events")) s
  WHERE EXISTS (
    SELECT 1 FROM "workflows" w, jsonb_array_elements(w."definition"->'nodes') n
    WHERE w."owner_id" = s."owner_id" AND n->>'type' = 'agent'
      AND ((n->'config'->>'provider' = NEW."provider" AND n->'config'->>'model' = NEW."model")
        OR EXISTS (
          SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(n->'config'->'fallback') = 'array'
                                                  THEN n->'config'->'fallback' ELSE '[]'::jsonb END) f
          WHERE f->>'provider' = NEW."provider" AND f->>'model' = NEW."model")))
  ON CONFLICT ("dedupe_key") DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "provider_breakers_notify_insert" AFTER INSERT ON "provider_breakers"
  FOR EACH ROW WHEN (NEW."state" = 'open')
  EXECUTE FUNCTION "notification_events_from_breaker"();
--> statement-breakpoint
CREATE TRIGGER "provider_breakers_notify_update" AFTER UPDATE OF "state" ON "provider_breakers"
  FOR EACH ROW WHEN (NEW."state" = 'open' AND OLD."state" IS DISTINCT FROM 'open')
  EXECUTE FUNCTION "notification_events_from_breaker"();
