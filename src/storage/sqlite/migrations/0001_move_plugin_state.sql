DROP TABLE `plugin_kv`;--> statement-breakpoint
DROP TABLE `plugin_migrations`;