import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { createTestDatabase, type TestDatabase } from '../setup/database.ts';
import { createShow, createUser, showSeatRows } from '../setup/factories.ts';
import { withDatabaseName } from '../setup/global-setup.ts';
import { httpClient } from '../setup/http.ts';
import { freePort } from '../../src/shared/free-port.ts';
import { lockKeys } from '../../src/db/migrate.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/boxoffice.js');

type Env = Record<string, string | undefined>;
type Exit = { code: number | null; signal: NodeJS.Signals | null };
type Finished = Exit & { stdout: string; stderr: string; ms: number };

/** The environment of a child: ours, minus anything that would change its behaviour, plus `env` (undefined deletes). */
function childEnv(env: Env): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'PORT', 'HOST', 'LOG_LEVEL', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'NODE_OPTIONS']) {
    delete merged[name];
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) {
      delete merged[name];
    } else {
      merged[name] = value;
    }
  }
  return merged;
}

const started: ChildProcess[] = [];

/** A running `bin/boxoffice.js` process whose output we collect and whose exit we can await. */
function launch(args: string[], env: Env, node = process.execPath, cwd = root) {
  const begin = Date.now();
  const child = spawn(node, [bin, ...args], { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // 'close' waits for stdio to drain, so the output is complete.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    child,
    output: () => ({ stdout, stderr }),
    finished: async (timeoutMs = 30_000): Promise<Finished> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`boxoffice ${args.join(' ')} did not exit within ${timeoutMs} ms: ${stdout}${stderr}`)), timeoutMs);
      });
      try {
        const exit = await Promise.race([exited, timeout]);
        await closed;
        return { ...exit, stdout, stderr, ms: Date.now() - begin };
      } finally {
        clearTimeout(timer);
      }
    },
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}
type Launched = ReturnType<typeof launch>;

const runCli = (args: string[], env: Env, timeoutMs?: number) => launch(args, env).finished(timeoutMs);

/** Non-empty lines of some output. */
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');


/** Waits until the server answers /healthz 200, failing early with its output if it exits. */
async function waitHealthy(server: Launched, baseUrl: string, timeoutMs: number): Promise<void> {
  const http = httpClient(baseUrl, new Agent({ keepAlive: false }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!server.alive()) {
      const { stdout, stderr } = server.output();
      throw new Error(`server exited before it was healthy: ${stdout}${stderr}`);
    }
    const status = await http.get('/healthz').then(
      (reply) => reply.status,
      () => 0,
    );
    if (status === 200) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`server not healthy within ${timeoutMs} ms: ${JSON.stringify(server.output())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const serverEnv = (port: number, env: Env): Env => ({
  PORT: String(port),
  HOST: '127.0.0.1',
  RATE_LIMITS: 'off',
  SWEEP_INTERVAL_SECONDS: '0',
  LOG_LEVEL: 'warn',
  ...env,
});

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, just not ours to signal
  }
}

afterAll(() => {
  // A failed test must not leave servers behind; each of these is a process this file started.
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
});

describe('embedded PostgreSQL by default (no DATABASE_URL)', { timeout: 180_000 }, () => {
  let dataDir: string;
  const clusterDir = () => path.join(dataDir, 'postgres');

  /** postmaster.pid: line 1 is the pid, line 4 the port. */
  function postmaster(): { pid: number; port: number } {
    const [pid, , , port] = readFileSync(path.join(clusterDir(), 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(pid), port: Number(port) };
  }
  // The app role's random password, kept in DATA_DIR on first start (src/db/embedded.ts).
  const embeddedUrl = (port: number) => {
    const { owner } = JSON.parse(readFileSync(path.join(dataDir, 'postgres-credentials.json'), 'utf8')) as { owner: string };
    return `postgres://boxoffice:${encodeURIComponent(owner)}@127.0.0.1:${port}/boxoffice`;
  };

  async function counts(port: number) {
    const client = new pg.Client({ connectionString: embeddedUrl(port) });
    await client.connect();
    try {
      const { rows } = await client.query<{ venues: number; showtimes: number; show_seats: number; bookings: number }>(
        `SELECT (SELECT count(*) FROM venues)::int AS venues, (SELECT count(*) FROM showtimes)::int AS showtimes,
                (SELECT count(*) FROM show_seats)::int AS show_seats, (SELECT count(*) FROM bookings)::int AS bookings`,
      );
      const bookings = await client.query<{ id: number; showtime_id: number; seat_id: number }>(
        'SELECT id, showtime_id, seat_id FROM bookings ORDER BY id',
      );
      return { ...rows[0]!, bookingRows: bookings.rows };
    } finally {
      await client.end();
    }
  }

  async function startEmbedded(): Promise<{ server: Launched; baseUrl: string }> {
    const port = await freePort();
    const server = launch(['start'], serverEnv(port, { DATABASE_URL: undefined, DATA_DIR: dataDir, LOG_LEVEL: 'info' }));
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitHealthy(server, baseUrl, 150_000);
    return { server, baseUrl };
  }

  async function stopAndExpectClean(server: Launched, postgresPid: number): Promise<void> {
    server.child.kill('SIGTERM');
    const exit = await server.finished(30_000);
    expect(exit, exit.stdout + exit.stderr).toMatchObject({ code: 0, signal: null });
    expect(existsSync(path.join(clusterDir(), 'postmaster.pid'))).toBe(false);
    expect(pidIsAlive(postgresPid)).toBe(false);
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-startup-'));
    await chmod(dataDir, 0o755); // the embedded server runs as the `postgres` system user
  });
  afterAll(async () => {
    // If a test failed midway, stop a postgres left running on our DATA_DIR before removing it.
    if (dataDir !== undefined && existsSync(path.join(clusterDir(), 'postmaster.pid'))) {
      const { pid } = postmaster();
      if (pidIsAlive(pid)) {
        process.kill(pid, 'SIGINT');
        for (let i = 0; i < 100 && pidIsAlive(pid); i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when started on a fresh DATA_DIR, then it creates, seeds and serves; SIGTERM stops it and its database; a restart keeps everything', async () => {
    // First start: initdb, migrate, seed, serve.
    const first = await startEmbedded();
    expect(existsSync(path.join(clusterDir(), 'PG_VERSION'))).toBe(true);
    const firstPostgres = postmaster();
    expect(pidIsAlive(firstPostgres.pid)).toBe(true);
    expect(first.server.output().stdout).toContain('seeded the demo cinema');

    const http = httpClient(first.baseUrl, new Agent({ keepAlive: false }));
    const layout = await http.get('/api/hall-layout/1/');
    expect(layout.status).toBe(200);
    expect(layout.body.venue_name).toBe('Metro Cineplex');
    expect(layout.body.seats.length).toBeGreaterThan(0);

    const credentials = { username: `moviegoer${randomBytes(3).toString('hex')}`, password: 'popcorn-and-soda' };
    expect((await http.post('/api/auth/register', credentials)).status).toBe(201);
    const login = await http.post('/api/auth/login', credentials);
    expect(login.status).toBe(200);
    const seatId: number = layout.body.seats[0].id;
    const token: string = login.body.token;
    // The demo cinema takes payment: direct booking points to checkout; a checkout paid with the test card books.
    const direct = await http.post('/api/book-seat/', { show_id: 1, seat_id: seatId }, { token });
    expect(direct.status).toBe(409);
    expect((await http.post('/api/hold-seat/', { show_id: 1, seat_id: seatId }, { token })).status).toBe(200);
    const order = await http.post('/api/orders', { show_id: 1, tickets: [{ seat_id: seatId, ticket_type: 'STUDENT' }] }, { token, headers: { 'idempotency-key': randomBytes(8).toString('hex') } });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    const paid = await http.post(`/api/test-provider/payments/${order.body.payment.id}/confirm`, { client_secret: order.body.payment.client_secret, card_number: '4242 4242 4242 4242' });
    expect(paid.body.status).toBe('succeeded');
    let line: any;
    for (let i = 0; i < 100 && (line?.booking_id ?? null) === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      line = (await http.get(`/api/orders/${order.body.id}`, { token })).body.lines[0];
    }
    const booking = { body: { booking_id: line.booking_id } };

    const before = await counts(firstPostgres.port);
    expect(before.venues).toBe(1);
    expect(before.showtimes).toBeGreaterThan(0);
    expect(before.bookingRows).toEqual([{ id: booking.body.booking_id, showtime_id: 1, seat_id: seatId }]);

    await stopAndExpectClean(first.server, firstPostgres.pid);

    // Second start on the same DATA_DIR: same data, nothing re-seeded.
    const second = await startEmbedded();
    const secondPostgres = postmaster();
    expect(second.server.output().stdout).not.toContain('seeded the demo cinema');
    expect(second.server.output().stdout).not.toContain('creating the embedded PostgreSQL cluster');
    const after = await counts(secondPostgres.port);
    expect(after).toEqual(before);
    const layoutAgain = await httpClient(second.baseUrl, new Agent({ keepAlive: false })).get('/api/hall-layout/1/');
    expect(layoutAgain.body.seats.find((s: any) => s.id === seatId).status).toBe('booked');

    await stopAndExpectClean(second.server, secondPostgres.pid);
  });
});

describe('as root, from a folder the postgres user cannot enter (a 0700 home)', { timeout: 180_000 }, () => {
  it.skipIf(process.getuid?.() !== 0)(
    'when started with the default DATA_DIR, then the cluster lives under /var/lib/boxoffice (one log line says where), it serves, and a second start finds the same data',
    async () => {
      const home = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-home-')); // mkdtemp makes it 0700
      const relocated: string[] = [];
      try {
        for (const round of [1, 2]) {
          const port = await freePort();
          const server = launch(['start'], serverEnv(port, { DATABASE_URL: undefined, DATA_DIR: undefined, LOG_LEVEL: 'info' }), process.execPath, home);
          const baseUrl = `http://127.0.0.1:${port}`;
          await waitHealthy(server, baseUrl, 150_000);
          const line = server.output().stdout.split('\n').find((l) => l.includes('the embedded PostgreSQL keeps its data in'));
          expect(line, server.output().stdout).toBeDefined();
          relocated.push((JSON.parse(line!) as { dataDir: string }).dataDir);
          expect((await httpClient(baseUrl).get('/api/hall-layout/1/')).status).toBe(200);
          expect(server.output().stdout.includes('seeded the demo cinema')).toBe(round === 1);
          server.child.kill('SIGTERM');
          expect(await server.finished(30_000)).toMatchObject({ code: 0, signal: null });
        }
        expect(relocated[0]).toMatch(/^\/var\/lib\/boxoffice\/[0-9a-f]{16}$/);
        expect(relocated[1]).toBe(relocated[0]);
      } finally {
        await rm(home, { recursive: true, force: true });
        for (const dir of new Set(relocated)) {
          await rm(dir, { recursive: true, force: true });
        }
      }
    },
  );
});

describe('startup failures', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it.each(['not a url', 'mysql://x', 'postgres://user@host:notaport/db', 'http://localhost/db'])(
    'when DATABASE_URL is %j, then it exits non-zero at once with one line starting "boxoffice:"',
    async (url) => {
      const exit = await runCli(['start'], { DATABASE_URL: url, PORT: String(await freePort()) }, 15_000);
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(exit.ms).toBeLessThan(10_000);
      expect(exit.stderr.endsWith('\n')).toBe(true);
      expect(lines(exit.stderr)).toHaveLength(1);
      expect(exit.stderr).toMatch(/^boxoffice: .*DATABASE_URL/);
      expect(exit.stdout).toBe('');
    },
  );

  it('when the port is taken, then it exits non-zero with one line naming the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const exit = await runCli(['start'], serverEnv(port, { DATABASE_URL: database.url, LOG_LEVEL: undefined }), 30_000);
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(lines(exit.stderr)).toHaveLength(1);
      expect(exit.stderr).toMatch(/^boxoffice: /);
      expect(exit.stderr).toContain(String(port));
      expect(exit.stderr).toMatch(/in use/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('graceful shutdown (SIGTERM) with DATABASE_URL', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('when `npm start` gets SIGTERM, then the server behind it stops too (npm forwards it; no orphan keeps the port)', async () => {
    const port = await freePort();
    const env = childEnv(serverEnv(port, { DATABASE_URL: database.url }));
    const npmCli = process.env['npm_execpath']; // set when the tests run under npm, as `npm test` does
    const npm =
      npmCli === undefined ? spawn('npm', ['start'], { cwd: root, env }) : spawn(process.execPath, [npmCli, 'start'], { cwd: root, env });
    started.push(npm);
    const http = httpClient(`http://127.0.0.1:${port}`, new Agent({ keepAlive: false }));
    const health = () =>
      http.get('/healthz').then(
        (reply) => reply.status,
        () => 0,
      );
    await expect.poll(health, { timeout: 30_000, interval: 100 }).toBe(200);
    const npmExit = new Promise((resolve) => npm.once('exit', resolve));
    npm.kill('SIGTERM');
    await npmExit;
    // The script is `exec node …`: without exec, sh stands between npm and node, dies of the signal and leaves node running.
    await expect.poll(health, { timeout: 10_000, interval: 100 }).toBe(0);
  });

  it('when SIGTERM (twice) arrives while a request waits on a row lock, then that request is answered 200, new connections are refused, and it exits 0', async () => {
    const show = await createShow(database.db, { rows: 1, seatsPerRow: 3 });
    const user = await createUser(database.db);
    const seatId = show.seatIds[0]!;
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const server = launch(['start'], serverEnv(port, { DATABASE_URL: database.url, LOG_LEVEL: 'info' }));
    await waitHealthy(server, baseUrl, 30_000);

    // Hold the seat's row lock from here, so the server's hold-seat transaction waits on it.
    const locker = new pg.Client({ connectionString: database.url, application_name: 'startup-test-locker' });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM show_seats WHERE showtime_id = $1 AND seat_id = $2 FOR UPDATE', [show.showId, seatId]);

      // Settled into a value at once, so a dropped connection fails the assertion below, not the run.
      const inFlight = httpClient(baseUrl, new Agent({ keepAlive: false }))
        .post('/api/hold-seat/', { show_id: show.showId, seat_id: seatId }, { token: user.token })
        .catch((error: Error) => ({ status: `no answer: ${error.message}`, body: undefined }));
      // Wait until the server's transaction is really blocked on our lock (it gives up after lock_timeout = 3 s).
      for (let i = 0; ; i++) {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'boxoffice' AND wait_event_type = 'Lock'`.execute(database.db);
        if (rows[0]!.n > 0) {
          break;
        }
        expect(i, 'the hold request never waited on the row lock').toBeLessThan(200);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }

      server.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(server.alive()).toBe(true); // still finishing the request in flight
      const fresh = await httpClient(baseUrl, new Agent({ keepAlive: false }))
        .get('/healthz')
        .then((reply) => reply.status, (error: NodeJS.ErrnoException) => error.code);
      expect(['ECONNREFUSED', 'ECONNRESET', 503]).toContain(fresh);
      server.child.kill('SIGTERM'); // npm forwards signals, so a second one is normal
      await new Promise((resolve) => setTimeout(resolve, 100));
      await locker.query('COMMIT');

      const reply = await inFlight;
      expect(reply.status).toBe(200);
      expect(reply.body?.detail).toBe('Seat held.');
      const exit = await server.finished(20_000);
      expect(exit, exit.stdout + exit.stderr).toMatchObject({ code: 0, signal: null });
      expect(exit.stdout).toContain('already shutting down');
    } finally {
      await locker.end();
    }
    const row = (await showSeatRows(database.db, show.showId)).find((r) => r.seat_id === seatId);
    expect(row).toMatchObject({ status: 'held', locked_by_id: user.id });
  });
});

describe('CLI commands', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  const withDb = (env: Env = {}): Env => ({ DATABASE_URL: database.url, ...env });

  it.each([['--help'], ['-h'], ['help']])('when run with %s, then it prints usage naming every command and exits 0', async (flag) => {
    const exit = await runCli([flag], withDb());
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/^Usage: boxoffice <command>/);
    for (const command of ['start', 'migrate', 'seed', 'create-admin', 'sweep', 'check', 'help']) {
      expect(exit.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(exit.stdout).toContain('--username U --password P');
    expect(exit.stderr).toBe('');
  });

  it('when the command is unknown, then exit 2 with one line naming it', async () => {
    const exit = await runCli(['frobnicate'], withDb());
    expect(exit.code).toBe(2);
    expect(lines(exit.stderr)).toEqual([expect.stringMatching(/^boxoffice: .*"frobnicate"/)]);
    expect(exit.stdout).toBe('');
  });

  it('when an option is unknown, then exit 2 with one line naming it', async () => {
    const exit = await runCli(['migrate', '--frobnicate'], withDb());
    expect(exit.code).toBe(2);
    expect(lines(exit.stderr)).toEqual([expect.stringMatching(/^boxoffice: .*--frobnicate/)]);
  });

  it('when migrate runs against a migrated database, then it prints one line and exits 0', async () => {
    const exit = await runCli(['migrate'], withDb());
    expect(exit.code).toBe(0);
    expect(lines(exit.stdout)).toEqual(['The database schema is up to date.']);
    expect(exit.stderr).toBe('');
  });

  it('when two migrate processes start at the same moment on a fresh empty database, then both exit 0 and the schema exists once', async () => {
    const serverUrl = inject('serverUrl');
    const name = `boxoffice_fresh_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = withDatabaseName(serverUrl, name);
    try {
      const exits = await Promise.all([runCli(['migrate'], { DATABASE_URL: url }), runCli(['migrate'], { DATABASE_URL: url })]);
      for (const exit of exits) {
        expect(exit, exit.stderr).toMatchObject({ code: 0 });
        expect(lines(exit.stdout)).toEqual(['The database schema is up to date.']);
      }
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const migrations = await client.query('SELECT name FROM kysely_migration ORDER BY name');
        expect(migrations.rows).toEqual([{ name: '0001_booking_core' }, { name: '0002_catalog_prices_operations' }, { name: '0003_one_round_trip_seat_writes' }, { name: '0004_group_commit_seat_writes' }, { name: '0005_login_failures' }, { name: '0006_showtime_leading_keys' }, { name: '0007_ticket_types' }, { name: '0008_price_cards' }, { name: '0009_venue_pricing' }, { name: '0010_vouchers' }, { name: '0011_orders' }, { name: '0012_age_ratings' }]);
        const tables = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely_%' ORDER BY table_name",
        );
        expect(tables.rows.map((r) => r.table_name)).toEqual(['audit_log', 'bookings', 'halls', 'idempotency_keys', 'login_failures', 'movies', 'order_lines', 'orders', 'payment_events', 'price_card_prices', 'price_cards', 'seats', 'sessions', 'show_seats', 'showtime_price_cards', 'showtimes', 'test_provider_payments', 'ticket_types', 'users', 'venue_pricing', 'venues', 'vouchers']);
        const extensions = await client.query("SELECT extname FROM pg_extension WHERE extname = 'btree_gist'");
        expect(extensions.rowCount).toBe(1);
      } finally {
        await client.end();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('when create-admin runs, then a staff user exists; when run again, then its password is reset (one user)', async () => {
    const first = await runCli(['create-admin', '--username', 'boss', '--password', 'longpassword'], withDb());
    expect(first.code, first.stderr).toBe(0);
    expect(lines(first.stdout)).toEqual([expect.stringMatching(/^Staff user "boss" \(id \d+\) is ready\.$/)]);
    const [created] = await database.db.selectFrom('users').select(['id', 'is_staff', 'password_hash']).where('username', '=', 'boss').execute();
    expect(created?.is_staff).toBe(true);
    expect(await verifyPassword(created!.password_hash, 'longpassword')).toBe(true);

    const again = await runCli(['create-admin', '--username', 'boss', '--password', 'evenlongerpassword'], withDb());
    expect(again.code, again.stderr).toBe(0);
    const rows = await database.db.selectFrom('users').select(['id', 'is_staff', 'password_hash']).where(sql<string>`lower(username)`, '=', 'boss').execute();
    expect(rows.map((r) => [r.id, r.is_staff])).toEqual([[created!.id, true]]);
    expect(await verifyPassword(rows[0]!.password_hash, 'evenlongerpassword')).toBe(true);
    expect(await verifyPassword(rows[0]!.password_hash, 'longpassword')).toBe(false);
  });

  it('when create-admin makes an existing customer staff, then the same user becomes staff', async () => {
    const customer = await createUser(database.db);
    const exit = await runCli(['create-admin', '--username', customer.username, '--password', 'promoted-password'], withDb());
    expect(exit.code, exit.stderr).toBe(0);
    const row = await database.db.selectFrom('users').select('is_staff').where('id', '=', customer.id).executeTakeFirstOrThrow();
    expect(row.is_staff).toBe(true);
  });

  it.each([
    ['without --password', ['--username', 'nopass']],
    ['without --username', ['--password', 'longpassword']],
    ['with a short password', ['--username', 'shorty', '--password', 'short']],
    ['with a bad username', ['--username', 'no spaces allowed', '--password', 'longpassword']],
  ])('when create-admin runs %s, then it exits non-zero with one line and creates nobody', async (_label, args) => {
    const before = await database.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const exit = await runCli(['create-admin', ...args], withDb());
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(lines(exit.stderr)).toEqual([expect.stringMatching(/^boxoffice: /)]);
    const after = await database.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('when check runs on sound data, then every invariant is ok and it exits 0; a booked seat without its booking makes it exit 1 naming it', async () => {
    const fine = await runCli(['check'], withDb());
    expect(fine.code).toBe(0);
    expect(fine.stdout).toMatch(/^ok {3}booked seats without exactly one booking: 0$/m);
    expect(fine.stdout.trim().split('\n').at(-1)).toBe('All invariants hold.');
    const show = await createShow(database.db, { rows: 1, seatsPerRow: 2 });
    const seatId = show.seatIds[0]!;
    // What no code path may do: a seat marked booked with no Booking row.
    await sql`UPDATE show_seats SET status = 'booked', booked_at = now() WHERE showtime_id = ${show.showId} AND seat_id = ${seatId}`.execute(database.db);
    try {
      const broken = await runCli(['check'], withDb());
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/^FAIL booked seats without exactly one booking: 1$/m);
      expect(broken.stdout).toMatch(/^FAIL bookings whose seat is not booked: 0$|^ok {3}bookings whose seat is not booked: 0$/m);
      expect(broken.stdout.trim().split('\n').at(-1)).toBe('Invariants violated.');
    } finally {
      await sql`UPDATE show_seats SET status = 'available', booked_at = NULL WHERE showtime_id = ${show.showId} AND seat_id = ${seatId}`.execute(database.db);
    }
  });

  it('when another process holds the migration lock for 6 s, then migrate waits past the 4 s request timeouts and succeeds', async () => {
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [lockKeys.migrate]);
    const release = setTimeout(() => void holder.query('SELECT pg_advisory_unlock($1)', [lockKeys.migrate]), 6_000);
    try {
      const exit = await runCli(['migrate'], withDb(), 30_000);
      expect(exit.stderr).toBe('');
      expect(exit.code).toBe(0);
      expect(exit.ms).toBeGreaterThan(5_500);
    } finally {
      clearTimeout(release);
      await holder.end();
    }
  });

  it('when sweep runs, then it releases exactly the expired holds, prints the count, and leaves live holds', async () => {
    const own = await createTestDatabase(); // its own database, so the count is exact
    try {
      const show = await createShow(own.db, { rows: 1, seatsPerRow: 4 });
      const user = await createUser(own.db);
      const [a, b, c] = show.seatIds as [number, number, number];
      await sql`UPDATE show_seats SET status = 'held', locked_by_id = ${user.id}, locked_until = now() - interval '1 minute'
                WHERE showtime_id = ${show.showId} AND seat_id IN (${a}, ${b})`.execute(own.db);
      await sql`UPDATE show_seats SET status = 'held', locked_by_id = ${user.id}, locked_until = now() + interval '5 minutes'
                WHERE showtime_id = ${show.showId} AND seat_id = ${c}`.execute(own.db);

      const exit = await runCli(['sweep'], { DATABASE_URL: own.url });
      expect(exit.code, exit.stderr).toBe(0);
      expect(lines(exit.stdout)).toEqual(['Expired 0 unpaid orders, confirmed 0 paid late, sent 0 refunds; released 2 expired holds.']);
      const rows = await showSeatRows(own.db, show.showId);
      expect(rows.filter((r) => r.seat_id === a || r.seat_id === b)).toEqual([
        { seat_id: a, status: 'available', locked_by_id: null, locked_until: null, booked_at: null },
        { seat_id: b, status: 'available', locked_by_id: null, locked_until: null, booked_at: null },
      ]);
      expect(rows.find((r) => r.seat_id === c)).toMatchObject({ status: 'held', locked_by_id: user.id });

      const again = await runCli(['sweep'], { DATABASE_URL: own.url });
      expect(lines(again.stdout)).toEqual(['Expired 0 unpaid orders, confirmed 0 paid late, sent 0 refunds; released 0 expired holds.']);
    } finally {
      await own.drop();
    }
  });

  it('when seed runs on an empty database, then Metro Cineplex with 2 halls, 3 movies and future showtimes; a second seed adds nothing', async () => {
    const own = await createTestDatabase(); // empty of venues
    try {
      const exit = await runCli(['seed'], { DATABASE_URL: own.url });
      expect(exit.code, exit.stderr).toBe(0);
      const [line] = lines(exit.stdout);
      const showtimes = Number(/^Seeded the demo cinema with (\d+) showtimes\.$/.exec(line ?? '')?.[1]);
      expect(showtimes).toBeGreaterThan(0);

      const venues = await own.db.selectFrom('venues').select(['id', 'name']).execute();
      expect(venues.map((v) => v.name)).toEqual(['Metro Cineplex']);
      const halls = await sql<{ name: string; rows: number; seats: number; per_row: number[] }>`
        SELECT h.name, count(DISTINCT s."row")::int AS rows, count(*)::int AS seats,
               array_agg(DISTINCT per_row.n) AS per_row
        FROM halls h JOIN seats s ON s.hall_id = h.id
        JOIN LATERAL (SELECT count(*)::int AS n FROM seats s2 WHERE s2.hall_id = h.id AND s2."row" = s."row") per_row ON true
        WHERE h.venue_id = ${venues[0]!.id} GROUP BY h.name ORDER BY h.name`.execute(own.db);
      expect(halls.rows).toEqual([
        { name: 'Hall 1', rows: 10, seats: 140, per_row: [14] },
        { name: 'Hall 2', rows: 12, seats: 216, per_row: [18] },
      ]);
      expect(await own.db.selectFrom('movies').select(['title', 'rating_label', 'rating_min_age']).orderBy('id').execute()).toEqual([
        { title: 'Release Night', rating_label: '15', rating_min_age: 15 },
        { title: 'The Quiet Projectionist', rating_label: '12A', rating_min_age: 12 },
        { title: 'Popcorn Planet', rating_label: 'U', rating_min_age: 0 },
      ]);
      const types = await own.db.selectFrom('ticket_types').select(['code', 'staff_only', 'max_film_min_age']).orderBy('id').execute();
      expect(types).toEqual([
        { code: 'ADULT', staff_only: false, max_film_min_age: null },
        { code: 'CHILD', staff_only: false, max_film_min_age: 12 },
        { code: 'SENIOR', staff_only: false, max_film_min_age: null },
        { code: 'STUDENT', staff_only: false, max_film_min_age: null },
        { code: 'COMP', staff_only: true, max_film_min_age: null },
      ]);
      const card = await sql<{ name: string; is_default: boolean; prices: number }>`
        SELECT pc.name, pc.is_default, count(p.*)::int AS prices FROM price_cards pc JOIN price_card_prices p ON p.price_card_id = pc.id
         WHERE pc.venue_id = ${venues[0]!.id} GROUP BY pc.id`.execute(own.db);
      expect(card.rows).toEqual([{ name: 'Standard', is_default: true, prices: 12 }]);
      // A fee and tax, a demo voucher, and checkout only: the newcomer sees the whole of it.
      const pricing = await own.db.selectFrom('venue_pricing').select(['fee_per', 'fee_value', 'tax_basis_points', 'tax_mode']).execute();
      expect(pricing).toEqual([{ fee_per: 'ticket', fee_value: 75, tax_basis_points: 700, tax_mode: 'inclusive' }]);
      expect(await own.db.selectFrom('vouchers').select(['code', 'per', 'kind', 'value']).execute()).toEqual([{ code: 'WELCOME10', per: 'order', kind: 'percent', value: 1000 }]);
      expect(await own.db.selectFrom('venues').select('payment_required').execute()).toEqual([{ payment_required: true }]);
      const check = await sql<{ total: number; future: number; seat_mismatch: number }>`
        SELECT count(*)::int AS total, count(*) FILTER (WHERE st.starts_at > now())::int AS future,
               count(*) FILTER (WHERE (SELECT count(*) FROM show_seats ss WHERE ss.showtime_id = st.id)
                                   <> (SELECT count(*) FROM seats s WHERE s.hall_id = st.hall_id))::int AS seat_mismatch
        FROM showtimes st`.execute(own.db);
      expect(check.rows[0]).toEqual({ total: showtimes, future: showtimes, seat_mismatch: 0 });

      const again = await runCli(['seed'], { DATABASE_URL: own.url });
      expect(again.code).toBe(0);
      expect(lines(again.stdout)).toEqual(['The database already has venues; nothing seeded.']);
      const counts = await sql<{ venues: number; showtimes: number }>`
        SELECT (SELECT count(*) FROM venues)::int AS venues, (SELECT count(*) FROM showtimes)::int AS showtimes`.execute(own.db);
      expect(counts.rows[0]).toEqual({ venues: 1, showtimes });
    } finally {
      await own.drop();
    }
  });

  it('when two seed processes start at the same moment on an empty database, then the demo cinema exists once', async () => {
    const own = await createTestDatabase();
    try {
      const exits = await Promise.all([runCli(['seed'], { DATABASE_URL: own.url }), runCli(['seed'], { DATABASE_URL: own.url })]);
      expect(exits.map((e) => e.code)).toEqual([0, 0]);
      expect(exits.filter((e) => e.stdout.startsWith('Seeded the demo cinema'))).toHaveLength(1);
      expect(await own.db.selectFrom('venues').select('id').execute()).toHaveLength(1);
      expect(await own.db.selectFrom('halls').select('id').execute()).toHaveLength(2);
    } finally {
      await own.drop();
    }
  });
});

describe('an old Node.js', { timeout: 30_000 }, () => {
  const candidates = ['/usr/bin/node', '/usr/local/bin/node'];
  const oldNode = candidates
    .filter((candidate) => existsSync(candidate))
    .map((candidate) => ({ candidate, version: execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim() }))
    .find(({ version }) => Number(/^v(\d+)/.exec(version)?.[1]) < 24);

  it.skipIf(oldNode === undefined)(
    oldNode === undefined
      ? `skipped: no Node.js older than 24 at ${candidates.join(' or ')}, so the old-Node message cannot be exercised`
      : `when bin/boxoffice.js runs under ${oldNode.candidate} (${oldNode.version}), then it exits 1 with one line asking for Node 24`,
    async () => {
      const exit = await launch(['start'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, oldNode!.candidate).finished(15_000);
      expect(exit.code).toBe(1);
      expect(lines(exit.stderr)).toHaveLength(1);
      expect(exit.stderr).toMatch(/Node\.js 24/);
      expect(exit.stderr).toContain(oldNode!.version);
      expect(exit.stdout).toBe('');
    },
  );
});
