-- Documents are the append-only record of truth: refuse UPDATE and DELETE of single rows.
-- (TRUNCATE, a deliberate wipe of the whole table, is not a row operation and stays possible.)
CREATE OR REPLACE FUNCTION labloop_documents_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'documents are append-only: % refused (campaign %, seq %)', TG_OP, OLD.campaign_id, OLD.seq
    USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER documents_append_only
  BEFORE UPDATE OR DELETE ON "documents"
  FOR EACH ROW EXECUTE FUNCTION labloop_documents_append_only();
