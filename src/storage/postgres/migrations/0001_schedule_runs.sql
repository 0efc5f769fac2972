ALTER TABLE "schedules" ADD COLUMN "every_ms" bigint;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "run_at" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "declared" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "deferred" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "schedules_owner" ON "schedules" USING btree ("owner") WHERE "schedules"."status" = 'running';