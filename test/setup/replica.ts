import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { embeddedServerBinary, launchPostmaster, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { freePort } from '../../src/shared/free-port.ts';

const run = promisify(execFile);
const SLOT = 'boxoffice_test_standby';

export type PrimaryAndStandby = {
  primary: EmbeddedPostgres;
  /** The app's database on the standby (same role and password: it is a physical copy). */
  standbyUrl: string;
  /** The standby as the superuser, to pause and resume its replay. */
  standbySuperuserUrl: string;
  stopStandby(): Promise<void>;
  stop(): Promise<void>;
};

function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

/**
 * An embedded PostgreSQL and a streaming standby of it, made the way
 * pg_basebackup does (the embedded package has no pg_basebackup): a
 * replication slot so the primary keeps the WAL, the low-level backup API
 * around a copy of the data folder, then `standby.signal` and
 * `primary_conninfo` in the copy.
 */
export async function startPrimaryAndStandby(): Promise<PrimaryAndStandby> {
  const log = pino({ level: 'warn' });
  const primaryDir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-primary-'));
  const standbyDir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-standby-'));
  await Promise.all([chmod(primaryDir, 0o755), chmod(standbyDir, 0o755)]); // the postgres user must reach its cluster inside
  const primary = await startEmbeddedPostgres(primaryDir, log);
  const superuserPassword = decodeURIComponent(new URL(primary.superuserUrl).password);
  const primaryPort = Number(new URL(primary.superuserUrl).port);

  const admin = new pg.Client({ connectionString: primary.superuserUrl });
  await admin.connect();
  const clusterCopy = path.join(standbyDir, 'postgres');
  try {
    await admin.query('SELECT pg_create_physical_replication_slot($1, true)', [SLOT]);
    await admin.query("SELECT pg_backup_start('boxoffice-test-standby', true)");
    await run('cp', ['-a', path.join(primaryDir, 'postgres'), clusterCopy]); // -a keeps the postgres user's ownership
    const { rows } = await admin.query<{ labelfile: string }>('SELECT labelfile FROM pg_backup_stop(false)');
    await writeFile(path.join(clusterCopy, 'backup_label'), rows[0]!.labelfile);
  } finally {
    await admin.end();
  }
  await run('sh', ['-c', 'rm -rf "$1"/postmaster.pid "$1"/postmaster.opts "$1"/pg_wal/* "$1"/pg_replslot/*', 'sh', clusterCopy]);
  await writeFile(path.join(clusterCopy, 'standby.signal'), '');
  // The embedded passwords are base64url: nothing in them needs quoting.
  await appendFile(
    path.join(clusterCopy, 'postgresql.auto.conf'),
    `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres password=''${superuserPassword}'''\nprimary_slot_name = '${SLOT}'\n`,
  );
  if (process.getuid?.() === 0) {
    await run('chown', ['-R', 'postgres:postgres', clusterCopy]);
  }
  await chmod(clusterCopy, 0o700);

  const binary = await embeddedServerBinary(log);
  const standbyPort = await freePort();
  const standby = launchPostmaster(binary.postgres, clusterCopy, standbyPort, path.join(standbyDir, 'postgres.log'), binary.ids);
  const standbySuperuserUrl = withPort(primary.superuserUrl, standbyPort);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: standbySuperuserUrl });
    const inRecovery = await client.connect().then(
      async () => (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === true,
      () => false,
    );
    await client.end().catch(() => undefined);
    if (inRecovery) {
      break;
    }
    if (standby.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the standby did not start (see ${path.join(standbyDir, 'postgres.log')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  let standbyStopped: Promise<void> | undefined;
  const stopStandby = () =>
    (standbyStopped ??= new Promise<void>((resolve) => {
      if (standby.exitCode !== null || standby.signalCode !== null) {
        resolve();
        return;
      }
      standby.once('exit', () => resolve());
      standby.kill('SIGINT'); // fast shutdown
    }));
  return {
    primary,
    standbyUrl: withPort(primary.url, standbyPort),
    standbySuperuserUrl,
    stopStandby,
    stop: async () => {
      await stopStandby();
      await primary.stop();
      await binary.cleanup?.();
      await Promise.all([rm(primaryDir, { recursive: true, force: true }), rm(standbyDir, { recursive: true, force: true })]);
    },
  };
}
