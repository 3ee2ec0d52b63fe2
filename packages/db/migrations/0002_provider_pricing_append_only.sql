-- provider_pricing is append-only: a price change is a new row with a later effective_from, so an
-- attempt priced in the past can always be re-priced to the same amount. Updates are refused here,
-- not only by convention in the application. (Deleting a mistaken row stays possible.)
CREATE FUNCTION "provider_pricing_refuse_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'provider_pricing rows are immutable; insert a new row with a later effective_from'
    USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "provider_pricing_append_only"
  BEFORE UPDATE ON "provider_pricing"
  FOR EACH ROW EXECUTE FUNCTION "provider_pricing_refuse_update"();
