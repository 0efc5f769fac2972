CREATE TABLE `chats` (
	`chat_key` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`chat_id` text NOT NULL,
	`member` integer NOT NULL,
	`joined_at` integer,
	`left_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `deliveries` (
	`event_id` text NOT NULL,
	`plugin` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`reply_attempted` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`event_id`, `plugin`),
	FOREIGN KEY (`event_id`) REFERENCES `inbox_events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deliveries_status` ON `deliveries` (`status`);--> statement-breakpoint
CREATE TABLE `inbox_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`chat_key` text NOT NULL,
	`type` text NOT NULL,
	`timestamp` integer NOT NULL,
	`received_at` integer NOT NULL,
	`destination` text,
	`body` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`reply_attempted_at` integer,
	`done_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbox_events_id_unique` ON `inbox_events` (`id`);--> statement-breakpoint
CREATE INDEX `inbox_events_open` ON `inbox_events` (`status`,`chat_key`,`timestamp`);--> statement-breakpoint
CREATE INDEX `inbox_events_done` ON `inbox_events` (`done_at`);--> statement-breakpoint
CREATE TABLE `plugin_kv` (
	`plugin` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`expires_at` integer,
	`updated_at` integer DEFAULT (unixepoch() * 1000) NOT NULL,
	PRIMARY KEY(`plugin`, `key`)
);
--> statement-breakpoint
CREATE TABLE `plugin_migrations` (
	`plugin` text NOT NULL,
	`id` text NOT NULL,
	`applied_at` integer NOT NULL,
	PRIMARY KEY(`plugin`, `id`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`display_name` text,
	`picture_url` text,
	`status_message` text,
	`language` text,
	`following` integer,
	`followed_at` integer,
	`unfollowed_at` integer,
	`profile_fetched_at` integer,
	`updated_at` integer NOT NULL
);
