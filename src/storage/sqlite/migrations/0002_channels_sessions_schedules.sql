CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`channel` text DEFAULT 'default' NOT NULL,
	`plugin` text NOT NULL,
	`name` text NOT NULL,
	`cron` text,
	`time_zone` text,
	`payload` text,
	`next_run_at` integer NOT NULL,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`owner` text,
	`lease_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `schedules_due` ON `schedules` (`status`,`next_run_at`);--> statement-breakpoint
CREATE INDEX `schedules_plugin` ON `schedules` (`plugin`,`name`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`channel` text DEFAULT 'default' NOT NULL,
	`plugin` text NOT NULL,
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`expires_at` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `plugin`, `scope`, `key`)
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_chats` (
	`channel` text DEFAULT 'default' NOT NULL,
	`chat_key` text NOT NULL,
	`type` text NOT NULL,
	`chat_id` text NOT NULL,
	`member` integer NOT NULL,
	`joined_at` integer,
	`left_at` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `chat_key`)
);
--> statement-breakpoint
INSERT INTO `__new_chats`("channel", "chat_key", "type", "chat_id", "member", "joined_at", "left_at", "updated_at") SELECT 'default', "chat_key", "type", "chat_id", "member", "joined_at", "left_at", "updated_at" FROM `chats`;--> statement-breakpoint
DROP TABLE `chats`;--> statement-breakpoint
ALTER TABLE `__new_chats` RENAME TO `chats`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE TABLE `__new_users` (
	`channel` text DEFAULT 'default' NOT NULL,
	`user_id` text NOT NULL,
	`display_name` text,
	`picture_url` text,
	`status_message` text,
	`language` text,
	`following` integer,
	`followed_at` integer,
	`unfollowed_at` integer,
	`profile_fetched_at` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `user_id`)
);
--> statement-breakpoint
INSERT INTO `__new_users`("channel", "user_id", "display_name", "picture_url", "status_message", "language", "following", "followed_at", "unfollowed_at", "profile_fetched_at", "updated_at") SELECT 'default', "user_id", "display_name", "picture_url", "status_message", "language", "following", "followed_at", "unfollowed_at", "profile_fetched_at", "updated_at" FROM `users`;--> statement-breakpoint
DROP TABLE `users`;--> statement-breakpoint
ALTER TABLE `__new_users` RENAME TO `users`;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `channel` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `sent` text;--> statement-breakpoint
ALTER TABLE `inbox_events` ADD `channel` text DEFAULT 'default' NOT NULL;