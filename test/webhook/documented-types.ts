/**
 * The event and message types of LINE's Messaging API reference, written out by hand rather than
 * imported from the model, so that dropping a type from the model fails the tests that use this.
 */
export const DOCUMENTED_EVENT_TYPES = [
  "message",
  "messageEdited",
  "unsend",
  "follow",
  "unfollow",
  "join",
  "leave",
  "memberJoined",
  "memberLeft",
  "postback",
  "videoPlayComplete",
  "beacon",
  "accountLink",
  "membership",
  "module",
  "activated",
  "deactivated",
  "botSuspended",
  "botResumed",
  "delivery",
];

export const DOCUMENTED_MESSAGE_TYPES = [
  "text",
  "image",
  "video",
  "audio",
  "file",
  "location",
  "sticker",
];
