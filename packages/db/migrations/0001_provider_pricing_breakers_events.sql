CREATE TABLE "model_aliases" (
	"provider" text NOT NULL,
	"alias" text NOT NULL,
	"model" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_aliases_provider_alias_pk" PRIMARY KEY("provider","alias"),
	CONSTRAINT "model_aliases_not_self" CHECK ("model_aliases"."alias" <> "model_aliases"."model")
);
--> statement-breakpoint
CREATE TABLE "model_map" (
	"from_provider" text NOT NULL,
	"from_model" text NOT NULL,
	"position" integer NOT NULL,
	"to_provider" text NOT NULL,
	"to_model" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_map_from_provider_from_model_position_pk" PRIMARY KEY("from_provider","from_model","position"),
	CONSTRAINT "model_map_position_nonnegative" CHECK ("model_map"."position" >= 0),
	CONSTRAINT "model_map_not_self" CHECK (("model_map"."from_provider", "model_map"."from_model") <> ("model_map"."to_provider", "model_map"."to_model"))
);
--> statement-breakpoint
CREATE TABLE "provider_breakers" (
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"state" text DEFAULT 'closed' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"opened_at" timestamp (3) with time zone,
	"probe_claimed_at" timestamp (3) with time zone,
	"count_from_bucket" timestamp (3) with time zone,
	"baseline_failures" integer DEFAULT 0 NOT NULL,
	"baseline_successes" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "provider_breakers_provider_model_pk" PRIMARY KEY("provider","model"),
	CONSTRAINT "provider_breakers_state_valid" CHECK ("provider_breakers"."state" in ('closed', 'open', 'half_open')),
	CONSTRAINT "provider_breakers_open_has_time" CHECK ("provider_breakers"."state" = 'closed' or "provider_breakers"."opened_at" is not null)
);
--> statement-breakpoint
CREATE TABLE "provider_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "provider_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"error_class" text,
	"execution_id" uuid,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "provider_events_kind_valid" CHECK ("provider_events"."kind" in ('fallback', 'breaker'))
);
--> statement-breakpoint
CREATE TABLE "provider_health_buckets" (
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"bucket_start" timestamp (3) with time zone NOT NULL,
	"successes" integer DEFAULT 0 NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"latency_ms_sum" bigint DEFAULT 0 NOT NULL,
	"latency_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "provider_health_buckets_provider_model_bucket_start_pk" PRIMARY KEY("provider","model","bucket_start"),
	CONSTRAINT "provider_health_buckets_counts_nonnegative" CHECK ("provider_health_buckets"."successes" >= 0 and "provider_health_buckets"."failures" >= 0 and "provider_health_buckets"."latency_ms_sum" >= 0 and "provider_health_buckets"."latency_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "provider_pricing" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"effective_from" timestamp (3) with time zone NOT NULL,
	"input_per_million_micros" bigint NOT NULL,
	"output_per_million_micros" bigint NOT NULL,
	"cached_input_per_million_micros" bigint,
	"cache_write_per_million_micros" bigint,
	"reasoning_per_million_micros" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "provider_pricing_input_nonnegative" CHECK ("provider_pricing"."input_per_million_micros" >= 0),
	CONSTRAINT "provider_pricing_output_nonnegative" CHECK ("provider_pricing"."output_per_million_micros" >= 0),
	CONSTRAINT "provider_pricing_cached_input_nonnegative" CHECK ("provider_pricing"."cached_input_per_million_micros" >= 0),
	CONSTRAINT "provider_pricing_cache_write_nonnegative" CHECK ("provider_pricing"."cache_write_per_million_micros" >= 0),
	CONSTRAINT "provider_pricing_reasoning_nonnegative" CHECK ("provider_pricing"."reasoning_per_million_micros" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "model_map_from_to_key" ON "model_map" USING btree ("from_provider","from_model","to_provider","to_model");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_events_seq_key" ON "provider_events" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "provider_events_occurred_at_idx" ON "provider_events" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "provider_events_execution_id_idx" ON "provider_events" USING btree ("execution_id","seq") WHERE "provider_events"."execution_id" is not null;--> statement-breakpoint
CREATE INDEX "provider_health_buckets_bucket_start_idx" ON "provider_health_buckets" USING btree ("bucket_start");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_pricing_provider_model_effective_key" ON "provider_pricing" USING btree ("provider","model","effective_from");