// What every browser test needs: the statusd binary named by $STATUSD_BINARY started on port 0
// (and stopped with SIGTERM, expecting exit 0), and Debian's Chromium (/usr/bin/chromium, or
// $CHROMIUM) launched through playwright-core, which never downloads a browser of its own.
//
//   import { startServer, stopServer, launchChromium } from './statusd.mjs';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (error) {
  console.error('playwright-core is missing: run `npm ci --prefix tests/browser` (scripts/test does)');
  throw error;
}

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// playwright-core adds --headless itself when it launches headless (its default); it is named
// here as well so that the command line says what it is.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking'];
const START_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 15000;

// Starts `statusd --port 0 ...extraArgs` and resolves once its first line names the address it
// listens on (http:// or https://, with --tls-cert). Resolves with
//   { process, origin, otherOrigin, port }
// where otherOrigin is the same server under "localhost", another origin for requests that must
// go through CORS. options.onLine, when given, is called with every later line of its standard
// output (the access log, with --log json); standard output is drained either way so that the
// server never blocks on a full pipe.
export function startServer(extraArgs = ['--log', 'off'], options = {}) {
  const binary = process.env.STATUSD_BINARY;
  assert.ok(binary, 'STATUSD_BINARY is not set (run through `meson test`)');
  const child = spawn(binary, ['--port', '0', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveStart, rejectStart) => {
    let buffered = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`statusd did not announce its address within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.on('error', (error) => { clearTimeout(timer); rejectStart(error); });
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (started) {
          if (options.onLine) options.onLine(line);
          continue;
        }
        started = true;
        clearTimeout(timer);
        const match = /^statusd listening on (https?):\/\/127\.0\.0\.1:(\d+)$/.exec(line);
        if (!match) {
          child.kill('SIGKILL');
          rejectStart(new Error(`unexpected first line: ${line}`));
          return;
        }
        const [, scheme, port] = match;
        resolveStart({
          process: child,
          origin: `${scheme}://127.0.0.1:${port}`,
          otherOrigin: `${scheme}://localhost:${port}`,
          port: Number(port),
        });
      }
    });
  });
}

// Sends SIGTERM to a server startServer started and resolves when it exits with 0; rejects on
// any other exit, or (after a SIGKILL) when it has not exited within STOP_TIMEOUT_MS.
export function stopServer(running) {
  if (!running) return Promise.resolve();
  return new Promise((resolveStop, rejectStop) => {
    const timer = setTimeout(() => {
      running.process.kill('SIGKILL');
      rejectStop(new Error(`statusd did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`));
    }, STOP_TIMEOUT_MS);
    running.process.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveStop();
      else rejectStop(new Error(`statusd exited with ${code ?? signal} after SIGTERM`));
    });
    running.process.kill('SIGTERM');
  });
}

// Launches Chromium headless with the arguments above; extra is merged into playwright's launch
// options (for example env, to give Chromium a HOME of its own).
export function launchChromium(extra = {}) {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, ...extra });
}
