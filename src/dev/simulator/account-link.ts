/**
 * The account-link flow, as a phone would run it: open the sign-in URL from the bot's reply,
 * submit its form, and follow the redirect to LINE — which is where the simulator steps in: the
 * redirect carries the nonce and link token of the accountLink event LINE would send.
 */
import { SimulatorRequestError } from "./http.ts";
import { headingOf, parseForm } from "./sign-in-page.ts";

/** A request to the bot's own HTTP surface, in process. */
export type BotFetch = (request: Request) => Promise<Response>;

/** Requests go to this path of the bot, whatever host they name. */
const BOT = "http://bot.invalid";

export interface SignInRequest {
  /** The bot itself: every request goes there, whatever host the link names. */
  fetchBot: BotFetch;
  /** The sign-in URL from the bot's reply. */
  url: string;
  providerUserId: string;
}

/** Where signing in ended: LINE's account-link redirect. */
export interface SignedIn {
  nonce: string;
  linkToken: string | null;
}

/** Signs in through the plugin's page; a 422 says where the flow stopped. */
export async function signIn({ fetchBot, url, providerUserId }: SignInRequest): Promise<SignedIn> {
  // Always this bot itself: the link may name PUBLIC_URL, and the simulator must not become a way
  // to make requests to anywhere else.
  const given = new URL(url);
  const signInUrl = new URL(given.pathname + given.search, BOT);
  const page = await fetchBot(new Request(signInUrl));
  const html = await page.text();
  if (page.status !== 200) fail(`the sign-in page answered ${page.status}: ${headingOf(html)}`);
  const form = parseForm(html);
  if (!form) fail("the sign-in page has no form to fill in");

  const body = new URLSearchParams(form.fields);
  body.set(form.idField, providerUserId);
  const action = new URL(form.action || signInUrl.href, signInUrl);
  const submitted = await fetchBot(
    new Request(new URL(action.pathname + action.search, BOT), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    }),
  );
  const location = submitted.headers.get("location");
  if (submitted.status < 300 || submitted.status >= 400 || !location)
    fail(`signing in answered ${submitted.status}: ${headingOf(await submitted.text())}`);
  await submitted.body?.cancel();

  const redirect = new URL(location, action);
  const nonce = redirect.searchParams.get("nonce");
  if (redirect.hostname !== "access.line.me" || !nonce)
    fail(`signing in redirected to ${redirect.origin}${redirect.pathname}, not to LINE`);
  return { nonce, linkToken: redirect.searchParams.get("linkToken") };
}

function fail(message: string): never {
  throw new SimulatorRequestError(422, message);
}
