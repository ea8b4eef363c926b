/**
 * Global setup for the browser tests: a fresh PostgreSQL database with the demo data, a flushed Redis
 * db, and one real daphne serving `backend.asgi:application` (the built frontend included) on a free
 * port, with a background task worker (`manage.py db_worker`: link previews, suggestions) next to it,
 * and a tiny local website for the link previews (`preview-server.ts`). Tests read the addresses with
 * `inject('serverUrl')` and `inject('previewServerUrl')`; teardown stops every process by its id.
 *
 * Environment (set by `make test-e2e`):
 * - E2E_DATABASE_URL  postgres://… — this database is DROPPED and re-created on every run
 * - E2E_REDIS_URL     redis://…/<db> — this Redis db is flushed on every run
 * - E2E_PYTHON        absolute path to the project's .venv/bin/python
 * Runs in parallel need a database and a Redis db of their own; the Redis key prefixes (channel
 * layer, presence, cache) are derived from the database name.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startPreviewServer } from './preview-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the daphne under test. */
    serverUrl: string;
    serverPort: number;
    /** daphne's log file: tests fail when the server logs a traceback during them. */
    serverLog: string;
    /** The task worker's log file: read by the same guard. */
    workerLog: string;
    /** `http://127.0.0.1:<port>` of the local website whose link previews the worker may fetch. */
    previewServerUrl: string;
  }
}

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REPO = resolve(FRONTEND, '..');
const START_TIMEOUT_MS = Number(process.env.E2E_START_TIMEOUT_MS) || 90_000; // a busy 2-core machine can be slow to start daphne
const STOP_TIMEOUT_MS = 10_000;

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set. Run the browser tests with \`make test-e2e\` from the repository root ` +
        '(it sets E2E_DATABASE_URL, E2E_REDIS_URL and E2E_PYTHON).',
    );
  }
  return value;
}

/** Runs the project's Python (cwd = repo root); throws with its output when it fails. */
function python(py: string, args: string[], env: NodeJS.ProcessEnv, what: string): void {
  const result = spawnSync(py, args, { cwd: REPO, env, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`${what}: cannot run ${py}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

// Drops and re-creates the e2e database through the `postgres` maintenance database (same credentials).
const RESET_DATABASE = `
import os, psycopg
from psycopg import sql
from urllib.parse import unquote, urlparse
url = os.environ["E2E_DATABASE_URL"]
name = unquote(urlparse(url).path.lstrip("/"))
with psycopg.connect(url, dbname="postgres", autocommit=True, connect_timeout=10) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
`;

const FLUSH_REDIS = `
import os, redis
redis.Redis.from_url(os.environ["E2E_REDIS_URL"], socket_timeout=10).flushdb()
`;

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null> | T | null): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function healthy(url: string): Promise<true | null> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return response.ok && (await response.json()).status === 'ok' ? true : null;
  } catch {
    return null;
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      done();
    });
    child.kill('SIGTERM');
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const databaseUrl = required('E2E_DATABASE_URL');
  const redisUrl = required('E2E_REDIS_URL');
  const py = required('E2E_PYTHON');

  const dbName = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  if (!/^postgres(ql)?:$/.test(new URL(databaseUrl).protocol) || !dbName.includes('e2e')) {
    // The harness drops this database: refuse anything that does not look like a throwaway one.
    throw new Error(`E2E_DATABASE_URL must be a PostgreSQL database whose name contains "e2e" (got "${dbName}").`);
  }
  if (!existsSync(py)) throw new Error(`E2E_PYTHON=${py} does not exist (run \`make backend-deps\`).`);
  const daphne = join(dirname(py), 'daphne');
  if (!existsSync(daphne)) throw new Error(`daphne not found next to E2E_PYTHON (${daphne}).`);
  if (!existsSync(join(FRONTEND, 'dist', 'index.html'))) {
    throw new Error('frontend/dist/index.html is missing: build the frontend first (`npm run build`, or `make test-e2e`).');
  }

  // Redis names follow the database, so parallel runs keep their channel groups, presence and cache
  // keys apart (each still needs a Redis db of its own: it is flushed).
  const redisPrefix = `kce2e_${dbName.replace(/[^A-Za-z0-9_]/g, '_')}`;

  // The one loopback port the preview fetcher may reach (a test-only setting; empty in real deployments).
  const preview = await startPreviewServer();

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    E2E_DATABASE_URL: databaseUrl,
    E2E_REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    DJANGO_DEBUG: '1',
    DJANGO_SETTINGS_MODULE: 'backend.settings',
    KENNISCLOUD_CHANNEL_PREFIX: redisPrefix,
    KENNISCLOUD_CACHE_PREFIX: redisPrefix,
    KENNISCLOUD_DISABLE_AUTH_RATE_LIMITS: '1',
    // The journeys sign up and are signed in at once (production confirms the address first), and a
    // handful of users make every request of the run: no REST throttling of their pace.
    KENNISCLOUD_EMAIL_VERIFICATION: 'optional',
    KENNISCLOUD_USER_RATE: 'off',
    KENNISCLOUD_WRITE_RATE: 'off',
    KENNISCLOUD_SEARCH_RATE: 'off',
    KENNISCLOUD_PREVIEW_TEST_LOOPBACK_PORTS: String(preview.port),
    KENNISCLOUD_SUGGESTION_DEBOUNCE_SECONDS: '1',
    PYTHONUNBUFFERED: '1',
  };

  try {
    python(py, ['-c', RESET_DATABASE], env, `re-creating database ${dbName}`);
    python(py, ['-c', FLUSH_REDIS], env, `flushing ${redisUrl}`);
    python(py, ['manage.py', 'migrate', '-v0'], env, 'manage.py migrate');
    python(py, ['manage.py', 'load_demo', '-v0'], env, 'manage.py load_demo');
  } catch (err) {
    await preview.close();
    throw err;
  }

  // Port 0: the kernel picks a free port and daphne logs it, so concurrent runs never collide.
  const logDir = mkdtempSync(join(tmpdir(), 'kenniscloud-e2e-'));
  const logPath = join(logDir, 'daphne.log');
  const logFd = openSync(logPath, 'w');
  const child = spawn(daphne, ['-b', '127.0.0.1', '-p', '0', 'backend.asgi:application'], {
    cwd: REPO,
    env,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');

  // The background tasks (link previews, suggestions) run in their own process, as in production.
  // --no-reload: with DJANGO_DEBUG the autoreloader would fork a child that a stop by pid misses.
  const workerLogPath = join(logDir, 'worker.log');
  const workerFd = openSync(workerLogPath, 'w');
  const worker = spawn(py, ['manage.py', 'db_worker', '--interval', '0.2', '--no-reload', '--no-startup-delay'], {
    cwd: REPO,
    env,
    stdio: ['ignore', workerFd, workerFd],
  });
  closeSync(workerFd);
  const workerLog = () => (existsSync(workerLogPath) ? readFileSync(workerLogPath, 'utf8') : '');

  // Last resort if the runner dies without teardown: never leave daphne or the worker running.
  const killOnExit = () => {
    child.kill('SIGKILL');
    worker.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let port: number;
  try {
    port = await waitFor('daphne to listen', START_TIMEOUT_MS, () => {
      if (child.exitCode !== null) throw new Error(`daphne exited with ${child.exitCode}:\n${log()}`);
      const match = /Listening on TCP address 127\.0\.0\.1:(\d+)/.exec(log());
      return match ? Number(match[1]) : null;
    });
    await waitFor(`/healthz on port ${port}`, START_TIMEOUT_MS, () => healthy(`http://127.0.0.1:${port}`));
    if (worker.exitCode !== null) throw new Error(`the task worker exited with ${worker.exitCode}:\n${workerLog()}`);
  } catch (err) {
    await Promise.all([stop(child), stop(worker), preview.close()]);
    process.removeListener('exit', killOnExit);
    throw new Error(`${(err as Error).message}\n--- daphne log ---\n${log()}\n--- worker log ---\n${workerLog()}`);
  }

  project.provide('serverUrl', `http://127.0.0.1:${port}`);
  project.provide('serverPort', port);
  project.provide('serverLog', logPath);
  project.provide('workerLog', workerLogPath);
  project.provide('previewServerUrl', preview.url);

  return async () => {
    await Promise.all([stop(child), stop(worker)]);
    await preview.close();
    process.removeListener('exit', killOnExit);
    // Server-side errors are worth seeing even when every test passed; otherwise drop the logs.
    let kept = false;
    for (const [name, path, text] of [
      ['daphne', logPath, log()],
      ['the task worker', workerLogPath, workerLog()],
    ] as const) {
      if (!/Traceback|ERROR|Internal Server Error/.test(text)) continue;
      kept = true;
      console.warn(`${name} logged errors during the browser tests; full log kept at ${path}:\n` +
        text.split('\n').filter((l) => /Traceback|ERROR|Error|Exception/.test(l)).slice(-20).join('\n'));
    }
    if (!kept) rmSync(logDir, { recursive: true, force: true });
  };
}
