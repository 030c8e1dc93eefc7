// 103 Early Hints that Chromium acts on (issue 12). Chromium ignores 103 over HTTP/1.1 and
// processes it over HTTP/2, so statusd serves TLS with ALPN h2 here, with a certificate from a
// throw-away CA that Chromium trusts through an NSS database of its own (certutil, in a HOME
// made for this run; nothing of the machine's is touched).
//
// The page /status/103?then=200&format=html&delay=1&link=</static/style.css>;rel=preload;as=style
// sends the 103 at once and the final page a second later. The proof that Chromium acted on
// the hint: the stylesheet's Resource Timing entry says initiatorType "early-hints", and the
// server's access log has the stylesheet's request completed before the page's.
//
//   node tests/browser/test_early_hints.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { chromium } = await import('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const START_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 15000;

let work;      // the temporary directory: CA, certificate, NSS database
let server;    // { child, origin, log: [] }
let browser;

function run(command, args) {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60000 });
}

// A CA, a certificate for 127.0.0.1 signed by it, and an NSS database trusting the CA.
function makeTrust() {
  work = mkdtempSync(join(tmpdir(), 'statusd-early-hints-'));
  const path = (name) => join(work, name);
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=statusd test CA', '-keyout', path('ca.key'), '-out', path('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
    '-keyout', path('server.key'), '-out', path('server.csr')]);
  writeFileSync(path('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  run('openssl', ['x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'),
    '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', path('server.ext'),
    '-out', path('server.pem')]);
  const nss = join(work, 'home', '.pki', 'nssdb');
  mkdirSync(nss, { recursive: true });
  run('certutil', ['-d', `sql:${nss}`, '-N', '--empty-password']);
  run('certutil', ['-d', `sql:${nss}`, '-A', '-t', 'C,,', '-n', 'statusd-test-ca',
    '-i', path('ca.pem')]);
}

function startServer() {
  const binary = process.env.STATUSD_BINARY;
  assert.ok(binary, 'STATUSD_BINARY is not set (run through `meson test`)');
  const child = spawn(binary, ['--port', '0', '--log', 'json',
    '--tls-cert', join(work, 'server.pem'), '--tls-key', join(work, 'server.key')],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  const log = [];
  return new Promise((resolveStart, rejectStart) => {
    let buffered = '';
    let origin = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error('statusd did not announce its address in time'));
    }, START_TIMEOUT_MS);
    child.on('error', (error) => { clearTimeout(timer); rejectStart(error); });
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (origin === null) {
          const match = /^statusd listening on (https:\/\/127\.0\.0\.1:\d+)$/.exec(line);
          clearTimeout(timer);
          if (!match) {
            child.kill('SIGKILL');
            rejectStart(new Error(`unexpected first line: ${line}`));
            return;
          }
          origin = match[1];
          resolveStart({ child, origin, log });
        } else if (line.startsWith('{')) {
          log.push(JSON.parse(line));
        }
      }
    });
  });
}

function stopServer() {
  if (!server) return Promise.resolve();
  const { child } = server;
  return new Promise((resolveStop, rejectStop) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStop(new Error('statusd did not exit after SIGTERM'));
    }, STOP_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolveStop(); else rejectStop(new Error(`statusd exited ${code}`));
    });
    child.kill('SIGTERM');
  });
}

async function waitFor(predicate, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  makeTrust();
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    // Chromium reads the NSS database under $HOME/.pki/nssdb: the one made above.
    env: { ...process.env, HOME: join(work, 'home') },
  });
});

after(async () => {
  if (browser) await browser.close();
  await stopServer();
});

const HINTED = '/static/style.css';
const PAGE = `/status/103?then=200&format=html&delay=1&link=${
  encodeURIComponent(`<${HINTED}>; rel=preload; as=style`)}`;

test('Chromium fetches the stylesheet a 103 hinted before the final response arrives', async () => {
  const page = await browser.newPage();
  const response = await page.goto(server.origin + PAGE, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  assert.equal(await response.headerValue('content-type'), 'text/html; charset=utf-8');
  // Over HTTP/2, with a certificate Chromium trusts (no interstitial, no error ignored).
  const protocol = await page.evaluate(
    () => performance.getEntriesByType('navigation')[0].nextHopProtocol);
  assert.equal(protocol, 'h2');
  const entry = await page.evaluate((name) => {
    const found = performance.getEntriesByType('resource').find((e) => e.name.endsWith(name));
    return found && { initiatorType: found.initiatorType, protocol: found.nextHopProtocol };
  }, HINTED);
  assert.ok(entry, 'no Resource Timing entry for the hinted stylesheet');
  assert.equal(entry.initiatorType, 'early-hints');

  // The server's view: the stylesheet was asked for (and answered) while the page was still
  // waiting for its delay; both over h2.
  await waitFor(() => server.log.some((l) => l.path.startsWith('/status/103')), 'the page log line');
  const styleAt = server.log.findIndex((l) => l.path === HINTED);
  const pageAt = server.log.findIndex((l) => l.path.startsWith('/status/103'));
  assert.ok(styleAt >= 0, 'the stylesheet was never requested');
  assert.ok(styleAt < pageAt, `stylesheet logged at ${styleAt}, after the page at ${pageAt}`);
  assert.equal(server.log[styleAt].protocol, 'h2');
  assert.equal(server.log[pageAt].protocol, 'h2');
  assert.ok(server.log[pageAt].duration_ms >= 1000, 'the page did not wait its second');
  await page.close();
});

test('without the 103 the same stylesheet is fetched by the parser, not by early hints', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.origin}/status/200?format=html&delay=0.2`, { waitUntil: 'load' });
  const initiator = await page.evaluate((name) => {
    const found = performance.getEntriesByType('resource').find((e) => e.name.endsWith(name));
    return found && found.initiatorType;
  }, HINTED);
  // Cached from the first test or fetched by the <link>: never "early-hints" here.
  assert.notEqual(initiator, 'early-hints');
  await page.close();
});

test('a redirect loop over h2 ends in ERR_TOO_MANY_REDIRECTS', async () => {
  const page = await browser.newPage();
  await assert.rejects(page.goto(`${server.origin}/loop/30`), /ERR_TOO_MANY_REDIRECTS/);
  await page.close();
});

test('the catalogue page renders over h2', async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${server.origin}/`, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol), 'h2');
  assert.ok((await page.content()).includes('418'));
  await page.close();
});
