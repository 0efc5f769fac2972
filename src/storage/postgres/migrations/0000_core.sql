CREATE TABLE "chats" (
	"channel" text DEFAULT 'default' NOT NULL,
	"chat_key" text NOT NULL,
	"type" text NOT NULL,
	"chat_id" text NOT NULL,
	"member" boolean NOT NULL,
	"joined_at" bigint,
	"left_at" bigint,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "chats_channel_chat_key_pk" PRIMARY KEY("channel","chat_key")
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"event_id" text NOT NULL,
	"plugin" text NOT NULL,
	"channel" text DEFAULT 'default' NOT NULL,
	"chat_key" text NOT NULL,
	"timestamp" bigint NOT NULL,
	"seq" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint DEFAULT 0 NOT NULL,
	"deferred" boolean DEFAULT false NOT NULL,
	"owner" text,
	"lease_until" bigint,
	"last_error" text,
	"reply_attempted" boolean DEFAULT false NOT NULL,
	"sent" jsonb,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "deliveries_event_id_plugin_pk" PRIMARY KEY("event_id","plugin")
);
--> statement-breakpoint
CREATE TABLE "inbox_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"channel" text DEFAULT 'default' NOT NULL,
	"chat_key" text NOT NULL,
	"type" text NOT NULL,
	"timestamp" bigint NOT NULL,
	"received_at" bigint NOT NULL,
	"destination" text,
	"body" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"reply_attempted_at" bigint,
	"done_at" bigint,
	CONSTRAINT "inbox_events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" text PRIMARY KEY NOT NULL,
	"lock_key" bigint NOT NULL,
	"started_at" bigint NOT NULL,
	"seen_at" bigint NOT NULL,
	"plugins" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plugin_kv" (
	"plugin" text NOT NULL,
	"channel" text DEFAULT 'default' NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"value" text NOT NULL,
	"expires_at" bigint,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "plugin_kv_plugin_channel_key_pk" PRIMARY KEY("plugin","channel","key")
);
--> statement-breakpoint
CREATE TABLE "plugin_migrations" (
	"plugin" text NOT NULL,
	"id" text NOT NULL,
	"applied_at" bigint NOT NULL,
	CONSTRAINT "plugin_migrations_plugin_id_pk" PRIMARY KEY("plugin","id")
);
--> statement-breakpoint
CREATE TABLE "schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"channel" text DEFAULT 'default' NOT NULL,
	"plugin" text NOT NULL,
	"name" text NOT NULL,
	"cron" text,
	"time_zone" text,
	"payload" jsonb,
	"next_run_at" bigint NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"owner" text,
	"lease_until" bigint,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"channel" text DEFAULT 'default' NOT NULL,
	"plugin" text NOT NULL,
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"expires_at" bigint,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "sessions_channel_plugin_scope_key_pk" PRIMARY KEY("channel","plugin","scope","key")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"channel" text DEFAULT 'default' NOT NULL,
	"user_id" text NOT NULL,
	"display_name" text,
	"picture_url" text,
	"status_message" text,
	"language" text,
	"following" boolean,
	"followed_at" bigint,
	"unfollowed_at" bigint,
	"profile_fetched_at" bigint,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "users_channel_user_id_pk" PRIMARY KEY("channel","user_id")
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_event_id_inbox_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "inbox_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deliveries_lanes" ON "deliveries" USING btree ("channel","chat_key","plugin","timestamp","seq") WHERE "deliveries"."status" in ('pending', 'retry', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_one_running_per_lane" ON "deliveries" USING btree ("channel","chat_key","plugin") WHERE "deliveries"."status" = 'running';--> statement-breakpoint
CREATE INDEX "deliveries_status" ON "deliveries" USING btree ("status");--> statement-breakpoint
CREATE INDEX "deliveries_owner" ON "deliveries" USING btree ("owner") WHERE "deliveries"."status" = 'running';--> statement-breakpoint
CREATE INDEX "inbox_events_open" ON "inbox_events" USING btree ("status") WHERE "inbox_events"."status" <> 'done';--> statement-breakpoint
CREATE INDEX "inbox_events_done" ON "inbox_events" USING btree ("done_at");--> statement-breakpoint
CREATE INDEX "schedules_due" ON "schedules" USING btree ("next_run_at") WHERE "schedules"."status" = 'scheduled';--> statement-breakpoint
CREATE INDEX "schedules_plugin" ON "schedules" USING btree ("plugin","name");