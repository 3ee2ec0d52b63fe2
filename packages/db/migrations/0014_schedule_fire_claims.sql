-- Bounded schedule firings: claims of an occurrence are counted (and committed) before its firing
-- starts, so one whose firing keeps killing its runner is recorded as failed after RUNNER_MAX_RUN_CLAIMS
-- tries instead of being retried forever (see fireDueSchedules).
ALTER TABLE "workflow_schedules" ADD COLUMN "fire_claims" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_schedules" ADD COLUMN "fire_claim_for" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "workflow_schedules" ADD COLUMN "fire_claimed_at" timestamp (3) with time zone;