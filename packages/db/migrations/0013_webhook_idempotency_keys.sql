CREATE TABLE "webhook_idempotency_keys" (
	"webhook_id" uuid NOT NULL,
	"delivery_key" text NOT NULL,
	"execution_id" uuid NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_idempotency_keys_webhook_id_delivery_key_pk" PRIMARY KEY("webhook_id","delivery_key")
);
--> statement-breakpoint
-- Carry over the message ids of accepted calls still in the log (before its unique index goes), so a
-- retry of a delivery accepted before this migration stays a duplicate. Rows whose run is gone have
-- nothing to answer with and stay behind.
INSERT INTO "webhook_idempotency_keys" ("webhook_id", "delivery_key", "execution_id", "created_at")
SELECT "webhook_id", "message_id", "execution_id", "created_at" FROM "webhook_logs"
WHERE "outcome" = 'accepted' AND "message_id" IS NOT NULL AND "execution_id" IS NOT NULL
ON CONFLICT DO NOTHING;--> statement-breakpoint
DROP INDEX "webhook_logs_message_key";--> statement-breakpoint
ALTER TABLE "webhook_idempotency_keys" ADD CONSTRAINT "webhook_idempotency_keys_webhook_id_workflow_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."workflow_webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_idempotency_keys_created_idx" ON "webhook_idempotency_keys" USING btree ("created_at");