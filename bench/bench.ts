/**
 * Boxoffice benchmark: `npm run bench -- [--clients 32] [--seconds 5]`.
 *
 * Sends the design's three endpoints through HTTP to a real `boxoffice start`
 * child process, and the same transactions straight to PostgreSQL with `pg`,
 * so that service ÷ database shows what HTTP, Fastify, validation and auth
 * cost. Everything it starts (database, server) it stops again, also on
 * Ctrl-C or an error. Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
} from 'kysely';
import type pg from 'pg';
import pino from 'pino';
import { createSession, registerUser } from '../src/accounts/index.ts';
import {
  beginSeatWriteQuery,
  countUserSeatsQuery,
  findBookingsQuery,
  findShowStateQuery,
  findShowHeaderQuery,
  insertBookingsQuery,
  lockShowSeatsQuery,
  markHeldQuery,
  releaseExpiredHoldsQuery,
  selectLayoutSeatsQuery,
  type LockedShowSeat,
} from '../src/booking/booking.queries.ts';
import { newBookingReference } from '../src/booking/booking.service.ts';
import { createHall, createMovie, createShowtime, createVenue } from '../src/catalog/index.ts';
import { createDatabase, createPool, type Database } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { DB } from '../src/db/schema.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BENCH_DATABASE = 'boxoffice_bench';
const ROWS = 20;
const SEATS_PER_ROW = 25;
const CONTENDED_SEATS = 5;
const WARMUP_SECONDS = 1;
const MAX_REQUESTS_PER_PHASE = 500_000;
const REQUEST_TIMEOUT_MS = 10_000;
// The server runs with these; the database-only transactions use the same values.
const HOLD_TTL_SECONDS = 300;
const MAX_SEATS_PER_USER = 1000;
/** booking.service.ts: RELEASE_IN_PASSING for hold/book, 1000 for the layout. */
const RELEASE_IN_PASSING = 100;
const RELEASE_IN_LAYOUT = 1000;

/** Set by Ctrl-C / SIGTERM: loops stop, the run unwinds and stops what it started. */
const interrupted = new AbortController();

// ─── small helpers ──────────────────────────────────────────────────────────

type Options = { clients: number; seconds: number };

/**
 * Showtimes of the 500-seat hall. A distinct-seat request takes a seat no one
 * has touched in that run, so a run needs rate × seconds of them: room here
 * for 1,500 seat writes per second per core (a run that uses them all ends
 * early and says so).
 */
function showCount(options: Options): number {
  return Math.min(1000, Math.max(20, Math.ceil((os.cpus().length * options.seconds * 1500) / (ROWS * SEATS_PER_ROW))));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) {
    throw new Error(`index ${index} out of range (${items.length})`);
  }
  return item;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function checkInterrupted(): void {
  interrupted.signal.throwIfAborted();
}

function wholeNumber(raw: string, name: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max}, got "${raw}".`);
  }
  return value;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: { clients: { type: 'string', default: '32' }, seconds: { type: 'string', default: '5' } },
  });
  return { clients: wholeNumber(values.clients, 'clients', 1, 200), seconds: wholeNumber(values.seconds, 'seconds', 1, 60) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

// ─── teardown: everything started is stopped, last started first ───────────

type Teardown = { add(name: string, stop: () => Promise<unknown>): void; run(): Promise<void> };

function createTeardown(): Teardown {
  const steps: { name: string; stop: () => Promise<unknown> }[] = [];
  let running: Promise<void> | undefined;
  return {
    add: (name, stop) => {
      steps.push({ name, stop });
    },
    run: () =>
      (running ??= (async () => {
        for (const step of steps.reverse()) {
          try {
            await step.stop();
          } catch (error) {
            console.error(`bench: stopping ${step.name} failed: ${describe(error)}`);
          }
        }
      })()),
  };
}

// ─── measuring ──────────────────────────────────────────────────────────────

/** One request: resolves to the HTTP status (or the one the service would answer), or undefined when there is no work left. */
type Job = (client: number) => Promise<number | undefined>;

type Stats = { requests: number; perSecond: number; p50: number; p99: number; statuses: Map<number, number>; ranOut: boolean };

function percentile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN);
}

/**
 * Runs `fn` from `concurrency` clients in closed loops, each starting its next
 * request when the last one answered, for `seconds` (or until `fn` has no
 * more work, or MAX_REQUESTS_PER_PHASE). Any thrown error ends the phase.
 */
async function measure(name: string, concurrency: number, seconds: number, fn: Job): Promise<Stats> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let started = 0;
  let ranOut = false;
  let failed = false;
  const begin = performance.now();
  const deadline = begin + seconds * 1000;
  const client = async (index: number): Promise<void> => {
    while (!failed && !ranOut && !interrupted.signal.aborted && started < MAX_REQUESTS_PER_PHASE && performance.now() < deadline) {
      started++;
      const sent = performance.now();
      const status = await fn(index);
      if (status === undefined) {
        ranOut = true;
        return;
      }
      latencies.push(performance.now() - sent);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: concurrency }, (_, index) =>
      client(index).catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  const elapsed = (performance.now() - begin) / 1000;
  checkInterrupted();
  const failure = results.find((r) => r.status === 'rejected');
  if (failure !== undefined) {
    throw new Error(`${name}: ${describe(failure.reason)}`);
  }
  const sorted = Float64Array.from(latencies).sort();
  return { requests: sorted.length, perSecond: sorted.length / elapsed, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), statuses, ranOut };
}

// ─── the database and the fixture ───────────────────────────────────────────

/** The embedded server in a temp dir, or a database of our own on the DATABASE_URL server. */
async function startDatabase(teardown: Teardown): Promise<{ url: string; where: string }> {
  const given = process.env['DATABASE_URL']?.trim();
  if (given !== undefined && given !== '') {
    const adminUrl = new URL(given).pathname === `/${BENCH_DATABASE}` ? withDatabaseName(given, 'postgres') : given;
    const admin = async (statement: string): Promise<void> => {
      const pool = createPool(adminUrl, { max: 1, applicationName: 'boxoffice-bench' });
      try {
        await pool.query(statement);
      } finally {
        await pool.end();
      }
    };
    await admin(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${BENCH_DATABASE}`);
    teardown.add(`database ${BENCH_DATABASE}`, () => admin(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`));
    return { url: withDatabaseName(given, BENCH_DATABASE), where: `DATABASE_URL server, database ${BENCH_DATABASE} (dropped at the end)` };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-bench-'));
  teardown.add('temp dir', () => rm(dataDir, { recursive: true, force: true }));
  await chmod(dataDir, 0o755); // postgres runs as the `postgres` system user and must reach its cluster inside
  const embedded = await startEmbeddedPostgres(dataDir, pino({ level: 'warn' }));
  teardown.add('embedded PostgreSQL', () => embedded.stop());
  return { url: embedded.url, where: 'embedded, fresh cluster in a temp dir' };
}

type SeatRef = { showId: number; seatId: number };
type BenchUser = { id: number; token: string };
type Fixture = { showIds: number[]; seatIds: number[]; users: BenchUser[] };

async function createShows(db: Database, count: number): Promise<Pick<Fixture, 'showIds' | 'seatIds'>> {
  const venue = await createVenue(db, { name: 'Bench Cinema', city: 'Loopback' });
  const rows = Array.from({ length: ROWS }, (_, i) => ({ row: String.fromCharCode(65 + i), seats: SEATS_PER_ROW }));
  const hall = await createHall(db, { venue_id: venue.id, name: 'Hall 500', rows });
  const movie = await createMovie(db, { title: 'The Benchmark', duration_minutes: 120 });
  const firstStart = Date.now() + 24 * 3_600_000;
  const showIds: number[] = [];
  for (let i = 0; i < count; i++) {
    const startsAt = new Date(firstStart + i * 3 * 3_600_000).toISOString();
    showIds.push((await createShowtime(db, { hall_id: hall.id, movie_id: movie.id, starts_at: startsAt })).id);
  }
  const seats = await db.selectFrom('seats').select('id').where('hall_id', '=', hall.id).orderBy('id').execute();
  return { showIds, seatIds: seats.map((s) => s.id) };
}

/** One user per client, registered and logged in by the service's own code. */
async function createUsers(db: Database, count: number): Promise<BenchUser[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const user = await registerUser(db, `bench${i}`, 'bench password');
      return { id: user.id, token: await createSession(db, user.id) };
    }),
  );
}

async function createFixture(url: string, options: Options): Promise<Fixture> {
  const db = createDatabase(createPool(url, { max: 8, applicationName: 'boxoffice-bench-setup' }));
  try {
    await migrateToLatest(db);
    return { ...(await createShows(db, showCount(options))), users: await createUsers(db, options.clients) };
  } finally {
    await db.destroy();
  }
}

/** Every seat back on sale, then vacuumed and checkpointed, so each measured phase starts from the same state. */
async function resetSeats(pool: pg.Pool): Promise<void> {
  await pool.query('DELETE FROM bookings');
  await pool.query(
    `UPDATE show_seats SET status = 'available', locked_by_id = NULL, locked_until = NULL, booked_at = NULL WHERE status <> 'available'`,
  );
  await pool.query('VACUUM (ANALYZE) show_seats, bookings');
  await pool.query('CHECKPOINT').catch(() => undefined); // needs superuser or pg_checkpoint; optional
}

/** Each call hands out a seat not handed out before, show after show; undefined when all are used. */
function distinctSeats(fixture: Fixture): () => SeatRef | undefined {
  let next = 0;
  const perShow = fixture.seatIds.length;
  return () => {
    if (next >= fixture.showIds.length * perShow) {
      return undefined;
    }
    const index = next++;
    return { showId: at(fixture.showIds, Math.floor(index / perShow)), seatId: at(fixture.seatIds, index % perShow) };
  };
}

/** The same few seats of the first show, round robin. */
function contendedSeats(fixture: Fixture): () => SeatRef {
  let next = 0;
  return () => ({ showId: at(fixture.showIds, 0), seatId: at(fixture.seatIds, next++ % CONTENDED_SEATS) });
}

// ─── the server, and HTTP ───────────────────────────────────────────────────

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitUntilHealthy(baseUrl: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    checkInterrupted();
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}): ${output().trim()}`);
    }
    const healthy = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`the server did not become healthy within 30 s: ${output().trim()}`);
    }
    await sleep(100);
  }
}

/** `boxoffice start` as its own process, so the load generator does not share its event loop. */
async function startServer(databaseUrl: string, teardown: Teardown): Promise<{ baseUrl: string; pid: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/boxoffice.js'), 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      RATE_LIMITS: 'off',
      LOG_LEVEL: 'silent',
      SWEEP_INTERVAL_SECONDS: '0',
      HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS),
      MAX_SEATS_PER_USER: String(MAX_SEATS_PER_USER),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.on('error', (error) => collect(Buffer.from(describe(error))));
  teardown.add('server process', () => stopChild(child));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(baseUrl, child, () => output);
  return { baseUrl, pid: child.pid ?? 0 };
}

type HttpClient = { get(path: string): Promise<number>; post(path: string, token: string, body: unknown): Promise<number>; close(): void };

/** Keep-alive node:http, one socket per client; answers are drained, not parsed. */
function httpClient(baseUrl: string, sockets: number): HttpClient {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const { hostname, port } = new URL(baseUrl);
  const send = (method: 'GET' | 'POST', urlPath: string, token?: string, body?: unknown): Promise<number> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: OutgoingHttpHeaders = {};
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
      }
      if (token !== undefined) {
        headers['authorization'] = `Bearer ${token}`;
      }
      const req = request({ hostname, port, path: urlPath, method, headers, agent }, (res) => {
        res.on('error', reject);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.resume();
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${urlPath} took over ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  return {
    get: (urlPath) => send('GET', urlPath),
    post: (urlPath, token, body) => send('POST', urlPath, token, body),
    close: () => agent.destroy(),
  };
}

// ─── the service's transactions, straight to PostgreSQL ─────────────────────

/**
 * Compiles booking.queries.ts' builders and never runs anything itself: a
 * Kysely with the PostgreSQL compiler and a driver that cannot connect. So the
 * database-only side sends exactly the service's SQL and parameters, through
 * plain `pg` clients, and cannot drift from it.
 */
const compiler = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** One compiled statement on a pg client or the pool; rows typed as the service sees them. */
async function send<R>(target: pg.Pool | pg.PoolClient, query: CompiledQuery<R>): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
  return target.query<R & pg.QueryResultRow>(query.sql, [...query.parameters]);
}

/** BEGIN … COMMIT on one pooled connection, like Kysely's db.transaction(); a non-2xx answer rolls back, like the service's thrown error. */
async function transaction(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<number>): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const status = await body(client);
    await client.query(status < 300 ? 'COMMIT' : 'ROLLBACK');
    client.release();
    return status;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(true);
    throw error;
  }
}

/**
 * lockRequestedSeats for one seat: the per-user advisory lock, then the
 * ShowSeat row FOR UPDATE; a status when the service would stop there.
 */
type PricedSeat = LockedShowSeat & { price_amount: number; currency: string };

/** lockRequestedSeats: the per-user advisory lock, the ShowSeat row FOR UPDATE, then the show's state and prices. */
async function lockSeat(client: pg.PoolClient, userId: number, seat: SeatRef): Promise<PricedSeat | number> {
  await send(client, beginSeatWriteQuery(seat.showId, userId).compile(compiler));
  const locked = (await send(client, lockShowSeatsQuery(compiler, seat.showId, [seat.seatId]).compile())).rows[0];
  const show = (await send(client, findShowStateQuery(compiler, seat.showId).compile())).rows[0];
  if (locked === undefined || show === undefined) {
    return 404;
  }
  if (show.status === 'cancelled' || show.started) {
    return 409;
  }
  return { ...locked, price_amount: locked.kind === 'premium' ? show.premium_price_amount : show.price_amount, currency: show.currency };
}

/** assertWithinSeatLimit: false when `adding` more seats would pass MAX_SEATS_PER_USER. */
async function withinSeatLimit(client: pg.PoolClient, userId: number, showId: number, adding: number): Promise<boolean> {
  if (adding === 0) {
    return true;
  }
  const { rows } = await send(client, countUserSeatsQuery(showId, userId).compile(compiler));
  return Number(rows[0]?.count ?? 0) + adding <= MAX_SEATS_PER_USER;
}

const holdIsLive = (seat: LockedShowSeat): boolean => seat.status === 'held' && !seat.hold_expired;

/** holdSeats for one seat; answers the status the hold endpoint would. */
function databaseHold(pool: pg.Pool, userId: number, seat: SeatRef): Promise<number> {
  return transaction(pool, async (client) => {
    const locked = await lockSeat(client, userId, seat);
    if (typeof locked === 'number') {
      return locked;
    }
    if (locked.status === 'booked' || (holdIsLive(locked) && locked.locked_by_id !== userId)) {
      return 409;
    }
    if (!holdIsLive(locked)) {
      if (!(await withinSeatLimit(client, userId, seat.showId, 1))) {
        return 409;
      }
      await send(client, markHeldQuery(compiler, [locked.id], userId, HOLD_TTL_SECONDS).compile());
    }
    await send(client, releaseExpiredHoldsQuery({ showId: seat.showId, limit: RELEASE_IN_PASSING }).compile(compiler));
    return 200;
  });
}

/** bookSeats for one seat; answers the status the book endpoint would. */
function databaseBook(pool: pg.Pool, userId: number, seat: SeatRef): Promise<number> {
  return transaction(pool, async (client) => {
    const locked = await lockSeat(client, userId, seat);
    if (typeof locked === 'number') {
      return locked;
    }
    if (locked.status === 'booked') {
      // A retry of the caller's own booking answers 200; anyone else's is a conflict.
      const { rows } = await send(client, findBookingsQuery(compiler, seat.showId, [seat.seatId]).compile());
      return rows[0]?.user_id === userId ? 200 : 409;
    }
    if (holdIsLive(locked) && locked.locked_by_id !== userId) {
      return 409;
    }
    if (!(await withinSeatLimit(client, userId, seat.showId, holdIsLive(locked) ? 0 : 1))) {
      return 409;
    }
    await send(client, insertBookingsQuery(seat.showId, userId, newBookingReference(), [{ seat_id: locked.seat_id, price_amount: locked.price_amount, currency: locked.currency }]).compile(compiler));
    await send(client, releaseExpiredHoldsQuery({ showId: seat.showId, limit: RELEASE_IN_PASSING }).compile(compiler));
    return 201;
  });
}

/** getHallLayout: three statements on the pool, outside a transaction, as the service runs them. */
async function databaseLayout(pool: pg.Pool, showId: number): Promise<number> {
  const header = await send(pool, findShowHeaderQuery(compiler, showId).compile());
  if (header.rowCount === 0) {
    return 404;
  }
  await send(pool, releaseExpiredHoldsQuery({ showId, limit: RELEASE_IN_LAYOUT }).compile(compiler));
  await send(pool, selectLayoutSeatsQuery(compiler, showId).compile());
  return 200;
}

// ─── the phases ─────────────────────────────────────────────────────────────

/** A phase makes a fresh Job per run, so each run gets its own seat supply. */
type Phase = { name: string; writes: boolean; service: () => Job; database: () => Job };

function phases(fixture: Fixture, http: HttpClient, pool: pg.Pool): Phase[] {
  const user = (client: number): BenchUser => at(fixture.users, client);
  const body = (seat: SeatRef) => ({ seat_id: seat.seatId, show_id: seat.showId });
  const layoutShow = at(fixture.showIds, 0);
  const overSeats =
    (nextSeat: () => SeatRef | undefined, send: (client: number, seat: SeatRef) => Promise<number>): Job =>
    async (client) => {
      const seat = nextSeat();
      return seat === undefined ? undefined : send(client, seat);
    };
  return [
    {
      name: 'hold, distinct seats',
      writes: true,
      service: () => overSeats(distinctSeats(fixture), (c, seat) => http.post('/api/hold-seat/', user(c).token, body(seat))),
      database: () => overSeats(distinctSeats(fixture), (c, seat) => databaseHold(pool, user(c).id, seat)),
    },
    {
      name: 'book, distinct seats',
      writes: true,
      service: () => overSeats(distinctSeats(fixture), (c, seat) => http.post('/api/book-seat/', user(c).token, body(seat))),
      database: () => overSeats(distinctSeats(fixture), (c, seat) => databaseBook(pool, user(c).id, seat)),
    },
    {
      name: `layout, ${ROWS * SEATS_PER_ROW} seats`,
      writes: false,
      service: () => () => http.get(`/api/hall-layout/${layoutShow}/`),
      database: () => () => databaseLayout(pool, layoutShow),
    },
    {
      name: `hold, ${CONTENDED_SEATS} contended seats`,
      writes: true,
      service: () => overSeats(contendedSeats(fixture), (c, seat) => http.post('/api/hold-seat/', user(c).token, body(seat))),
      database: () => overSeats(contendedSeats(fixture), (c, seat) => databaseHold(pool, user(c).id, seat)),
    },
  ];
}

/** A warm-up run (thrown away), then the measured run, each from fresh seats when the phase writes. */
async function runTarget(name: string, phase: Phase, makeJob: () => Job, options: Options, pool: pg.Pool): Promise<Stats> {
  process.stderr.write(`  ${name.padEnd(48)}`);
  if (phase.writes) {
    await resetSeats(pool);
  }
  await measure(`${name} (warm-up)`, options.clients, WARMUP_SECONDS, makeJob());
  if (phase.writes) {
    await resetSeats(pool);
  }
  const stats = await measure(name, options.clients, options.seconds, makeJob());
  process.stderr.write(`${Math.round(stats.perSecond)} req/s\n`);
  return stats;
}

// ─── the report ─────────────────────────────────────────────────────────────

type Result = { phase: string; service: Stats; database: Stats };
type Environment = { options: Options; postgres: string; where: string; serverPid: number; serverConnections: number };

const num = (value: number, digits: number, width: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '-').padStart(width);

function statusCounts(stats: Stats): string {
  const parts = [...stats.statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
  return `${parts.join(' ')}${stats.ranOut ? ' (ran out of seats)' : ''}`;
}

function report(env: Environment, results: Result[]): string {
  const cpus = os.cpus();
  const lines = [
    '',
    `Boxoffice bench: ${env.options.clients} concurrent clients, ${env.options.seconds} s per run after a ${WARMUP_SECONDS} s warm-up, loopback only`,
    `machine     ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}`,
    `node        ${process.version} (load generator and server)`,
    `postgres    ${env.postgres}, ${env.where}`,
    `service     child process \`bin/boxoffice.js start\` (pid ${env.serverPid}), ${env.serverConnections} database connections of its own pool; HTTP keep-alive, 1 socket per client`,
    `database    pg.Pool of ${env.options.clients} (createPool), booking.queries.ts' builders compiled by Kysely and sent by pg; no HTTP, no auth lookup, no JSON`,
    `seats       ${ROWS} rows × ${SEATS_PER_ROW}; distinct-seat runs draw from ${showCount(env.options)} showtimes of that hall, reset (and vacuumed) before each run`,
    '',
    `${''.padEnd(26)}${'───── service (HTTP) ─────'.padStart(29)}   ${'───── database only ─────'.padStart(27)}`,
    `${'phase'.padEnd(26)}${'req/s'.padStart(9)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}   ${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'ratio'.padStart(9)}`,
  ];
  for (const { phase, service, database } of results) {
    lines.push(
      `${phase.padEnd(26)}${num(service.perSecond, 0, 9)}${num(service.p50, 2, 10)}${num(service.p99, 2, 10)}   ` +
        `${num(database.perSecond, 0, 9)}${num(database.p50, 2, 9)}${num(database.p99, 2, 9)}${num(service.perSecond / database.perSecond, 2, 9)}`,
    );
  }
  lines.push('', 'ratio = service req/s ÷ database req/s. Answers per run (database only: the status the service would give):');
  for (const { phase, service, database } of results) {
    lines.push(`  ${phase.padEnd(26)}service ${statusCounts(service).padEnd(28)} database ${statusCounts(database)}`);
  }
  return lines.join('\n');
}

// ─── main ───────────────────────────────────────────────────────────────────

async function sanityCheck(baseUrl: string, showId: number): Promise<void> {
  const response = await fetch(`${baseUrl}/api/hall-layout/${showId}/`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const layout = (await response.json()) as { seats?: unknown[] };
  if (response.status !== 200 || layout.seats?.length !== ROWS * SEATS_PER_ROW) {
    throw new Error(`the layout of the bench show is not ${ROWS * SEATS_PER_ROW} seats (HTTP ${response.status})`);
  }
}

async function run(options: Options, teardown: Teardown): Promise<void> {
  process.stderr.write(`bench: starting PostgreSQL, ${showCount(options)} showtimes of a ${ROWS * SEATS_PER_ROW}-seat hall, ${options.clients} users …\n`);
  const database = await startDatabase(teardown);
  checkInterrupted();
  const fixture = await createFixture(database.url, options);
  checkInterrupted();
  const pool = createPool(database.url, { max: options.clients, applicationName: 'boxoffice-bench' });
  teardown.add('database-only pool', () => pool.end());
  const postgres = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  const server = await startServer(database.url, teardown);
  const http = httpClient(server.baseUrl, options.clients);
  teardown.add('HTTP agent', async () => http.close());
  await sanityCheck(server.baseUrl, at(fixture.showIds, 0));

  process.stderr.write('bench: measuring\n');
  const results: Result[] = [];
  let serverConnections = 0;
  for (const phase of phases(fixture, http, pool)) {
    const service = await runTarget(`${phase.name} — service`, phase, phase.service, options, pool);
    const { rows } = await pool.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'boxoffice'`,
    );
    serverConnections = Math.max(serverConnections, Number(rows[0]?.n ?? 0));
    const database = await runTarget(`${phase.name} — database`, phase, phase.database, options, pool);
    results.push({ phase: phase.name, service, database });
  }
  console.log(report({ options, postgres, where: database.where, serverPid: server.pid, serverConnections }, results));
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${describe(error)}\nUsage: npm run bench -- [--clients N] [--seconds S]`);
    return 2;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // npm forwards Ctrl-C as well, so the same signal may come twice: act once.
    process.on(signal, () => {
      if (!interrupted.signal.aborted) {
        process.stderr.write(`\nbench: ${signal}, stopping everything it started …\n`);
        interrupted.abort();
      }
    });
  }
  const teardown = createTeardown();
  const started = performance.now();
  let exitCode = 0;
  try {
    await run(options, teardown);
  } catch (error) {
    exitCode = interrupted.signal.aborted ? 130 : 1;
    if (exitCode === 1) {
      console.error(`bench failed: ${describe(error)}`);
    }
  } finally {
    await teardown.run();
  }
  process.stderr.write(`bench: done in ${((performance.now() - started) / 1000).toFixed(1)} s, everything stopped\n`);
  return exitCode;
}

process.exit(await main());
