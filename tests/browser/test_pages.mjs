// statusd's pages in a real browser: Debian's Chromium (/usr/bin/chromium) driven by
// playwright-core, which never downloads a browser of its own. Starts the binary named by
// $STATUSD_BINARY on port 0, like the other suites, and stops it with SIGTERM expecting exit 0.
//
//   node tests/browser/test_pages.mjs [ARTIFACTS_DIR]
//
// Screenshots go to ARTIFACTS_DIR (default: tests/artifacts/browser under the working
// directory). Every page visited is watched: a script error, a CSP violation, a request to
// another host, or a failed load other than the status the test asked for fails the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium, startServer, stopServer } from './statusd.mjs';

const ARTIFACTS = resolve(process.argv[2] || join('tests', 'artifacts', 'browser'));

let server; // { process, origin, otherOrigin }
let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer();
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
});

// --- watching what a page does ----------------------------------------------------------

// A page whose every problem is recorded: console errors, uncaught exceptions, requests that
// leave this server. expectStatuses lists the HTTP errors the test asks for on purpose
// (Chromium logs "Failed to load resource" for a 404 it was sent to, as for any other).
async function openPage(options = {}) {
  const context = await browser.newContext({
    viewport: options.viewport || { width: 1100, height: 900 },
    colorScheme: options.colorScheme || 'light',
    locale: options.locale || 'en-US',
  });
  const page = await context.newPage();
  const problems = [];
  const expected = new Set((options.expectStatuses || []).map(String));
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const status = /the server responded with a status of (\d{3})/.exec(text);
    const url = message.location().url || '';
    if (status && expected.has(status[1])) return;
    // Chromium asks for /favicon.ico on documents that are not HTML (JSON, text).
    if (status && url.endsWith('/favicon.ico')) return;
    problems.push(`console: ${text} (${url})`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(server.origin) && !url.startsWith(server.otherOrigin) &&
        !url.startsWith('data:') && !url.startsWith('about:')) {
      problems.push(`request to another host: ${url}`);
    }
  });
  return {
    page,
    assertClean() { assert.deepEqual(problems, [], 'the page reported problems'); },
    close: () => context.close(),
  };
}

async function catalogue() {
  const response = await fetch(`${server.origin}/codes.json`);
  assert.equal(response.status, 200);
  return (await response.json()).codes;
}

async function visibleKeys(page) {
  return page.$$eval('tr.code-row', (rows) =>
    rows.filter((row) => !row.hidden && row.offsetParent !== null).map((row) => row.dataset.key));
}

// Wider than the screen means sideways scrolling on a phone.
async function assertNoHorizontalScroll(page, what) {
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${what} is ${overflow}px wider than the screen`);
}

// --- the catalogue ----------------------------------------------------------------------

test('catalogue_lists_every_code_and_the_filter_narrows_it_as_you_type', async () => {
  const codes = await catalogue();
  const { page, assertClean, close } = await openPage();
  try {
    const response = await page.goto(`${server.origin}/`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /default-src 'self'/);
    assert.equal(await page.locator('tr.code-row').count(), codes.length);
    assert.deepEqual(await visibleKeys(page), codes.map((c) => c.key));
    // Official and unofficial codes are told apart, in both languages' columns.
    const unofficial = codes.filter((c) => !c.official).length;
    assert.ok(unofficial > 0);
    assert.equal(await page.locator('tr.code-row.unofficial').count(), unofficial);
    assert.equal(await page.locator('tr.code-row td[lang="zh"]').count(), codes.length);
    assert.equal(await page.locator('tr.code-row td[lang="en"]').count(), codes.length);
    await page.screenshot({ path: join(ARTIFACTS, 'index.png') });

    const filter = page.locator('#filter');
    await filter.pressSequentially('4');
    const afterFour = await visibleKeys(page);
    assert.ok(afterFour.length < codes.length, 'typing "4" narrows the list');
    await filter.pressSequentially('2');
    const withFortyTwo = codes.filter((c) => c.key.includes('42')).map((c) => c.key);
    assert.ok(withFortyTwo.length > 0);
    assert.deepEqual(await visibleKeys(page), withFortyTwo);
    assert.equal(await page.locator('#filter-count').textContent(),
      `${withFortyTwo.length} / ${codes.length}`);
    // Classes without a match disappear with their heading.
    assert.equal(await page.locator('section.class-group[id="2xx"]').isVisible(), false);
    await page.screenshot({ path: join(ARTIFACTS, 'index-filter-42.png') });

    await filter.fill('限流');
    assert.ok((await visibleKeys(page)).includes('429'), '限流 finds 429');
    await filter.fill('rate');
    const rate = await visibleKeys(page);
    assert.ok(rate.includes('429'), '"rate" finds 429 (rate limited)');
    assert.ok(rate.length < codes.length / 4, `"rate" matches words, not every "separate": ${rate}`);
    await filter.fill('');
    assert.equal((await visibleKeys(page)).length, codes.length);
    assertClean();
  } finally {
    await close();
  }
});

test('catalogue_filter_survives_a_reload_through_the_address', async () => {
  const { page, assertClean, close } = await openPage();
  try {
    await page.goto(`${server.origin}/?q=${encodeURIComponent('限流')}`);
    assert.equal(await page.locator('#filter').inputValue(), '限流');
    assert.ok((await visibleKeys(page)).includes('429'));
    assert.ok(!(await visibleKeys(page)).includes('200'));
    assertClean();
  } finally {
    await close();
  }
});

test('pages_fit_a_phone_in_dark_mode', async () => {
  const { page, assertClean, close } = await openPage({
    viewport: { width: 375, height: 740 }, colorScheme: 'dark', locale: 'zh-CN',
    expectStatuses: [404],
  });
  try {
    await page.goto(`${server.origin}/`);
    await assertNoHorizontalScroll(page, 'the index');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(background, 'rgb(255, 255, 255)', 'dark mode has a dark background');
    await page.screenshot({ path: join(ARTIFACTS, 'index-phone-dark.png') });
    await page.goto(`${server.origin}/codes/429`);
    await assertNoHorizontalScroll(page, '/codes/429');
    await page.screenshot({ path: join(ARTIFACTS, 'codes-429-phone-dark.png'), fullPage: true });
    await page.goto(`${server.origin}/status/404`);
    await assertNoHorizontalScroll(page, '/status/404');
    assertClean();
  } finally {
    await close();
  }
});

// --- /codes/{code} ----------------------------------------------------------------------

test('every_code_page_loads_its_scripts_under_the_csp_without_errors', async () => {
  const codes = await catalogue();
  const { page, assertClean, close } = await openPage();
  try {
    for (const code of codes) {
      const response = await page.goto(`${server.origin}/codes/${code.key}`,
        { waitUntil: 'domcontentloaded' }); // deferred scripts have run by then
      assert.equal(response.status(), 200, `/codes/${code.key}`);
      // One round trip per page: 119 pages would otherwise take most of the suite's time.
      const facts = await page.evaluate((key) => ({
        panelShown: !document.getElementById('tryit').hidden,
        commands: Array.from(document.querySelectorAll('code.cmd'), (c) => c.textContent),
        linksTheRealThing: !!document.querySelector(`a[href="/status/${key}"]`),
        text: document.querySelector('main').textContent,
      }), code.key);
      // The scripts ran: the panel is shown and the curl lines name this server.
      assert.ok(facts.panelShown, `/codes/${code.key} shows the try-it panel`);
      assert.ok(facts.commands.length > 0, `/codes/${code.key} has curl examples`);
      for (const command of facts.commands) {
        assert.ok(!command.includes('localhost:8080'), `${code.key}: ${command}`);
        assert.ok(command.includes(server.origin), `${code.key}: ${command}`);
      }
      assert.ok(facts.linksTheRealThing, `/codes/${code.key} links /status/${code.key}`);
      assert.ok(facts.text.includes(code.zh.title), `/codes/${code.key} in Chinese`);
      assert.ok(facts.text.includes(code.en.title), `/codes/${code.key} in English`);
    }
    assertClean();
  } finally {
    await close();
  }
});

test('try_it_panel_on_codes_429_shows_retry_after_read_by_the_page_script', async () => {
  const { page, assertClean, close } = await openPage({ expectStatuses: [429] });
  try {
    await page.goto(`${server.origin}/codes/429`);
    await page.locator('#tryit button[type="submit"]').click();
    const status = page.locator('#tryit .tryit-status');
    await status.waitFor();
    assert.equal(await status.textContent(), 'HTTP 429 Too Many Requests');
    const row = page.locator('#tryit .tryit-headers tr')
      .filter({ has: page.locator('th', { hasText: /^retry-after$/ }) });
    assert.equal(await row.locator('td').textContent(), '5');
    assert.match(await page.locator('#tryit .tryit-body').textContent(), /Too Many Requests/);
    await page.screenshot({ path: join(ARTIFACTS, 'codes-429-try-it.png'), fullPage: true });
    assertClean();
  } finally {
    await close();
  }
});

test('copy_button_copies_the_curl_line_for_this_server', async () => {
  const { page, assertClean, close } = await openPage();
  try {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'],
      { origin: server.origin });
    await page.goto(`${server.origin}/codes/404`);
    const first = page.locator('figure.example').first();
    await first.locator('button.copy').click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, `curl -i ${server.origin}/status/404`);
    assert.equal(copied, await first.locator('code.cmd').textContent());
    assertClean();
  } finally {
    await close();
  }
});

test('try_it_panel_shows_a_manual_redirect_as_opaque', async () => {
  const { page, assertClean, close } = await openPage();
  try {
    await page.goto(`${server.origin}/codes/302`);
    assert.equal(await page.locator('#tryit input[name="follow"]').isChecked(), false);
    await page.locator('#tryit button[type="submit"]').click();
    await page.locator('#tryit .tryit-status').waitFor();
    assert.match(await page.locator('#tryit .tryit-status').textContent(), /^opaqueredirect/);
    await page.locator('#tryit input[name="follow"]').check();
    await page.locator('#tryit button[type="submit"]').click();
    await page.locator('#tryit .tryit-status', { hasText: 'HTTP 200' }).waitFor();
    assert.match(await page.locator('#tryit .tryit-result').textContent(), /\/status\/200/);
    assertClean();
  } finally {
    await close();
  }
});

test('a_script_on_another_origin_reads_exposed_headers_through_cors', async () => {
  const { page, assertClean, close } = await openPage({ expectStatuses: [429] });
  try {
    // A plain-text page on the other origin: no CSP of ours limits what its script fetches.
    await page.goto(`${server.otherOrigin}/health`);
    const seen = await page.evaluate(async (url) => {
      const response = await fetch(url);
      return {
        type: response.type,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        // Not listed in Access-Control-Expose-Headers: CORS hides it from other origins.
        exposeList: response.headers.get('access-control-expose-headers'),
      };
    }, `${server.origin}/status/429`);
    assert.deepEqual(seen, { type: 'cors', status: 429, retryAfter: '5', exposeList: null });
    assertClean();
  } finally {
    await close();
  }
});

// --- /status/{code} as a page -----------------------------------------------------------

test('status_pages_explain_themselves_at_the_real_status', async () => {
  const codes = await catalogue();
  const { page, assertClean, close } = await openPage({ expectStatuses: [404, 451, 503] });
  try {
    for (const key of ['404', '451', '503']) {
      const code = codes.find((c) => c.key === key);
      const response = await page.goto(`${server.origin}/status/${key}`);
      assert.equal(response.status(), Number(key));
      assert.match(response.headers()['content-type'], /^text\/html/);
      assert.match(response.headers()['content-security-policy'], /default-src 'self'/);
      assert.equal(await page.locator('h1 .code').textContent(), key);
      assert.equal(await page.locator('section.language').count(), 2);
      const text = await page.textContent('main');
      for (const part of [code.zh.title, code.en.title, code.en.meaning, code.zh.advice]) {
        assert.ok(text.includes(part), `/status/${key} shows "${part.slice(0, 40)}"`);
      }
      assert.equal(await page.locator('a.source').getAttribute('href'), code.source.url);
      if (key === '404') await page.screenshot({ path: join(ARTIFACTS, 'status-404.png') });
    }
    assertClean();
  } finally {
    await close();
  }
});

// --- redirects in a real browser --------------------------------------------------------

test('loop_ends_in_chromium_s_too_many_redirects_error', async () => {
  const { page, close } = await openPage();
  try {
    let loopResponses = 0;
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/loop/3')) loopResponses++;
    });
    await assert.rejects(page.goto(`${server.origin}/loop/3`), /net::ERR_TOO_MANY_REDIRECTS/);
    // Chromium gives up after 20 redirects: it went round the 3-step cycle several times.
    assert.ok(loopResponses > 3 * 2, `only ${loopResponses} responses from the loop`);
  } finally {
    await close();
  }
});

function hopsBefore(response) {
  let hops = 0;
  for (let request = response.request(); request.redirectedFrom();
    request = request.redirectedFrom()) {
    hops++;
  }
  return hops;
}

test('redirect_5_ends_on_the_echo_after_five_hops', async () => {
  const { page, assertClean, close } = await openPage();
  try {
    let redirects = 0;
    page.on('response', (response) => {
      if (response.status() >= 300 && response.status() < 400) redirects++;
    });
    const response = await page.goto(`${server.origin}/redirect/5`);
    assert.equal(response.status(), 200);
    assert.equal(new URL(response.url()).pathname, '/redirect/0');
    assert.equal(hopsBefore(response), 5);
    assert.equal(redirects, 5);
    // A browser asks for HTML, so the echo is the readable table.
    assert.equal(await echoedField(page, 'method'), 'GET');
    assert.equal(await echoedField(page, 'target'), '/redirect/0'); // "url" is absolute
    assertClean();
  } finally {
    await close();
  }
});

// The value of one top-level row of the echo table (/anything, /redirect/0 as HTML).
async function echoedField(page, name) {
  const row = page.locator('main > table > tbody > tr, main > table > tr').filter({
    has: page.locator(':scope > th', { hasText: new RegExp(`^${name}$`) }),
  });
  return (await row.first().locator(':scope > td').innerText()).trim();
}

// A form on a page of the test's own (setContent): statusd serves no form page, and a
// test-only page does not belong in static/.
async function submitFormThrough(page, status) {
  await page.setContent(`<form method="post" action="${server.origin}/redirect/1?status=${status}">
    <input name="greeting" value="你好 hello"><button type="submit">send</button></form>`);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('button')]);
  assert.equal(response.status(), 200);
  assert.equal(hopsBefore(response), 1);
  return {
    method: await echoedField(page, 'method'),
    body_size: Number(await echoedField(page, 'body_size')),
    greeting: await page
      .locator('main > table tr', { has: page.locator(':scope > th', { hasText: /^greeting$/ }) })
      .first()
      .locator(':scope > td')
      .innerText()
      .then((text) => text.trim())
      .catch(() => undefined),
  };
}

test('form_post_through_307_arrives_as_post_and_through_303_as_get', async () => {
  const { page, assertClean, close } = await openPage();
  try {
    const kept = await submitFormThrough(page, 307);
    assert.equal(kept.method, 'POST');
    assert.equal(kept.greeting, '你好 hello'); /* the form field, as the server parsed it */
    const turned = await submitFormThrough(page, 303);
    assert.equal(turned.method, 'GET');
    assert.equal(turned.body_size, 0);
    assertClean();
  } finally {
    await close();
  }
});

test('echo_as_html_is_a_readable_table', async () => {
  const { page, assertClean, close } = await openPage();
  try {
    const response = await page.goto(`${server.origin}/redirect/0?format=html&q=%3Cb%3Ex`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^text\/html/);
    assert.ok(await page.locator('main table th', { hasText: 'method' }).count() > 0);
    // The query came back as text, not as markup.
    assert.equal(await page.locator('main b').count(), 0);
    assert.ok((await page.textContent('main')).includes('<b>x'));
    assertClean();
  } finally {
    await close();
  }
});
