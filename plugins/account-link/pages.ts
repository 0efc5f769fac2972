/**
 * The HTML of the demo sign-in page. Everything put into it goes through `escapeHtml`: the link
 * token comes from the address bar, and anyone can type an address.
 */

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  // The address holds a link token: keep the page out of caches and out of Referer headers.
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  // No scripts, no framing (clickjacking); the form may only post here, then go on to LINE.
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https://access.line.me; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
};

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 1.5rem; color: #222; }
main { max-width: 26rem; margin: auto; }
.demo { background: #fff3cd; border: 1px solid #e0b400; border-radius: 6px; padding: .75rem; }
label, input, button { display: block; width: 100%; box-sizing: border-box; }
input, button { font: inherit; padding: .6rem; margin: .4rem 0 1rem; border-radius: 6px; }
input { border: 1px solid #999; }
button { border: 0; background: #06c755; color: #fff; font-weight: bold; }
`;

function page(status: number, title: string, body: string): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
  return new Response(html, { status, headers: HEADERS });
}

/** The form a user fills in to "sign in" as any demo user; it posts back to the same address. */
export function demoSignInPage(linkToken: string): Response {
  return page(
    200,
    "Demo sign-in",
    `<p class="demo"><strong>Demo sign-in, not a real login.</strong> Anyone can enter any user id
here: the account-link plugin's settings say <code>"demo": true</code>. To link accounts of a real
service, set <code>loginUrl</code> and <code>providerSecret</code> instead.</p>
<h1>Link your LINE account</h1>
<form method="post" action="login">
<input type="hidden" name="linkToken" value="${escapeHtml(linkToken)}">
<label for="userId">Your user id at the demo service</label>
<input id="userId" name="userId" required maxlength="255" autocomplete="username" autofocus>
<button type="submit">Sign in and link</button>
</form>`,
  );
}

/** A page that says what went wrong and what to do about it. */
export function problemPage(status: number, title: string, advice: string): Response {
  return page(status, title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(advice)}</p>`);
}
