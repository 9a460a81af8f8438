CREATE TABLE "campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"spec" jsonb NOT NULL,
	"seed" integer NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"state_reason" text,
	"owner" text,
	"lease_expires_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"campaign_id" text NOT NULL,
	"seq" integer NOT NULL,
	"v" smallint DEFAULT 1 NOT NULL,
	"type" text NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"payload" jsonb NOT NULL,
	CONSTRAINT "documents_pk" PRIMARY KEY("campaign_id","seq")
);
--> statement-breakpoint
CREATE TABLE "measurements" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"trial_id" text NOT NULL,
	"run_id" text NOT NULL,
	"technique" text NOT NULL,
	"stream" text NOT NULL,
	"array_keys" text[] NOT NULL,
	"array_lengths" integer[] NOT NULL,
	"array_values" double precision[] NOT NULL,
	"conditions" jsonb,
	"features" jsonb NOT NULL,
	"flags" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_snapshots" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"seq" integer NOT NULL,
	"agent" text NOT NULL,
	"n" integer NOT NULL,
	"hyperparameters" jsonb NOT NULL,
	"loo_rmse" double precision,
	"parity" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "observations" (
	"trial_id" text PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"recipe" jsonb NOT NULL,
	"feasible" boolean NOT NULL,
	"objectives" jsonb NOT NULL,
	"noise_variance" jsonb,
	"failure_code" text,
	"quality_flags" text[] NOT NULL,
	"seq" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "operator_actions" (
	"campaign_id" text NOT NULL,
	"seq" integer NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"accepted" boolean NOT NULL,
	"reason" text,
	CONSTRAINT "operator_actions_pk" PRIMARY KEY("campaign_id","seq")
);
--> statement-breakpoint
CREATE TABLE "stations" (
	"campaign_id" text NOT NULL,
	"id" text NOT NULL,
	"state" text NOT NULL,
	"device" text NOT NULL,
	"devices" jsonb NOT NULL,
	"quarantined" boolean DEFAULT false NOT NULL,
	"consecutive_faults" integer DEFAULT 0 NOT NULL,
	"active_run_id" text,
	"message" text,
	"last_heartbeat" timestamp with time zone NOT NULL,
	CONSTRAINT "stations_pk" PRIMARY KEY("campaign_id","id")
);
--> statement-breakpoint
CREATE TABLE "suggestions" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"trial_id" text NOT NULL,
	"proposer" text NOT NULL,
	"recipe" jsonb NOT NULL,
	"rationale" text NOT NULL,
	"acquisition_value" double precision,
	"model_snapshot_id" text,
	"predicted" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trials" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"index" integer NOT NULL,
	"status" text NOT NULL,
	"recipe" jsonb NOT NULL,
	"proposer" text NOT NULL,
	"suggestion_id" text,
	"station" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"failure" jsonb,
	"objectives" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "campaigns_state_lease_idx" ON "campaigns" USING btree ("state","lease_expires_at");--> statement-breakpoint
CREATE INDEX "measurements_trial_idx" ON "measurements" USING btree ("trial_id");--> statement-breakpoint
CREATE INDEX "measurements_campaign_idx" ON "measurements" USING btree ("campaign_id");--> statement-breakpoint
CREATE INDEX "model_snapshots_campaign_seq_idx" ON "model_snapshots" USING btree ("campaign_id","seq");--> statement-breakpoint
CREATE INDEX "observations_campaign_seq_idx" ON "observations" USING btree ("campaign_id","seq");--> statement-breakpoint
CREATE INDEX "suggestions_campaign_idx" ON "suggestions" USING btree ("campaign_id");--> statement-breakpoint
CREATE INDEX "suggestions_trial_idx" ON "suggestions" USING btree ("trial_id");--> statement-breakpoint
CREATE UNIQUE INDEX "trials_campaign_index_uq" ON "trials" USING btree ("campaign_id","index");