CREATE TABLE "push_pauses" (
	"channel" text PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"paused_at" bigint NOT NULL,
	"until" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sent_messages" (
	"channel" text NOT NULL,
	"month" text NOT NULL,
	"plugin" text NOT NULL,
	"kind" text NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "sent_messages_channel_month_plugin_kind_pk" PRIMARY KEY("channel","month","plugin","kind")
);
