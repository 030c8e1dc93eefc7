// /image and /image/{format} in a real browser (issue 14): Debian's Chromium, driven by
// playwright-core, loads each format in an <img> and decodes it (naturalWidth > 0), and /image
// without a format gives Chromium, by its own Accept, a format it shows.
//
//   node tests/browser/test_images.mjs
//
// Starts $STATUSD_BINARY on port 0 and stops it with SIGTERM expecting exit 0, as
// test_pages.mjs does.
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

// Loads src in an <img> on a page of this server; resolves with its natural size, or with
// an error message when the browser could not decode it. Bounded by the test's timeout.
async function loadImage(page, src) {
  return page.evaluate((url) => new Promise((done) => {
    const img = new Image();
    img.onload = () => done({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => done({ error: `could not load ${url}` });
    img.src = url;
    document.body.appendChild(img);
  }), src);
}

test('every /image/{format} decodes in an <img>', { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const types = new Map();
  page.on('response', (response) => types.set(new URL(response.url()).pathname,
    response.headers()['content-type']));
  await page.goto(`${server.origin}/health`);
  for (const [format, type] of [['png', 'image/png'], ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'], ['svg', 'image/svg+xml']]) {
    const size = await loadImage(page, `/image/${format}`);
    assert.equal(size.error, undefined, size.error);
    assert.ok(size.width > 0, `${format}: naturalWidth ${size.width}`);
    assert.equal(size.width, 64, format);
    assert.equal(size.height, 48, format);
    assert.equal(types.get(`/image/${format}`), type);
  }
  await context.close();
});

test('/image negotiates a format Chromium shows (WebP, which its Accept names)', { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  let seen;
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/image') seen = response.headers()['content-type'];
  });
  await page.goto(`${server.origin}/health`);
  const size = await loadImage(page, '/image');
  assert.equal(size.error, undefined, size.error);
  assert.ok(size.width > 0);
  assert.equal(seen, 'image/webp');
  await context.close();
});
