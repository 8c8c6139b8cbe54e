import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/shared/free-port.ts';

/** Debian's PgBouncer (`apt-get install pgbouncer`); PGBOUNCER_PATH points elsewhere. */
const PGBOUNCER_PATH = process.env['PGBOUNCER_PATH'] ?? '/usr/sbin/pgbouncer';
/** null when there is no PgBouncer: the scale-out tests are then skipped. */
export const pgbouncerPath: string | null = existsSync(PGBOUNCER_PATH) ? PGBOUNCER_PATH : null;
export const pgbouncerMissing = `PgBouncer tests skipped: no PgBouncer at ${PGBOUNCER_PATH} (apt-get install pgbouncer)`;

export type PgBouncer = {
  /** `target` with PgBouncer's host and port: the same user, password and database, pooled. */
  url: string;
  stop(): Promise<void>;
};

/**
 * PgBouncer in front of the PostgreSQL of `target`, configured as the stock
 * pgbouncer.ini is plus what any deployment sets (where to listen, who may
 * connect, `pool_mode = transaction`): no `ignore_startup_parameters`, no
 * prepared-statement support. It refuses to run as root, so as root it is
 * started as the `postgres` user (which the embedded PostgreSQL created).
 */
export async function startPgBouncer(target: string, options: { poolSize?: number } = {}): Promise<PgBouncer> {
  if (pgbouncerPath === null) {
    throw new Error(pgbouncerMissing);
  }
  const server = new URL(target);
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-pgbouncer-'));
  const user = decodeURIComponent(server.username);
  const quoted = (value: string) => `"${value.replaceAll('"', '""')}"`;
  await writeFile(path.join(dir, 'userlist.txt'), `${quoted(user)} ${quoted(decodeURIComponent(server.password))}\n`, { mode: 0o600 });
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 20}`,
      'max_client_conn = 1000',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    await Promise.all(['.', 'userlist.txt', 'pgbouncer.ini'].map((file) => chown(path.join(dir, file), uid, gid)));
    await chmod(dir, 0o700);
  }
  const child: ChildProcess = spawn(pgbouncerPath, [...(asRoot ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT'); // PgBouncer's immediate shutdown
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`PgBouncer did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return { url: url.toString(), stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
