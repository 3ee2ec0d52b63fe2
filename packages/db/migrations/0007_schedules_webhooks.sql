CREATE TABLE "schedule_fires" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"schedule_id" uuid NOT NULL,
	"fire_at" timestamp (3) with time zone NOT NULL,
	"outcome" text NOT NULL,
	"reason" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"webhook_id" uuid NOT NULL,
	"source" text DEFAULT 'http' NOT NULL,
	"message_id" text,
	"outcome" text NOT NULL,
	"status" integer NOT NULL,
	"latency_ms" integer NOT NULL,
	"ip" text,
	"headers" jsonb NOT NULL,
	"body" text,
	"body_truncated" boolean DEFAULT false NOT NULL,
	"error" text,
	"execution_id" uuid,
	"replay_of" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workflow_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"cron" text NOT NULL,
	"timezone" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"input" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version_tag" text,
	"overlap" text DEFAULT 'skip' NOT NULL,
	"missed" text DEFAULT 'latest' NOT NULL,
	"missed_window_seconds" integer DEFAULT 86400 NOT NULL,
	"retry_limit" integer DEFAULT 2 NOT NULL,
	"retry_delay_seconds" integer DEFAULT 60 NOT NULL,
	"next_fire_at" timestamp (3) with time zone,
	"last_fire_at" timestamp (3) with time zone,
	"run_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_schedules_retry_limit" CHECK ("workflow_schedules"."retry_limit" between 0 and 10),
	CONSTRAINT "workflow_schedules_retry_delay" CHECK ("workflow_schedules"."retry_delay_seconds" between 1 and 86400),
	CONSTRAINT "workflow_schedules_missed_window" CHECK ("workflow_schedules"."missed_window_seconds" between 60 and 2678400)
);
--> statement-breakpoint
CREATE TABLE "workflow_webhooks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workflow_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"auth" text NOT NULL,
	"secret" text NOT NULL,
	"secret_key_id" text NOT NULL,
	"previous_secret" text,
	"previous_secret_key_id" text,
	"previous_secret_expires_at" timestamp (3) with time zone,
	"enabled" boolean DEFAULT true NOT NULL,
	"rate_limit_per_hour" integer DEFAULT 100 NOT NULL,
	"ip_allowlist" text[] DEFAULT '{}'::text[] NOT NULL,
	"mapping" text,
	"version_tag" text,
	"trigger_count" integer DEFAULT 0 NOT NULL,
	"last_triggered_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_webhooks_rate_limit" CHECK ("workflow_webhooks"."rate_limit_per_hour" between 1 and 1000000)
);
--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "schedule_fire_id" uuid;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "trigger_attempt" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "schedule_fires" ADD CONSTRAINT "schedule_fires_schedule_id_workflow_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."workflow_schedules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_logs" ADD CONSTRAINT "webhook_logs_webhook_id_workflow_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."workflow_webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_logs" ADD CONSTRAINT "webhook_logs_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_schedules" ADD CONSTRAINT "workflow_schedules_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_schedules" ADD CONSTRAINT "workflow_schedules_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_webhooks" ADD CONSTRAINT "workflow_webhooks_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_webhooks" ADD CONSTRAINT "workflow_webhooks_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "schedule_fires_occurrence_key" ON "schedule_fires" USING btree ("schedule_id","fire_at");--> statement-breakpoint
CREATE INDEX "schedule_fires_queued_idx" ON "schedule_fires" USING btree ("schedule_id","fire_at") WHERE "schedule_fires"."outcome" = 'queued';--> statement-breakpoint
CREATE INDEX "webhook_logs_webhook_created_idx" ON "webhook_logs" USING btree ("webhook_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_logs_message_key" ON "webhook_logs" USING btree ("webhook_id","message_id") WHERE "webhook_logs"."outcome" = 'accepted' and "webhook_logs"."message_id" is not null;--> statement-breakpoint
CREATE INDEX "workflow_schedules_workflow_idx" ON "workflow_schedules" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "workflow_schedules_due_idx" ON "workflow_schedules" USING btree ("next_fire_at") WHERE "workflow_schedules"."enabled";--> statement-breakpoint
CREATE INDEX "workflow_webhooks_workflow_idx" ON "workflow_webhooks" USING btree ("workflow_id");--> statement-breakpoint
ALTER TABLE "executions" ADD CONSTRAINT "executions_schedule_fire_id_schedule_fires_id_fk" FOREIGN KEY ("schedule_fire_id") REFERENCES "public"."schedule_fires"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "executions_schedule_fire_attempt_key" ON "executions" USING btree ("schedule_fire_id","trigger_attempt") WHERE "executions"."schedule_fire_id" is not null;