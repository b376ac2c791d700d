// The browser tests' harness: the real `tenantry-server` on 127.0.0.1 with a database of its own
// (as tests/src/server.rs starts it for the Rust end-to-end tests), and Debian's Chromium driven
// headless by playwright-core. For tests run by Node's own runner (`node --test`).
//
//   const server = await startServer({ t });          // stopped after the test
//   const browser = await launchBrowser({ t });       // closed after the test
//   const page = await browser.newPage();             // a fresh context: one simulated user
//   await page.goto(`${server.base}/login`);
//   await screenshot(page, 'login');                  // target/browser-screenshots/login.png
//
// Every context the browser opens lets requests reach 127.0.0.1 (and localhost) only; anything
// else is aborted and listed in `context.blockedRequests`.

import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

/** The repository's root (this file is tests/browser/harness.mjs). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// The same test settings as tests/src/server.rs.
/** The root group's first SuperUser, created by every test server's first start. */
export const ADMIN_EMAIL = 'admin@tenantry.test';
export const ADMIN_PASSWORD = 'test root password';
/** The root group's name on a fresh test server. */
export const ROOT_NAME = 'My Company';

/** Where `screenshot` writes: target/ is ignored by git and kept by CI runs on the machine. */
export const SCREENSHOTS_DIR = path.join(REPO, 'target', 'browser-screenshots');

/** Debian's Chromium (package `chromium`); playwright never downloads a browser of its own. */
export const CHROMIUM = process.env.TENANTRY_CHROMIUM || '/usr/bin/chromium';

// How long the server may take to print its address (migrations on a fresh database included).
const START_TIMEOUT_MS = 60_000;

let started = 0;
/** Every server this test file started and has not cleaned up yet (see `cleanUpAtExit`). */
const live = new Set();
/** Log files of servers already stopped: removed at exit if every test passed, kept otherwise. */
const logs = [];

/**
 * The server binary: `TENANTRY_SERVER_BIN`, or the debug build cargo puts in its target folder
 * (`CARGO_TARGET_DIR`, which cargo sets for the tasks it runs, else the repository's `target`).
 */
export function serverBinary() {
  const target = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target');
  const binary = process.env.TENANTRY_SERVER_BIN || path.join(path.resolve(REPO, target), 'debug', 'tenantry-server');
  if (!fs.existsSync(binary)) {
    throw new Error(
      `${binary} is missing: build it first (\`cargo xtask test\` builds every binary, then tests)`,
    );
  }
  return binary;
}

/**
 * Starts `tenantry-server` on a fresh database, on 127.0.0.1 with an ephemeral port, and waits
 * until it listens. `env` adds `TENANTRY__…` settings (they win over the test settings). With
 * `t` (the test's context), the server is stopped when the test ends.
 *
 * Answers `{ base, log, databaseUrl, stop() }`: `base` is `http://127.0.0.1:PORT`; `stop()` kills
 * the server and removes its database. Its log (the server's stderr) is removed when the test
 * file ends with every test passed, and otherwise kept, its path printed.
 */
export async function startServer({ env = {}, t } = {}) {
  const binary = serverBinary();
  const n = started++;
  const tag = `${process.pid}_${n}`;
  const database = freshDatabase(tag);
  const log = path.join(os.tmpdir(), `tenantry-browser-server-${tag}.log`);
  const logFd = fs.openSync(log, 'w');
  const childEnv = { ...process.env };
  delete childEnv.TENANTRY_CONFIG;
  delete childEnv.RUST_LOG;
  Object.assign(
    childEnv,
    {
      TENANTRY__DATABASE__URL: database.url,
      TENANTRY__SERVER__HOST: '127.0.0.1',
      TENANTRY__SERVER__PORT: '0',
      TENANTRY__SERVER__WORKERS: '2',
      // The suite logs in from 127.0.0.1 more often than a person would.
      TENANTRY__AUTH__LOGIN_ATTEMPTS_PER_MINUTE: '1000000',
      TENANTRY__BOOTSTRAP__ADMIN_EMAIL: ADMIN_EMAIL,
      TENANTRY__BOOTSTRAP__ADMIN_PASSWORD: ADMIN_PASSWORD,
      // The plugins cargo built beside the server binary.
      TENANTRY__PLUGINS__DIR: path.dirname(binary),
      // The stand-in installers the Rust end-to-end tests offer too.
      TENANTRY__DOWNLOADS__DIR: path.join(REPO, 'tests', 'fixtures', 'downloads'),
    },
    env,
  );
  let child;
  try {
    child = spawn(binary, [], { env: childEnv, stdio: ['ignore', 'pipe', logFd] });
  } catch (error) {
    dropDatabase(database);
    throw error;
  } finally {
    fs.closeSync(logFd);
  }
  const server = {
    base: '',
    log,
    databaseUrl: database.url,
    name: t?.name ?? '',
    child,
    database,
    stopped: null,
    stop: () => stopServer(server),
  };
  live.add(server);
  cleanUpAtExit();
  try {
    server.base = await waitForAddress(child, log);
  } catch (error) {
    await server.stop();
    throw error;
  }
  // Not kept alive by the server: a test file that forgets to stop one still ends, and the exit
  // handler kills it.
  child.unref();
  child.stdout.unref();
  t?.after(() => server.stop());
  return server;
}

/** Kills the server and removes its database; safe to call more than once. */
function stopServer(server) {
  if (!server.stopped) {
    server.stopped = (async () => {
      const { child } = server;
      // (No pid: it never started, and there is nothing to wait for.)
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.ref(); // the wait below must keep the test file alive
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      dropDatabase(server.database);
      live.delete(server);
      logs.push(server);
    })();
  }
  return server.stopped;
}

/** Waits for the line the server prints once it listens, and answers its base URL. */
function waitForAddress(child, log) {
  const prefix = 'tenantry-server listening on ';
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn, value) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        fn(value);
      }
    };
    const fail = (why) =>
      settle(reject, new Error(`tenantry-server did not start (${why}); its log (${log}):\n${readLog(log)}`));
    const timer = setTimeout(() => fail(`no address within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    // Read to the end, so that the server never blocks on a full pipe.
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(prefix)) {
        settle(resolve, line.slice(prefix.length).trim());
      }
    });
    child.once('error', (error) => fail(`cannot run ${child.spawnfile}: ${error.message}`));
    child.once('exit', (code, signal) => fail(`it exited with ${signal ?? `code ${code}`}`));
  });
}

function readLog(log) {
  try {
    return fs.readFileSync(log, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A new, empty database: a SQLite file in a folder of its own, or, when
 * `TENANTRY_TEST_POSTGRES_URL` names a PostgreSQL server, a database created there with psql.
 */
function freshDatabase(tag) {
  const adminUrl = process.env.TENANTRY_TEST_POSTGRES_URL;
  if (adminUrl) {
    const name = `tenantry_browser_${tag}`;
    psql(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    psql(adminUrl, `CREATE DATABASE ${name}`);
    return { kind: 'postgres', adminUrl, name, url: replaceDatabase(adminUrl, name) };
  }
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `tenantry-browser-${tag}-`));
  return { kind: 'sqlite', folder, url: `sqlite://${path.join(folder, 'tenantry.db')}` };
}

/** Synchronous, so that the exit handler can use it too; best effort. */
function dropDatabase(database) {
  if (database.dropped) {
    return;
  }
  database.dropped = true;
  try {
    if (database.kind === 'postgres') {
      psql(database.adminUrl, `DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`);
    } else {
      fs.rmSync(database.folder, { recursive: true, force: true });
    }
  } catch (error) {
    console.error(`cannot remove the test database ${database.url}: ${error.message}`);
  }
}

function psql(url, sql) {
  const result = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', `--dbname=${url}`, '-c', sql], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) {
    throw new Error(`cannot run psql (Debian: postgresql-client): ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`psql ${url} -c '${sql}' failed: ${result.stderr.trim()}`);
  }
}

/** `postgres://user@host:port/postgres?x=y` with its database swapped for `name` (as database.rs). */
export function replaceDatabase(url, name) {
  const [base, query] = url.includes('?') ? [url.slice(0, url.indexOf('?')), url.slice(url.indexOf('?') + 1)] : [url, null];
  const authorityEnd = base.includes('://') ? base.indexOf('://') + 3 : 0;
  const slash = base.indexOf('/', authorityEnd);
  const server = slash === -1 ? base : base.slice(0, slash);
  return query === null ? `${server}/${name}` : `${server}/${name}?${query}`;
}

let exitHandlerInstalled = false;

/**
 * At the end of the test file: kill servers still running, remove their databases, and keep the
 * logs only if a test failed (the runner has set the exit code by then), saying where they are.
 */
function cleanUpAtExit() {
  if (exitHandlerInstalled) {
    return;
  }
  exitHandlerInstalled = true;
  process.on('exit', (code) => {
    for (const server of live) {
      try {
        server.child.kill('SIGKILL');
      } catch {
        // already gone
      }
      dropDatabase(server.database);
      logs.push(server);
    }
    live.clear();
    const failed = code !== 0 || (process.exitCode ?? 0) !== 0;
    for (const server of logs) {
      if (failed) {
        console.error(`server log kept at ${server.log}${server.name ? ` (test "${server.name}")` : ''}`);
      } else {
        fs.rmSync(server.log, { force: true });
      }
    }
  });
}

/**
 * Debian's Chromium, headless, with a profile of its own: playwright's `launch` creates a fresh
 * temporary `--user-data-dir` for each browser and removes it on close (it refuses the flag in
 * `args`; that is what `launchPersistentContext` is for, which gives one context only). Each
 * `browser.newContext()` / `browser.newPage()` is a separate, cookie-less simulated user, and
 * lets requests reach 127.0.0.1 only. With `t`, the browser is closed when the test ends.
 */
export async function launchBrowser({ t, ...options } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (\`apt-get install chromium\`)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', // as root, Chromium's sandbox cannot start
      '--disable-gpu',
      // Chromium's own calls home, which this machine's closed network refuses, noisily.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
    ...options,
  });
  const newContext = browser.newContext.bind(browser);
  const newPage = browser.newPage.bind(browser);
  browser.newContext = async (contextOptions) => guard(await newContext(contextOptions));
  browser.newPage = async (pageOptions) => {
    const page = await newPage(pageOptions);
    await guard(page.context());
    return page;
  };
  t?.after(() => browser.close());
  return browser;
}

const guarded = new WeakSet();

/** Aborts every request of the context to a host other than 127.0.0.1 or localhost. */
async function guard(context) {
  if (guarded.has(context)) {
    return context;
  }
  guarded.add(context);
  context.blockedRequests = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) {
      return route.continue();
    }
    context.blockedRequests.push(url);
    console.error(`blocked a request to ${url}: tests reach 127.0.0.1 only`);
    return route.abort('blockedbyclient');
  });
  return context;
}

function isLocal(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') {
    return true;
  }
  return ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
}

/**
 * Saves a full-page PNG of `page` as target/browser-screenshots/<name>.png and answers its path.
 * `name` may hold `/` for a sub-folder.
 */
export async function screenshot(page, name) {
  const file = path.resolve(SCREENSHOTS_DIR, `${name.replace(/[^A-Za-z0-9._/-]/g, '-')}.png`);
  if (!file.startsWith(SCREENSHOTS_DIR + path.sep)) {
    throw new Error(`screenshot name ${name} leaves ${SCREENSHOTS_DIR}`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * The SMTP sink the Rust end-to-end tests use (`tests/smtp_sink.py`, Debian's python3-aiosmtpd,
 * which `cargo xtask test` installs), on a port of the system's choosing on 127.0.0.1: `url` for
 * a server's `mail.smtp_url`, `messages()` the messages it accepted. Stopped with `stop()`.
 */
export async function startSmtpSink() {
  const file = path.join(os.tmpdir(), `tenantry-browser-smtp-${process.pid}-${Date.now()}.jsonl`);
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const child = spawn(python, [path.join(REPO, 'tests', 'smtp_sink.py'), file], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('the SMTP sink did not start')), START_TIMEOUT_MS);
    child.once('error', (error) => reject(new Error(`cannot run the SMTP sink: ${error.message}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const found = /^port (\d+)$/.exec(line.trim());
      if (found) {
        resolve(Number(found[1]));
      } else {
        reject(new Error(`the SMTP sink said ${line}`));
      }
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages: () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')
      .split('\n').filter(Boolean).map((line) => JSON.parse(line)),
    stop: () => {
      child.kill();
      fs.rmSync(file, { force: true });
    },
  };
}
