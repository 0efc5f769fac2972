CREATE TABLE `rich_menu_links` (
	`channel` text DEFAULT 'default' NOT NULL,
	`user_id` text NOT NULL,
	`plugin` text NOT NULL,
	`name` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `rich_menu_links_menu` ON `rich_menu_links` (`channel`,`plugin`,`name`,`user_id`);--> statement-breakpoint
CREATE TABLE `rich_menus` (
	`rich_menu_id` text PRIMARY KEY NOT NULL,
	`channel` text DEFAULT 'default' NOT NULL,
	`plugin` text NOT NULL,
	`name` text NOT NULL,
	`content_hash` text NOT NULL,
	`image_uploaded` integer DEFAULT false NOT NULL,
	`alias` text,
	`is_default` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rich_menus_plugin` ON `rich_menus` (`channel`,`plugin`);