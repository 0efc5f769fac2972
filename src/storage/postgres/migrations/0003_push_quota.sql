CREATE TABLE "held_replies" (
	"event_id" text NOT NULL,
	"plugin" text NOT NULL,
	"offset" integer NOT NULL,
	"messages" jsonb NOT NULL,
	"held_at" bigint NOT NULL,
	CONSTRAINT "held_replies_event_id_plugin_offset_pk" PRIMARY KEY("event_id","plugin","offset")
);
--> statement-breakpoint
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
--> statement-breakpoint
ALTER TABLE "held_replies" ADD CONSTRAINT "held_replies_event_id_inbox_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "inbox_events"("id") ON DELETE cascade ON UPDATE no action;