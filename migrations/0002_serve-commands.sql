CREATE TABLE "console_commands" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"command" jsonb NOT NULL,
	"actor" text NOT NULL,
	"refusal" text,
	"state" text DEFAULT 'pending' NOT NULL,
	"reason" text,
	"detail" text,
	"claimed_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"claimed_at" timestamp with time zone,
	"handled_at" timestamp with time zone,
	CONSTRAINT "console_commands_state_ck" CHECK (state in ('pending', 'claimed', 'accepted', 'refused', 'expired'))
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "pending_decisions" jsonb;--> statement-breakpoint
CREATE INDEX "console_commands_pending_idx" ON "console_commands" USING btree ("campaign_id","created_at") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "console_commands_campaign_idx" ON "console_commands" USING btree ("campaign_id","created_at");