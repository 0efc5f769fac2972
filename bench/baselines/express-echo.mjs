/**
 * The baseline: what a LINE developer writes with the official SDK. This is the echo-bot example
 * from @line/bot-sdk (examples/echo-bot/index.js) as documented for SDK 11: Express,
 * `line.middleware(config)` to verify the signature and parse the body, every event handled with
 * `Promise.all`, each awaiting `replyMessage`, then `res.json(...)`. Run by Node.js.
 *
 * The only changes: the client's `baseURL` comes from LINE_API_BASE_URL (the benchmark's fake
 * LINE API), the port may be 0, and the chosen port is printed as JSON for the benchmark runner.
 *
 *   CHANNEL_SECRET=… CHANNEL_ACCESS_TOKEN=… LINE_API_BASE_URL=… PORT=0 node bench/baselines/express-echo.mjs
 */
import * as line from "@line/bot-sdk";
import express from "express";

// create LINE SDK config from env variables
const config = {
  channelSecret: process.env.CHANNEL_SECRET,
};

// create LINE SDK client
const client = new line.messagingApi.MessagingApiClient({
  channelAccessToken: process.env.CHANNEL_ACCESS_TOKEN,
  baseURL: process.env.LINE_API_BASE_URL,
});

// create Express app
const app = express();

// register a webhook handler with middleware
app.post("/webhook", line.middleware(config), (req, res) => {
  Promise.all(req.body.events.map(handleEvent))
    .then((result) => res.json(result))
    .catch((err) => {
      console.error(err);
      res.status(500).end();
    });
});

// event handler
function handleEvent(event) {
  if (event.type !== "message" || event.message.type !== "text") {
    // ignore non-text-message event
    return Promise.resolve(null);
  }

  // create an echoing text message
  const echo = { type: "text", text: event.message.text };

  // use reply API
  return client.replyMessage({
    replyToken: event.replyToken,
    messages: [echo],
  });
}

// listen on port
const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
