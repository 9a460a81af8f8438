ALTER TABLE "measurements" ALTER COLUMN "array_values" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "measurements" ADD COLUMN "array_data" "bytea";