CREATE TABLE "compatible_credentials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"base_url" text NOT NULL,
	"header_names" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"stream" boolean DEFAULT true NOT NULL,
	"secret" text NOT NULL,
	"key_id" text NOT NULL,
	"hint" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "compatible_prices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"credential_id" uuid NOT NULL,
	"model" text NOT NULL,
	"input_per_million_micros" bigint NOT NULL,
	"output_per_million_micros" bigint NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compatible_prices_nonnegative" CHECK ("compatible_prices"."input_per_million_micros" >= 0 and "compatible_prices"."output_per_million_micros" >= 0)
);
--> statement-breakpoint
ALTER TABLE "compatible_credentials" ADD CONSTRAINT "compatible_credentials_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compatible_prices" ADD CONSTRAINT "compatible_prices_credential_id_compatible_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "public"."compatible_credentials"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "compatible_credentials_owner_name_key" ON "compatible_credentials" USING btree ("owner_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "compatible_prices_credential_model_key" ON "compatible_prices" USING btree ("credential_id","model");