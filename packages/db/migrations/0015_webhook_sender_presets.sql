ALTER TABLE "webhook_logs" ADD COLUMN "event" text;--> statement-breakpoint
ALTER TABLE "workflow_webhooks" ADD COLUMN "event_filter" text[] DEFAULT '{}'::text[] NOT NULL;