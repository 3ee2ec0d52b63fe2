-- UNLOGGED by hand (drizzle-kit has no option for it): watcher rows live for minutes and are renewed
-- every 30 s, so they need no WAL (no write amplification, nothing shipped to replicas). A server crash
-- empties the table; open viewers then register again: the API's run event listener reconnects and
-- every subscription re-registers and re-reads on that resync.
CREATE UNLOGGED TABLE "run_watchers" (
	"execution_id" uuid NOT NULL,
	"watcher_id" uuid NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "run_watchers_execution_id_watcher_id_pk" PRIMARY KEY("execution_id","watcher_id")
);
--> statement-breakpoint
ALTER TABLE "run_watchers" ADD CONSTRAINT "run_watchers_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE cascade ON UPDATE no action;