ALTER TABLE "execution_steps" ADD COLUMN "event_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "event_seq" integer DEFAULT 0 NOT NULL;