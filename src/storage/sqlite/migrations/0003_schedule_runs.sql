ALTER TABLE `schedules` ADD `every_ms` integer;--> statement-breakpoint
ALTER TABLE `schedules` ADD `run_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `schedules` ADD `revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `schedules` ADD `declared` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `schedules` ADD `deferred` integer DEFAULT false NOT NULL;