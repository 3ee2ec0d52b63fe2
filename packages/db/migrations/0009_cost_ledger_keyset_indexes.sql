-- Keyset paging of the attempt ledger for the CSV export (`order by started_at, id` after the last
-- row sent): with `id` in the index the scan is already in that order, so each batch reads only its
-- own rows instead of sorting everything after the bound (which made a large export quadratic).
-- Written by hand (not in the drizzle schema: execution_costs is declared in schema/executions.ts);
-- drizzle-kit does not drop indexes it does not know about.
CREATE INDEX IF NOT EXISTS "execution_costs_owner_started_id_idx" ON "execution_costs" USING btree ("owner_id", "started_at", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "execution_costs_workflow_started_id_idx" ON "execution_costs" USING btree ("workflow_id", "started_at", "id");
