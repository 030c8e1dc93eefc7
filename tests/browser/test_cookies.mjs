// httpbin's cookie endpoints and /html in a real browser: Debian's Chromium driven by
// playwright-core, as tests/browser/test_pages.mjs does. A cookie set through /cookies/set
// must be stored by Chromium with the attributes asked for and come back on /cookies; one
// deleted through /cookies/delete must be gone.
//
//   node tests/browser/test_cookies.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startServer, stopServer } from './statusd.mjs';

let server; // { process, origin }
let browser;

before(async () => {
  server = await startServer();
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
});

// A fresh context (its own cookie jar) whose console errors and page errors are collected.
async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { context, page, problems };
}

// The JSON /cookies shows, as the browser rendered it.
async function shownCookies(page) {
  assert.equal(new URL(page.url()).pathname, '/cookies');
  return JSON.parse(await page.locator('body').innerText()).cookies;
}

test('cookies_set_then_shown_then_deleted_round_trip', async () => {
  const { context, page, problems } = await openPage();
  try {
    // The 302 to /cookies is followed by the browser, which sends what it just stored.
    let response = await page.goto(`${server.origin}/cookies/set?greeting=hello&httponly&samesite=strict`);
    assert.equal(response.status(), 200);
    assert.equal(response.request().redirectedFrom().url(),
      `${server.origin}/cookies/set?greeting=hello&httponly&samesite=strict`);
    assert.deepEqual(await shownCookies(page), { greeting: 'hello' });

    response = await page.goto(`${server.origin}/cookies/set/theme/dark`);
    assert.equal(response.status(), 200);
    assert.deepEqual(await shownCookies(page), { greeting: 'hello', theme: 'dark' });

    // Stored with the attributes asked for.
    const stored = Object.fromEntries((await context.cookies()).map((c) => [c.name, c]));
    assert.equal(stored.greeting.httpOnly, true);
    assert.equal(stored.greeting.sameSite, 'Strict');
    assert.equal(stored.greeting.path, '/');
    assert.equal(stored.theme.httpOnly, false);

    // A script sees the cookie that is not HttpOnly, and not the one that is.
    await page.goto(`${server.origin}/html`);
    assert.equal(await page.evaluate(() => document.cookie), 'theme=dark');

    response = await page.goto(`${server.origin}/cookies/delete?greeting`);
    assert.equal(response.status(), 200);
    assert.deepEqual(await shownCookies(page), { theme: 'dark' });
    assert.deepEqual((await context.cookies()).map((c) => c.name), ['theme']);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('cookie_value_with_crlf_is_refused_and_nothing_is_stored', async () => {
  const { context, page } = await openPage();
  try {
    const response = await page.goto(`${server.origin}/cookies/set?a=1%0d%0aSet-Cookie:%20b=2`);
    assert.equal(response.status(), 400);
    assert.deepEqual(await context.cookies(), []);
  } finally {
    await context.close();
  }
});

test('html_page_renders_under_the_csp_without_errors', async () => {
  const { context, page, problems } = await openPage();
  try {
    const response = await page.goto(`${server.origin}/html`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /default-src 'self'/);
    assert.equal(await page.locator('h1').innerText(), 'An HTML page · 一个 HTML 页面');
    // The stylesheet loaded: the page is styled, not the browser's default.
    const styled = await page.evaluate(() => document.styleSheets.length > 0 &&
      document.styleSheets[0].cssRules.length > 0);
    assert.ok(styled);
    await page.goto(`${server.origin}/encoding/utf8`);
    assert.match(await page.locator('#sample').innerText(), /状态码告诉客户端请求的结果/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
