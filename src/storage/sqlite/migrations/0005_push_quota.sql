CREATE TABLE `held_replies` (
	`event_id` text NOT NULL,
	`plugin` text NOT NULL,
	`offset` integer NOT NULL,
	`messages` text NOT NULL,
	`held_at` integer NOT NULL,
	PRIMARY KEY(`event_id`, `plugin`, `offset`),
	FOREIGN KEY (`event_id`) REFERENCES `inbox_events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `push_pauses` (
	`channel` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`paused_at` integer NOT NULL,
	`until` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sent_messages` (
	`channel` text NOT NULL,
	`month` text NOT NULL,
	`plugin` text NOT NULL,
	`kind` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `month`, `plugin`, `kind`)
);
