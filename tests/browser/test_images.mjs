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
import { spawn } from 'node:child_process';

const { chromium } = await import('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking'];
const START_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 15000;

let server; // { child, origin }
let browser;

function startServer() {
  const binary = process.env.STATUSD_BINARY;
  assert.ok(binary, 'STATUSD_BINARY is not set (run through `meson test`)');
  const child = spawn(binary, ['--port', '0', '--log', 'off'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveStart, rejectStart) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`statusd did not announce its address within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.on('error', (error) => { clearTimeout(timer); rejectStart(error); });
    child.stdout.on('data', (chunk) => {
      if (seen === null) return; // keep draining so the server never blocks on stdout
      seen += chunk.toString();
      if (!seen.includes('\n')) return;
      const line = seen.split('\n')[0].trim();
      seen = null;
      clearTimeout(timer);
      const match = /^statusd listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (!match) {
        child.kill('SIGKILL');
        rejectStart(new Error(`unexpected first line: ${line}`));
        return;
      }
      resolveStart({ child, origin: match[1] });
    });
  });
}

function stopServer(running) {
  return new Promise((resolveStop, rejectStop) => {
    const timer = setTimeout(() => {
      running.child.kill('SIGKILL');
      rejectStop(new Error(`statusd did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`));
    }, STOP_TIMEOUT_MS);
    running.child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveStop();
      else rejectStop(new Error(`statusd exited with ${code ?? signal} after SIGTERM`));
    });
    running.child.kill('SIGTERM');
  });
}

before(async () => {
  server = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await stopServer(server);
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
