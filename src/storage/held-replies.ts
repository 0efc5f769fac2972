/**
 * Answers waiting for a tap: a plugin that opted in to `tapToSee` and was still working when its
 * event's reply went out had "tap to see the answer" sent instead; what it replied afterwards is
 * kept here until the tap's fresh reply token carries it (free), instead of being pushed (billed).
 * Rows stay until their event is pruned (a second tap shows the answer again), and go with it.
 */

/** One plugin's late replies to an event, from `offset` in its reply stream. */
export interface HeldReply {
  plugin: string;
  offset: number;
  /** The messages, as JSON. */
  messages: string;
}

export interface HeldReplies {
  /** Keeps the messages (a rerun's replace those it held at the same offset). */
  hold(eventId: string, reply: HeldReply, now: number): Promise<void>;
  /** What is held for the event, by plugin and offset. */
  heldFor(eventId: string): Promise<HeldReply[]>;
}
