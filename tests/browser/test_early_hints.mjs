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
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, startServer, stopServer } from './statusd.mjs';

let work;      // the temporary directory: CA, certificate, NSS database
let server;    // { process, origin, log: [] }
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

// statusd over TLS (ALPN h2) with the certificate made above; every line of its JSON access
// log lands in server.log, in the order the server wrote them.
async function startTlsServer() {
  const log = [];
  const running = await startServer(['--log', 'json',
    '--tls-cert', join(work, 'server.pem'), '--tls-key', join(work, 'server.key')],
  { onLine: (line) => { if (line.startsWith('{')) log.push(JSON.parse(line)); } });
  return { ...running, log };
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
  server = await startTlsServer();
  browser = await launchChromium({
    // Chromium reads the NSS database under $HOME/.pki/nssdb: the one made above.
    env: { ...process.env, HOME: join(work, 'home') },
  });
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
});

const HINTED = '/static/style.css';
const PAGE = `/status/103?then=200&format=html&delay=1&link=${
  encodeURIComponent(`<${HINTED}>; rel=preload; as=style`)}`;

// Under heavy load (load average 8 to 10 on 2 cores, with other builds running) Chromium 156
// now and then does not act on a 103 at all: the stylesheet is then requested once, by the
// parser, after the page (seen here in about 1 run of 6; never on a quiet machine). So each
// try is a fresh page and a fresh URL, and Chromium must act on the hint in one of 3 tries;
// a server that stopped sending the 103 (or sent it after the delay) fails all three.
async function tryEarlyHints(attempt) {
  const page = await browser.newPage();
  try {
    const url = `${server.origin}${PAGE}&try=${attempt}`;
    const response = await page.goto(url, { waitUntil: 'load' });
    assert.equal(response.status(), 200);
    assert.equal(await response.headerValue('content-type'), 'text/html; charset=utf-8');
    // Over HTTP/2, with a certificate Chromium trusts (no interstitial, no error ignored).
    const protocol = await page.evaluate(
      () => performance.getEntriesByType('navigation')[0].nextHopProtocol);
    assert.equal(protocol, 'h2');
    const entry = await page.evaluate((name) => {
      const found = performance.getEntriesByType('resource').find((e) => e.name.endsWith(name));
      return found && { initiatorType: found.initiatorType, start: found.startTime };
    }, HINTED);
    assert.ok(entry, 'no Resource Timing entry for the hinted stylesheet');
    return entry.initiatorType;
  } finally {
    await page.close();
  }
}

test('Chromium fetches the stylesheet a 103 hinted before the final response arrives', async () => {
  const seen = [];
  for (let attempt = 1; attempt <= 3 && !seen.includes('early-hints'); attempt++) {
    const before = server.log.length;
    seen.push(await tryEarlyHints(attempt));
    if (seen.at(-1) !== 'early-hints') continue;
    // The server's view of this try: the stylesheet was asked for (and answered) while the
    // page was still waiting for its delay, both over h2.
    await waitFor(() => server.log.slice(before).some((l) => l.path.includes(`try=${attempt}`)),
      'the page log line');
    const lines = server.log.slice(before);
    const styleAt = lines.findIndex((l) => l.path === HINTED);
    const pageAt = lines.findIndex((l) => l.path.includes(`try=${attempt}`));
    assert.ok(styleAt >= 0, 'the stylesheet was never requested');
    assert.ok(styleAt < pageAt, `stylesheet logged at ${styleAt}, after the page at ${pageAt}`);
    assert.equal(lines[styleAt].protocol, 'h2');
    assert.equal(lines[pageAt].protocol, 'h2');
    assert.ok(lines[pageAt].duration_ms >= 1000, 'the page did not wait its second');
  }
  assert.ok(seen.includes('early-hints'), `initiatorType in each try: ${seen.join(', ')}`);
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
