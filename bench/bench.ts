/**
 * Boxoffice benchmark: `npm run bench -- [--clients 32] [--seconds 5] [--viewers 1000]`.
 *
 * Sends the design's three endpoints and group bookings through HTTP to a
 * real `boxoffice start` child process, and the same transactions straight to
 * PostgreSQL with `pg`, so that service ÷ database shows what HTTP, Fastify,
 * validation and auth cost; database only, what the NOTIFY inside every seat
 * transaction costs; and (first, while the server is fresh) the SSE fan-out
 * of seat events to many viewers of the server process. Everything it starts
 * (database, server, viewers) it stops again, also on Ctrl-C or an error.
 * Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
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
import { announceSeatChangesQuery, type SeatEvent } from '../src/booking/seat-events.ts';
import { createHall, createMovie, createShowtime, createVenue } from '../src/catalog/index.ts';
import { createDatabase, createPool, type Database } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { isTimeout, isUniqueViolation } from '../src/db/pg-errors.ts';
import type { DB } from '../src/db/schema.ts';
import { connectAudience, type Audience } from './fan-out.ts';
import { freePort } from '../src/shared/free-port.ts';

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
/** Group bookings: seats per request, and when a show counts as full (fewer unsold seats than this). */
const GROUP_SIZE = 4;
const FRESH_SHOW_BELOW = 100;
/** "with NOTIFY ÷ without" below this is called a limit on booking throughput. */
const NOTIFY_LIMIT_RATIO = 0.8;
/** SSE fan-out: seat changes, their spacing, and how long after the last one stragglers may arrive. */
const SSE_CHANGES = 20;
const SSE_CHANGE_INTERVAL_MS = 250;
const SSE_SETTLE_MS = 5_000;
const SSE_WARMUP_VIEWERS = 50;

/** Set by Ctrl-C / SIGTERM: loops stop, the run unwinds and stops what it started. */
const interrupted = new AbortController();

// ─── small helpers ──────────────────────────────────────────────────────────

type Options = { clients: number; seconds: number; viewers: number };

/**
 * Showtimes of the 500-seat hall. A distinct-seat request takes a seat no one
 * has touched in that run, so a run needs rate × seconds of them: room here
 * for 1,500 seat writes per second per core, twice over, since the NOTIFY
 * comparison runs both its variants from one supply and group bookings use
 * a show only up to FRESH_SHOW_BELOW (a run that uses them all ends early and
 * says so).
 */
function showCount(options: Options): number {
  return Math.min(2000, Math.max(20, Math.ceil((2 * os.cpus().length * options.seconds * 1500) / (ROWS * SEATS_PER_ROW))));
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
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
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
    options: {
      clients: { type: 'string', default: '32' },
      seconds: { type: 'string', default: '5' },
      viewers: { type: 'string', default: '1000' },
    },
  });
  return {
    clients: wholeNumber(values.clients, 'clients', 1, 200),
    seconds: wholeNumber(values.seconds, 'seconds', 1, 60),
    viewers: wholeNumber(values.viewers, 'viewers', 1, 10_000),
  };
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

type Stats = {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  statuses: Map<number, number>;
  ranOut: boolean;
  /** Every request's latency, sorted (ms). */
  latencies: Float64Array;
};

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
  return {
    requests: sorted.length,
    seconds: elapsed,
    perSecond: sorted.length / elapsed,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    statuses,
    ranOut,
    latencies: sorted,
  };
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

type ServerHandle = { baseUrl: string; port: number; pid: number };

/** `boxoffice start` as its own process, so the load generator does not share its event loop. */
async function startServer(databaseUrl: string, teardown: Teardown): Promise<ServerHandle> {
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
  return { baseUrl, port, pid: child.pid ?? 0 };
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

/**
 * BEGIN … COMMIT on one pooled connection, like Kysely's db.transaction(); a
 * non-2xx answer rolls back, like the service's thrown error. Database errors
 * the service answers instead of failing on get its answer here too: a lock
 * timeout or deadlock its 503 (pg-errors' isTimeout), a second booking of a
 * seat its 409. Anything else ends the phase.
 */
async function transaction(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<number>): Promise<number> {
  const client = await pool.connect();
  let status: number;
  try {
    await client.query('BEGIN');
    status = await body(client);
    await client.query(status < 300 ? 'COMMIT' : 'ROLLBACK');
  } catch (error) {
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    client.release(!rolledBack);
    if (isTimeout(error)) {
      return 503;
    }
    if (isUniqueViolation(error, 'bookings_showtime_seat_key')) {
      return 409;
    }
    throw error;
  }
  client.release();
  return status;
}

type PricedSeat = { seat_id: number; price_amount: number; currency: string };
type LockedSeats = { seats: LockedShowSeat[]; priceOf: (seat: LockedShowSeat) => PricedSeat };

/**
 * lockRequestedSeats: the per-user advisory lock, the ShowSeat rows FOR UPDATE
 * in ascending seat id, then the show's state and prices; a status when the
 * service would stop there.
 */
async function lockSeats(client: pg.PoolClient, userId: number, showId: number, seatIds: readonly number[]): Promise<LockedSeats | number> {
  const sorted = [...new Set(seatIds)].sort((a, b) => a - b);
  await send(client, beginSeatWriteQuery(showId, userId).compile(compiler));
  const seats = (await send(client, lockShowSeatsQuery(compiler, showId, sorted).compile())).rows;
  const show = (await send(client, findShowStateQuery(compiler, showId).compile())).rows[0];
  if (show === undefined || seats.length < sorted.length) {
    return 404;
  }
  if (show.status === 'cancelled' || show.started) {
    return 409;
  }
  return {
    seats,
    priceOf: (seat) => ({
      seat_id: seat.seat_id,
      price_amount: seat.kind === 'premium' ? show.premium_price_amount : show.price_amount,
      currency: show.currency,
    }),
  };
}

/** assertWithinSeatLimit: false when `adding` more seats would pass MAX_SEATS_PER_USER. */
async function withinSeatLimit(client: pg.PoolClient, userId: number, showId: number, adding: number): Promise<boolean> {
  if (adding === 0) {
    return true;
  }
  const { rows } = await send(client, countUserSeatsQuery(showId, userId).compile(compiler));
  return Number(rows[0]?.count ?? 0) + adding <= MAX_SEATS_PER_USER;
}

/** announceSeatChanges: the service's NOTIFY statement, sent only when there is something to announce. */
async function announce(client: pg.PoolClient, showId: number, events: readonly SeatEvent[]): Promise<void> {
  if (events.length > 0) {
    await send(client, announceSeatChangesQuery(showId, events).compile(compiler));
  }
}

/** releaseExpired in passing, announcing what it released (with `notify`), as the service does. */
async function releaseExpired(client: pg.PoolClient, showId: number, notify: boolean): Promise<void> {
  const { rows } = await send(client, releaseExpiredHoldsQuery({ showId, limit: RELEASE_IN_PASSING }).compile(compiler));
  if (notify) {
    await announce(
      client,
      showId,
      rows.map((r) => ({ seat_id: r.seat_id, status: 'available', locked_until: null })),
    );
  }
}

const holdIsLive = (seat: LockedShowSeat): boolean => seat.status === 'held' && !seat.hold_expired;

/** holdSeats for one seat, with its NOTIFY; answers the status the hold endpoint would. */
function databaseHold(pool: pg.Pool, userId: number, seat: SeatRef): Promise<number> {
  return transaction(pool, async (client) => {
    const locked = await lockSeats(client, userId, seat.showId, [seat.seatId]);
    if (typeof locked === 'number') {
      return locked;
    }
    const [current] = locked.seats;
    if (current === undefined || current.status === 'booked' || (holdIsLive(current) && current.locked_by_id !== userId)) {
      return 409;
    }
    if (!holdIsLive(current)) {
      if (!(await withinSeatLimit(client, userId, seat.showId, 1))) {
        return 409;
      }
      const held = await send(client, markHeldQuery(compiler, [current.id], userId, HOLD_TTL_SECONDS).compile());
      await announce(
        client,
        seat.showId,
        held.rows.map((h) => ({ seat_id: h.seat_id, status: 'held', locked_until: (h.locked_until ?? new Date()).toISOString() })),
      );
    }
    await releaseExpired(client, seat.showId, true);
    return 200;
  });
}

/**
 * bookSeats, all or none, with or without its NOTIFY statement (`notify`,
 * for the cost comparison; the service always sends it). Answers the status
 * the book endpoints would: 201 booked, 200 all already the caller's, 409.
 */
function databaseBookSeats(pool: pg.Pool, userId: number, showId: number, seatIds: readonly number[], notify: boolean): Promise<number> {
  return transaction(pool, async (client) => {
    const locked = await lockSeats(client, userId, showId, seatIds);
    if (typeof locked === 'number') {
      return locked;
    }
    const { seats, priceOf } = locked;
    const bookedSeatIds = seats.filter((s) => s.status === 'booked').map((s) => s.seat_id);
    const existing = bookedSeatIds.length === 0 ? [] : (await send(client, findBookingsQuery(compiler, showId, bookedSeatIds).compile())).rows;
    if (existing.some((b) => b.user_id !== userId) || seats.some((s) => holdIsLive(s) && s.locked_by_id !== userId)) {
      return 409;
    }
    const toBook = seats.filter((s) => s.status !== 'booked');
    if (toBook.length === 0) {
      return 200; // a retry: every seat was the caller's already
    }
    if (!(await withinSeatLimit(client, userId, showId, toBook.filter((s) => !holdIsLive(s)).length))) {
      return 409;
    }
    const created = await send(client, insertBookingsQuery(showId, userId, newBookingReference(), toBook.map(priceOf)).compile(compiler));
    if (notify) {
      await announce(
        client,
        showId,
        created.rows.map((b) => ({ seat_id: b.seat_id, status: 'booked', locked_until: null })),
      );
    }
    await releaseExpired(client, showId, notify);
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

// ─── seat supplies ──────────────────────────────────────────────────────────

type SeatGroup = { showId: number; seatIds: number[] };
type GroupSupply = { next(): SeatGroup | undefined; booked(group: SeatGroup): void };

/**
 * GROUP_SIZE random seats of one show per request, in random order, drawn from
 * the seats not yet known to be sold: the groups in flight at the same moment
 * overlap (and the show's last seats are fought over) the way families racing
 * for one show do. The next show once fewer than FRESH_SHOW_BELOW are unsold;
 * undefined after the last show.
 */
function groupSeats(fixture: Fixture): GroupSupply {
  let show = 0;
  let unsold: number[] = [];
  let position = new Map<number, number>();
  const openShow = (): void => {
    unsold = [...fixture.seatIds];
    position = new Map(unsold.map((seatId, index) => [seatId, index]));
  };
  openShow();
  return {
    next: () => {
      if (unsold.length < FRESH_SHOW_BELOW) {
        if (show + 1 >= fixture.showIds.length) {
          return undefined;
        }
        show++;
        openShow();
      }
      const picked = new Set<number>();
      while (picked.size < GROUP_SIZE) {
        picked.add(at(unsold, Math.floor(Math.random() * unsold.length)));
      }
      return { showId: at(fixture.showIds, show), seatIds: [...picked] };
    },
    booked: (group) => {
      if (group.showId !== fixture.showIds[show]) {
        return;
      }
      for (const seatId of group.seatIds) {
        const index = position.get(seatId);
        const last = unsold.pop();
        if (index === undefined || last === undefined) {
          throw new Error(`seat ${seatId} of show ${group.showId} was booked twice`);
        }
        position.delete(seatId);
        if (last !== seatId) {
          unsold[index] = last;
          position.set(last, index);
        }
      }
    },
  };
}

const overSeats =
  (nextSeat: () => SeatRef | undefined, book: (client: number, seat: SeatRef) => Promise<number>): Job =>
  async (client) => {
    const seat = nextSeat();
    return seat === undefined ? undefined : book(client, seat);
  };

const overGroups =
  (supply: GroupSupply, book: (client: number, group: SeatGroup) => Promise<number>): Job =>
  async (client) => {
    const group = supply.next();
    if (group === undefined) {
      return undefined;
    }
    const status = await book(client, group);
    if (status === 201) {
      supply.booked(group);
    }
    return status;
  };

// ─── the phases ─────────────────────────────────────────────────────────────

/** A phase makes a fresh Job per run, so each run gets its own seat supply. */
type Phase = {
  name: string;
  writes: boolean;
  service: () => Job;
  database: () => Job;
  /** The only statuses the phase may answer; any other is reported and fails the run. */
  allowed?: readonly number[];
  /** Count the Booking rows of each measured run (seats booked/s, and the all-or-nothing check). */
  countsBookings?: boolean;
};

const user = (fixture: Fixture, client: number): BenchUser => at(fixture.users, client);

function phases(fixture: Fixture, http: HttpClient, pool: pg.Pool): Phase[] {
  const body = (seat: SeatRef) => ({ seat_id: seat.seatId, show_id: seat.showId });
  const layoutShow = at(fixture.showIds, 0);
  return [
    {
      name: 'hold, distinct seats',
      writes: true,
      service: () => overSeats(distinctSeats(fixture), (c, seat) => http.post('/api/hold-seat/', user(fixture, c).token, body(seat))),
      database: () => overSeats(distinctSeats(fixture), (c, seat) => databaseHold(pool, user(fixture, c).id, seat)),
    },
    {
      name: 'book, distinct seats',
      writes: true,
      service: () => overSeats(distinctSeats(fixture), (c, seat) => http.post('/api/book-seat/', user(fixture, c).token, body(seat))),
      database: () => overSeats(distinctSeats(fixture), (c, seat) => databaseBookSeats(pool, user(fixture, c).id, seat.showId, [seat.seatId], true)),
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
      service: () => overSeats(contendedSeats(fixture), (c, seat) => http.post('/api/hold-seat/', user(fixture, c).token, body(seat))),
      database: () => overSeats(contendedSeats(fixture), (c, seat) => databaseHold(pool, user(fixture, c).id, seat)),
    },
    {
      name: `book ${GROUP_SIZE}-seat groups`,
      writes: true,
      allowed: [201, 409],
      countsBookings: true,
      service: () =>
        overGroups(groupSeats(fixture), (c, group) =>
          http.post('/api/book-seats/', user(fixture, c).token, { show_id: group.showId, seat_ids: group.seatIds }),
        ),
      database: () => overGroups(groupSeats(fixture), (c, group) => databaseBookSeats(pool, user(fixture, c).id, group.showId, group.seatIds, true)),
    },
  ];
}

/** The NOTIFY comparison: the same database-only booking, with and without the announceSeatChangesQuery statement. */
type NotifyJobs = { without: Job; with: Job };
/** Both jobs draw from one seat supply, since their runs take turns on the same showtimes. */
type NotifyPhase = { name: string; allowed: readonly number[]; jobs: () => NotifyJobs };

function notifyPhases(fixture: Fixture, pool: pg.Pool): NotifyPhase[] {
  const bookSeat = (notify: boolean) => (c: number, seat: SeatRef) => databaseBookSeats(pool, user(fixture, c).id, seat.showId, [seat.seatId], notify);
  const bookGroup = (notify: boolean) => (c: number, group: SeatGroup) =>
    databaseBookSeats(pool, user(fixture, c).id, group.showId, group.seatIds, notify);
  return [
    {
      name: 'book 1 seat',
      allowed: [201],
      jobs: () => {
        const seats = distinctSeats(fixture);
        return { without: overSeats(seats, bookSeat(false)), with: overSeats(seats, bookSeat(true)) };
      },
    },
    {
      name: `book ${GROUP_SIZE}-seat groups`,
      allowed: [201, 409],
      jobs: () => {
        const groups = groupSeats(fixture);
        return { without: overGroups(groups, bookGroup(false)), with: overGroups(groups, bookGroup(true)) };
      },
    },
  ];
}

/** One Stats of several runs of the same job. */
function mergeStats(parts: readonly Stats[]): Stats {
  const latencies = Float64Array.from(parts.flatMap((p) => [...p.latencies])).sort();
  const seconds = parts.reduce((sum, p) => sum + p.seconds, 0);
  const statuses = new Map<number, number>();
  for (const part of parts) {
    for (const [status, count] of part.statuses) {
      statuses.set(status, (statuses.get(status) ?? 0) + count);
    }
  }
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    latencies,
    statuses,
    ranOut: parts.some((p) => p.ranOut),
  };
}

/**
 * Without and with NOTIFY taking turns, 1 s each (the order flipping every
 * turn), after a warm-up of both: a machine whose load drifts during the run
 * (other processes, autovacuum) then weighs on both alike.
 */
async function runNotifyPair(phase: NotifyPhase, options: Options, pool: pg.Pool): Promise<NotifyResult> {
  process.stderr.write(`  ${`${phase.name} — database, without / with NOTIFY`.padEnd(56)}`);
  await resetSeats(pool);
  const warmUp = phase.jobs();
  await measure(`${phase.name} without NOTIFY (warm-up)`, options.clients, WARMUP_SECONDS / 2, warmUp.without);
  await measure(`${phase.name} with NOTIFY (warm-up)`, options.clients, WARMUP_SECONDS / 2, warmUp.with);
  await resetSeats(pool);
  const jobs = phase.jobs();
  const without: Stats[] = [];
  const withNotify: Stats[] = [];
  for (let turn = 0; turn < options.seconds; turn++) {
    const order = turn % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
    for (const variant of order) {
      const stats = await measure(`${phase.name} ${variant} NOTIFY`, options.clients, 1, jobs[variant]);
      (variant === 'with' ? withNotify : without).push(stats);
    }
  }
  const result = { name: phase.name, without: mergeStats(without), with: mergeStats(withNotify) };
  process.stderr.write(`${Math.round(result.without.perSecond)} / ${Math.round(result.with.perSecond)} req/s\n`);
  return result;
}

/** A warm-up run (thrown away), then the measured run, each from fresh seats when the phase writes. */
async function runTarget(name: string, writes: boolean, makeJob: () => Job, options: Options, pool: pg.Pool): Promise<Stats> {
  process.stderr.write(`  ${name.padEnd(56)}`);
  if (writes) {
    await resetSeats(pool);
  }
  await measure(`${name} (warm-up)`, options.clients, WARMUP_SECONDS, makeJob());
  if (writes) {
    await resetSeats(pool);
  }
  const stats = await measure(name, options.clients, options.seconds, makeJob());
  process.stderr.write(`${Math.round(stats.perSecond)} req/s\n`);
  return stats;
}

/** Booking rows and references written since the last reset, i.e. by the measured run. */
type Booked = { seats: number; references: number };

async function countBookings(pool: pg.Pool): Promise<Booked> {
  const { rows } = await pool.query<{ seats: string; refs: string }>('SELECT count(*) AS seats, count(DISTINCT reference) AS refs FROM bookings');
  return { seats: Number(rows[0]?.seats ?? 0), references: Number(rows[0]?.refs ?? 0) };
}

/** What a run answered that it must not have, and whether its bookings were all or nothing; one sentence per problem. */
function checkRun(name: string, stats: Stats, allowed: readonly number[] | undefined, booked: Booked | undefined): string[] {
  const problems: string[] = [];
  const unexpected = [...stats.statuses.entries()].filter(([status]) => allowed !== undefined && !allowed.includes(status));
  if (unexpected.length > 0) {
    const list = unexpected.map(([status, count]) => `${status}×${count}`).join(' ');
    problems.push(`${name}: answered ${list}; only ${allowed?.join('/') ?? ''} may come back (a deadlock or lock timeout answers 503)`);
  }
  const created = stats.statuses.get(201) ?? 0;
  if (booked !== undefined && (booked.references !== created || booked.seats !== created * GROUP_SIZE)) {
    problems.push(`${name}: ${created} answers 201 but ${booked.references} references with ${booked.seats} seats in bookings (not all-or-nothing)`);
  }
  return problems;
}

// ─── SSE fan-out ────────────────────────────────────────────────────────────

/** VmRSS of a process, in KiB (Linux /proc). */
async function residentKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match?.[1] === undefined) {
    throw new Error(`no VmRSS in /proc/${pid}/status`);
  }
  return Number(match[1]);
}

/** TCP connections the server holds on its HTTP port, in any state but LISTEN (Linux /proc/net/tcp; the server is on 127.0.0.1). */
async function serverConnections(port: number): Promise<number> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const localPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter(([, local, , state]) => local?.endsWith(`:${localPort}`) === true && state !== '0A').length;
}

type FanOut = {
  viewers: number;
  connectSeconds: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** …and after the changes, the viewers still connected. */
  rssSettledKiB: number;
  /** Per change: from sending its hold to the last viewer receiving it (ms, sorted; changes some viewer missed are left out). */
  toLast: Float64Array;
  /** Per viewer × change pair that arrived (ms, sorted). */
  toEach: Float64Array;
  missed: number;
  dropped: number;
  seatEvents: number;
  /** The server's TCP connections on its HTTP port before the viewers came, and after they left. */
  connectionsBefore: number;
  connectionsAfter: number;
};

type Round = {
  audience: Audience;
  /** performance.now() when each hold request was sent. */
  sentAt: number[];
  connectSeconds: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  connectionsBefore: number;
};

/**
 * Seats freed, `viewers` viewers of the first show connected (each with its
 * snapshot), then one hold through HTTP per watched seat, `intervalMs` apart,
 * then up to SSE_SETTLE_MS for the last events to arrive. The caller closes
 * the audience.
 */
async function viewAndHold(
  fixture: Fixture,
  http: HttpClient,
  server: ServerHandle,
  pool: pg.Pool,
  teardown: Teardown,
  round: { viewers: number; watched: readonly number[]; intervalMs: number },
): Promise<Round> {
  await resetSeats(pool);
  const showId = at(fixture.showIds, 0);
  const rssBeforeKiB = await residentKiB(server.pid);
  const connectionsBefore = await serverConnections(server.port);
  const connecting = performance.now();
  const audience = await connectAudience({
    baseUrl: server.baseUrl,
    showId,
    viewers: round.viewers,
    watchedSeats: round.watched,
    seatsPerShow: fixture.seatIds.length,
    signal: interrupted.signal,
  });
  teardown.add('SSE viewers', async () => audience.close());
  const connectSeconds = (performance.now() - connecting) / 1000;
  const rssAfterKiB = await residentKiB(server.pid);

  const token = at(fixture.users, 0).token;
  const sentAt: number[] = [];
  const first = performance.now();
  for (const [change, seatId] of round.watched.entries()) {
    await sleep(first + change * round.intervalMs - performance.now());
    checkInterrupted();
    sentAt.push(performance.now());
    const status = await http.post('/api/hold-seat/', token, { show_id: showId, seat_id: seatId });
    if (status !== 200) {
      throw new Error(`SSE fan-out: the hold of seat ${seatId} answered ${status}`);
    }
  }
  const settle = performance.now() + SSE_SETTLE_MS;
  while (audience.received() < round.viewers * round.watched.length && performance.now() < settle) {
    checkInterrupted();
    await sleep(20);
  }
  return { audience, sentAt, connectSeconds, rssBeforeKiB, rssAfterKiB, connectionsBefore };
}

/**
 * `--viewers` viewers of one show on the server process, then SSE_CHANGES
 * holds through HTTP, SSE_CHANGE_INTERVAL_MS apart, each on a different seat,
 * timed from sending the hold to each viewer's `seat` event of it. Runs on a
 * fresh server, first, so its RSS before the viewers is not the heap the load
 * phases grew; a small untimed round first warms up the paths it takes.
 */
async function measureFanOut(fixture: Fixture, http: HttpClient, server: ServerHandle, options: Options, pool: pg.Pool, teardown: Teardown): Promise<FanOut> {
  process.stderr.write(`  SSE fan-out, ${options.viewers} viewers`.padEnd(58));
  const warmUp = await viewAndHold(fixture, http, server, pool, teardown, {
    viewers: Math.min(SSE_WARMUP_VIEWERS, options.viewers),
    watched: fixture.seatIds.slice(0, 5),
    intervalMs: 50,
  });
  warmUp.audience.close();

  // One seat in each stretch of the hall.
  const watched = Array.from({ length: SSE_CHANGES }, (_, change) => at(fixture.seatIds, Math.floor((change * fixture.seatIds.length) / SSE_CHANGES)));
  const round = await viewAndHold(fixture, http, server, pool, teardown, { viewers: options.viewers, watched, intervalMs: SSE_CHANGE_INTERVAL_MS });
  const { audience, sentAt } = round;
  const toLast: number[] = [];
  const toEach: number[] = [];
  for (const [change, sent] of sentAt.entries()) {
    let last = 0;
    let all = true;
    for (let viewer = 0; viewer < options.viewers; viewer++) {
      const arrived = audience.arrivals[viewer * SSE_CHANGES + change] ?? Number.NaN;
      if (Number.isNaN(arrived)) {
        all = false;
      } else {
        toEach.push(arrived - sent);
        last = Math.max(last, arrived - sent);
      }
    }
    if (all) {
      toLast.push(last);
    }
  }

  const rssSettledKiB = await residentKiB(server.pid);
  // Everyone leaves; the server must give back every stream's connection.
  audience.close();
  const closing = performance.now() + 10_000;
  let connectionsAfter = await serverConnections(server.port);
  while (connectionsAfter > round.connectionsBefore && performance.now() < closing) {
    await sleep(50);
    connectionsAfter = await serverConnections(server.port);
  }
  const fanOut: FanOut = {
    viewers: options.viewers,
    connectSeconds: round.connectSeconds,
    rssBeforeKiB: round.rssBeforeKiB,
    rssAfterKiB: round.rssAfterKiB,
    rssSettledKiB,
    toLast: Float64Array.from(toLast).sort(),
    toEach: Float64Array.from(toEach).sort(),
    missed: options.viewers * SSE_CHANGES - audience.received(),
    dropped: audience.dropped(),
    seatEvents: audience.seatEvents(),
    connectionsBefore: round.connectionsBefore,
    connectionsAfter,
  };
  process.stderr.write(`${percentile(fanOut.toLast, 0.5).toFixed(1)} ms to the last viewer (p50)\n`);
  return fanOut;
}

function checkFanOut(fanOut: FanOut): string[] {
  const problems: string[] = [];
  if (fanOut.missed > 0 || fanOut.dropped > 0) {
    problems.push(`SSE fan-out: ${fanOut.missed} viewer × change events missed, ${fanOut.dropped} streams dropped by the server`);
  }
  if (fanOut.connectionsAfter > fanOut.connectionsBefore) {
    problems.push(
      `SSE fan-out: the server still held ${fanOut.connectionsAfter} connections 10 s after every viewer left (${fanOut.connectionsBefore} before)`,
    );
  }
  return problems;
}

// ─── the report ─────────────────────────────────────────────────────────────

type Result = { phase: string; service: Stats; database: Stats; booked?: { service: Booked; database: Booked } };
type NotifyResult = { name: string; without: Stats; with: Stats };
type Environment = {
  options: Options;
  postgres: string;
  where: string;
  synchronousCommit: string;
  serverPid: number;
  serverConnections: number;
};

const num = (value: number, digits: number, width: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '-').padStart(width);
const share = (part: number, whole: number): string => `${whole === 0 ? '-' : Math.round((100 * part) / whole)} %`;
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

function statusCounts(stats: Stats): string {
  const parts = [...stats.statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
  return `${parts.join(' ')}${stats.ranOut ? ' (ran out of seats)' : ''}`;
}

const serverErrors = (stats: Stats): number => [...stats.statuses.entries()].reduce((sum, [status, count]) => sum + (status >= 500 ? count : 0), 0);

function header(env: Environment): string[] {
  const cpus = os.cpus();
  return [
    '',
    `Boxoffice bench: ${env.options.clients} concurrent clients, ${env.options.seconds} s per run after a ${WARMUP_SECONDS} s warm-up, ${env.options.viewers} SSE viewers, loopback only`,
    `machine     ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}`,
    `node        ${process.version} (load generator and server)`,
    `postgres    ${env.postgres}, ${env.where}; synchronous_commit ${env.synchronousCommit}`,
    `service     child process \`bin/boxoffice.js start\` (pid ${env.serverPid}), ${env.serverConnections} database connections of its own pool; HTTP keep-alive, 1 socket per client`,
    `database    pg.Pool of ${env.options.clients} (createPool), booking.queries.ts' builders and seat-events.ts' NOTIFY compiled by Kysely and sent by pg; no HTTP, no auth lookup, no JSON`,
    `seats       ${ROWS} rows × ${SEATS_PER_ROW}; runs that write draw from ${showCount(env.options)} showtimes of that hall, reset (and vacuumed) before each run`,
    '',
    'How to read this: each phase runs the same work twice, through HTTP against the server process (service) and as',
    "the service's own SQL sent straight to PostgreSQL (database only), so ratio = service ÷ database is what HTTP,",
    'Fastify, validation, auth and JSON cost. req/s counts every answer from closed loops (each client sends its next',
    'request when the last one answered), 409s included: a lost race is an answer, not an error. p50/p99 are per',
    'request. Load generator, server and PostgreSQL share this machine\'s cores, so compare numbers within one run (the',
    'ratios, the with/without NOTIFY pair) rather than across machines; runs differ by ~10 % on their own.',
  ];
}

function mainTable(results: Result[]): string[] {
  const lines = [
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
  return lines;
}

function groupSection(options: Options, result: Result | undefined): string[] {
  if (result?.booked === undefined) {
    return [];
  }
  const { booked } = result;
  const row = (target: string, stats: Stats, seats: Booked): string => {
    const created = stats.statuses.get(201) ?? 0;
    const conflicts = stats.statuses.get(409) ?? 0;
    return (
      `  ${target.padEnd(10)}${num(stats.perSecond, 0, 8)}${num(seats.seats / stats.seconds, 0, 10)}` +
      `${`${created} (${share(created, stats.requests)})`.padStart(16)}${`${conflicts} (${share(conflicts, stats.requests)})`.padStart(16)}` +
      `${num(stats.p50, 2, 9)}${num(stats.p99, 2, 9)}${String(serverErrors(stats)).padStart(7)}`
    );
  };
  const seatsPerSecond = (stats: Stats, seats: Booked): number => seats.seats / stats.seconds;
  const deadlocks = serverErrors(result.service) + serverErrors(result.database);
  return [
    '',
    `Group bookings: ${options.clients} clients, each request ${GROUP_SIZE} random seats of one show (POST /api/book-seats/), drawn from its`,
    `unsold seats so the groups in flight overlap; the next show once fewer than ${FRESH_SHOW_BELOW} of ${ROWS * SEATS_PER_ROW} are unsold.`,
    `  ${''.padEnd(10)}${'req/s'.padStart(8)}${'seats/s'.padStart(10)}${'201 booked'.padStart(16)}${'409 conflict'.padStart(16)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'5xx'.padStart(7)}`,
    row('service', result.service, booked.service),
    row('database', result.database, booked.database),
    `  ratio (service ÷ database): ${num(result.service.perSecond / result.database.perSecond, 2, 0)} req/s, ` +
      `${num(seatsPerSecond(result.service, booked.service) / seatsPerSecond(result.database, booked.database), 2, 0)} seats/s. ` +
      `Every 201 is ${GROUP_SIZE} Booking rows under one reference (checked in SQL).`,
    `  deadlocks: ${deadlocks}  (5xx answers of both runs; rows are locked in seat id order, so overlapping groups wait, never deadlock)`,
  ];
}

function notifySection(results: NotifyResult[]): string[] {
  if (results.length === 0) {
    return [];
  }
  const lines = [
    '',
    'What NOTIFY costs (database only): the same booking transactions without and with the announceSeatChangesQuery',
    'statement, taking turns 1 s at a time on the same showtimes. PostgreSQL serializes the commits of notifying',
    "transactions on one global lock, held through the commit's WAL flush; the server process LISTENs, as in production.",
    `${''.padEnd(22)}${'───── without NOTIFY ─────'.padStart(29)}   ${'────── with NOTIFY ──────'.padStart(27)}`,
    `${'transaction'.padEnd(22)}${'req/s'.padStart(11)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}   ${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'with ÷ without'.padStart(17)}`,
  ];
  for (const { name, without, with: withNotify } of results) {
    lines.push(
      `${name.padEnd(22)}${num(without.perSecond, 0, 11)}${num(without.p50, 2, 9)}${num(without.p99, 2, 9)}   ` +
        `${num(withNotify.perSecond, 0, 9)}${num(withNotify.p50, 2, 9)}${num(withNotify.p99, 2, 9)}${num(withNotify.perSecond / without.perSecond, 2, 17)}`,
    );
  }
  lines.push('', 'Answers per run (a 409 rolls back, so it has nothing to notify):');
  for (const { name, without, with: withNotify } of results) {
    lines.push(`  ${name.padEnd(20)}without ${statusCounts(without).padEnd(24)} with ${statusCounts(withNotify)}`);
  }
  const cost = (r: NotifyResult): number => 1 - r.with.perSecond / r.without.perSecond;
  const costs = results.map((r) => `${Math.round(100 * cost(r))} % (${r.name})`).join(' and ');
  const limit = `${Math.round(100 * (1 - NOTIFY_LIMIT_RATIO))} %`;
  lines.push(
    ...(results.some((r) => r.with.perSecond / r.without.perSecond < NOTIFY_LIMIT_RATIO)
      ? [
          `  → NOTIFY LIMITS BOOKING THROUGHPUT here (it costs more than ${limit} of the req/s):`,
          `    ${costs}. Batch or coalesce the notifications per show (issue 5, "Mind the cost").`,
        ]
      : [
          `  → NOTIFY does not limit booking throughput here (${limit} of the req/s would count as a limit):`,
          `    it costs ${costs}${results.some((r) => cost(r) < 0) ? '; a negative cost is run-to-run noise' : ''}.`,
        ]),
  );
  return lines;
}

function fanOutSection(fanOut: FanOut | undefined): string[] {
  if (fanOut === undefined) {
    return [];
  }
  const perViewer = (fanOut.rssAfterKiB - fanOut.rssBeforeKiB) / fanOut.viewers;
  const p = (sorted: Float64Array, q: number): string => num(percentile(sorted, q), 1, 7);
  const pairs = fanOut.viewers * SSE_CHANGES;
  return [
    '',
    `SSE fan-out (measured first, on the fresh server): ${fanOut.viewers} viewers of one show, GET /api/shows/{id}/events, one socket each`,
    `  connected     ${fanOut.viewers} viewers, each with its snapshot of ${ROWS * SEATS_PER_ROW} seats, in ${fanOut.connectSeconds.toFixed(1)} s`,
    `  server RSS    ${mib(fanOut.rssBeforeKiB)} before the viewers → ${mib(fanOut.rssAfterKiB)} once all connected (${perViewer >= 0 ? '+' : ''}${perViewer.toFixed(1)} KiB per viewer)`,
    `                → ${mib(fanOut.rssSettledKiB)} after the changes. An upper bound per viewer: it includes the garbage of`,
    `                ${fanOut.viewers} snapshot reads that V8 had not yet collected or given back.`,
    `  ${SSE_CHANGES} holds through HTTP, ${SSE_CHANGE_INTERVAL_MS} ms apart, each timed from sending the hold request to the viewer's \`seat\` event:`,
    `  to the LAST viewer   p50 ${p(fanOut.toLast, 0.5)} ms   p99 ${p(fanOut.toLast, 0.99)} ms   (over ${fanOut.toLast.length} changes: p99 is the slowest)`,
    `  to each viewer       p50 ${p(fanOut.toEach, 0.5)} ms   p99 ${p(fanOut.toEach, 0.99)} ms   (over ${fanOut.toEach.length} viewer × change pairs)`,
    `  missed: ${fanOut.missed}  (of ${pairs}; ${fanOut.seatEvents} seat events parsed, ${fanOut.dropped} streams dropped by the server)`,
    `  disconnected  every viewer; the server's connections on its port back to ${fanOut.connectionsAfter} (${fanOut.connectionsBefore} before the viewers)`,
    `  note          the load generator parses these ${pairs} events (and ${fanOut.viewers} snapshots) itself, on the same ${os.cpus().length} cores as`,
    '                the server and PostgreSQL: its own queueing is part of these delays, so they are an upper bound.',
  ];
}

function report(env: Environment, results: Result[], notify: NotifyResult[], fanOut: FanOut | undefined): string {
  return [
    ...header(env),
    ...mainTable(results),
    ...groupSection(env.options, results.find((r) => r.booked !== undefined)),
    ...notifySection(notify),
    ...fanOutSection(fanOut),
  ].join('\n');
}

// ─── main ───────────────────────────────────────────────────────────────────

async function sanityCheck(baseUrl: string, showId: number): Promise<void> {
  const response = await fetch(`${baseUrl}/api/hall-layout/${showId}/`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const layout = (await response.json()) as { seats?: unknown[] };
  if (response.status !== 200 || layout.seats?.length !== ROWS * SEATS_PER_ROW) {
    throw new Error(`the layout of the bench show is not ${ROWS * SEATS_PER_ROW} seats (HTTP ${response.status})`);
  }
}

/** Runs everything and prints the report; resolves with the checks that failed (the report is printed either way). */
async function run(options: Options, teardown: Teardown): Promise<string[]> {
  process.stderr.write(`bench: starting PostgreSQL, ${showCount(options)} showtimes of a ${ROWS * SEATS_PER_ROW}-seat hall, ${options.clients} users …\n`);
  const database = await startDatabase(teardown);
  checkInterrupted();
  const fixture = await createFixture(database.url, options);
  checkInterrupted();
  const pool = createPool(database.url, { max: options.clients, applicationName: 'boxoffice-bench' });
  teardown.add('database-only pool', () => pool.end());
  const setting = async (name: string): Promise<string> => (await pool.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name] ?? '?';
  const postgres = await setting('server_version');
  const synchronousCommit = await setting('synchronous_commit');
  const server = await startServer(database.url, teardown);
  const http = httpClient(server.baseUrl, options.clients);
  teardown.add('HTTP agent', async () => http.close());
  await sanityCheck(server.baseUrl, at(fixture.showIds, 0));

  process.stderr.write('bench: measuring\n');
  const problems: string[] = [];
  const fanOut = await measureFanOut(fixture, http, server, options, pool, teardown);
  problems.push(...checkFanOut(fanOut));

  const results: Result[] = [];
  let serverConnections = 0;
  for (const phase of phases(fixture, http, pool)) {
    const service = await runTarget(`${phase.name} — service`, phase.writes, phase.service, options, pool);
    const serviceBooked = phase.countsBookings === true ? await countBookings(pool) : undefined;
    const { rows } = await pool.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'boxoffice'`,
    );
    serverConnections = Math.max(serverConnections, Number(rows[0]?.n ?? 0));
    const database = await runTarget(`${phase.name} — database`, phase.writes, phase.database, options, pool);
    const databaseBooked = phase.countsBookings === true ? await countBookings(pool) : undefined;
    problems.push(
      ...checkRun(`${phase.name}, service`, service, phase.allowed, serviceBooked),
      ...checkRun(`${phase.name}, database`, database, phase.allowed, databaseBooked),
    );
    results.push({
      phase: phase.name,
      service,
      database,
      ...(serviceBooked !== undefined && databaseBooked !== undefined ? { booked: { service: serviceBooked, database: databaseBooked } } : {}),
    });
  }

  const notify: NotifyResult[] = [];
  for (const phase of notifyPhases(fixture, pool)) {
    const pair = await runNotifyPair(phase, options, pool);
    problems.push(
      ...checkRun(`${phase.name} without NOTIFY`, pair.without, phase.allowed, undefined),
      ...checkRun(`${phase.name} with NOTIFY`, pair.with, phase.allowed, undefined),
    );
    notify.push(pair);
  }

  const env = { options, postgres, where: database.where, synchronousCommit, serverPid: server.pid, serverConnections };
  console.log(report(env, results, notify, fanOut));
  return problems;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${describe(error)}\nUsage: npm run bench -- [--clients N] [--seconds S] [--viewers V]`);
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
    const problems = await run(options, teardown);
    if (problems.length > 0) {
      exitCode = 1;
      console.error(['', 'bench FAILED its checks:', ...problems.map((p) => `  - ${p}`)].join('\n'));
    }
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
