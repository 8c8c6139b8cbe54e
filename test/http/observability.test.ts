import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createDatabase, createPool, type Database } from '../../src/db/database.ts';
import { startTestApp, testConfig, type TestApp } from '../setup/app.ts';
import { bookingRows, createShow, createUser, createUsers, showSeatRows, startShowNow, type TestShow, type TestUser } from '../setup/factories.ts';
import { httpClient, type HttpClient } from '../setup/http.ts';

/**
 * SPEC §6, operations: /metrics (per-app prom-client registry), x-request-id
 * on every response and in every log line of the request, /healthz.
 * Everything goes through HTTP against real PostgreSQL.
 */

const MAX_SEATS = 2;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let app: TestApp;
let alice: TestUser;
let bob: TestUser;
let show: TestShow;

beforeAll(async () => {
  app = await startTestApp({ maxSeatsPerUser: MAX_SEATS });
  alice = await createUser(app.db);
  bob = await createUser(app.db);
});
afterAll(() => app.close());
beforeEach(async () => {
  show = await createShow(app.db, { rows: 1, seatsPerRow: 6 });
});

const seat = (i: number) => show.seatIds[i]!;
const hold = (user: TestUser, seatId: number) => app.http.post('/api/hold-seat/', { seat_id: seatId, show_id: show.showId }, { token: user.token });
const book = (user: TestUser, seatId: number) => app.http.post('/api/book-seat/', { seat_id: seatId, show_id: show.showId }, { token: user.token });

// ---------------------------------------------------------------------------
// The Prometheus text format, read back.

type Sample = { name: string; labels: Record<string, string>; value: number };

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(match, `not a Prometheus sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!;
    }
    samples.push({ name: match![1]!, labels, value: Number(match![3]) });
  }
  return samples;
}

type Scrape = { samples: Sample[]; text: string; value(name: string, labels?: Record<string, string>): number };

async function scrape(client: HttpClient = app.http): Promise<Scrape> {
  const reply = await client.get('/metrics');
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = parseMetrics(reply.text);
  return {
    samples,
    text: reply.text,
    // The sum over every series of that name whose labels include these; 0 when there is none yet.
    value: (name, labels = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((sum, s) => sum + s.value, 0),
  };
}

const counters = (s: Scrape) => ({
  holds: s.value('boxoffice_holds_total'),
  bookings: s.value('boxoffice_bookings_total'),
  held: s.value('boxoffice_conflicts_total', { reason: 'held' }),
  booked: s.value('boxoffice_conflicts_total', { reason: 'booked' }),
  salesClosed: s.value('boxoffice_conflicts_total', { reason: 'sales_closed' }),
  cancelled: s.value('boxoffice_conflicts_total', { reason: 'cancelled' }),
  seatLimit: s.value('boxoffice_conflicts_total', { reason: 'seat_limit' }),
});

/** The counters' change across `action`, only the ones that moved. */
async function countersMovedBy(action: () => Promise<void>): Promise<Record<string, number>> {
  const before = counters(await scrape());
  await action();
  const after = counters(await scrape());
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, value]) => [key, value - before[key as keyof typeof before]] as const)
      .filter(([, delta]) => delta !== 0),
  );
}

describe('GET /metrics: booking counters', () => {
  it('when holds arrive while both calls are in the database, then they wait and go together in one call (boxoffice_seat_write_batch_size)', async () => {
    const crowd = await createUsers(app.db, 6);
    const before = await scrape();
    // A transaction of the test holds the first two seats: the first two holds fill both call slots
    // (SEAT_WRITE_CONCURRENCY = 2) and wait inside PostgreSQL; the four that follow must queue.
    const locker = new pg.Client({ connectionString: app.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM show_seats WHERE showtime_id = $1 AND seat_id = ANY($2) FOR UPDATE', [show.showId, [seat(0), seat(1)]]);
      const first = [0, 1].map((i) => hold(crowd[i]!, seat(i)));
      while ((await locker.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted')).rows[0]!.n < 2) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const rest = [2, 3, 4, 5].map((i) => hold(crowd[i]!, seat(i)));
      await new Promise((resolve) => setTimeout(resolve, 300)); // received, and waiting for a slot
      await locker.query('COMMIT');
      const replies = await Promise.all([...first, ...rest]);
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    } finally {
      await locker.end();
    }
    const after = await scrape();
    const moved = (name: string) => after.value(name, { kind: 'hold' }) - before.value(name, { kind: 'hold' });
    expect(moved('boxoffice_seat_write_batch_size_sum')).toBe(6);
    expect(moved('boxoffice_seat_write_batch_size_count')).toBe(3); // alone, alone, then the four together
    expect((await showSeatRows(app.db, show.showId)).map((r) => r.locked_by_id)).toEqual(crowd.map((u) => u.id));
  });

  it('when a seat is held, then boxoffice_holds_total rises by one and nothing else moves', async () => {
    const moved = await countersMovedBy(async () => {
      expect((await hold(alice, seat(0))).status).toBe(200);
    });
    expect(moved).toEqual({ holds: 1 });
    expect((await showSeatRows(app.db, show.showId))[0]).toMatchObject({ status: 'held', locked_by_id: alice.id });
  });

  it('when a seat is booked, then boxoffice_bookings_total rises by one; a retried booking (200) adds nothing', async () => {
    expect(await countersMovedBy(async () => expect((await book(alice, seat(0))).status).toBe(201))).toEqual({ bookings: 1 });
    expect(await countersMovedBy(async () => expect((await book(alice, seat(0))).status).toBe(200))).toEqual({});
    expect(await bookingRows(app.db, show.showId)).toHaveLength(1);
  });

  it("when a hold meets another user's hold, then conflicts{reason=held} rises and no hold is counted", async () => {
    await hold(alice, seat(0));
    const moved = await countersMovedBy(async () => {
      const reply = await hold(bob, seat(0));
      expect(reply.status).toBe(409);
      expect(reply.body.detail).toBe('Seat currently held by another user.');
    });
    expect(moved).toEqual({ held: 1 });
    expect((await showSeatRows(app.db, show.showId))[0]).toMatchObject({ status: 'held', locked_by_id: alice.id });
  });

  it('when a hold or a booking meets a booked seat, then conflicts{reason=booked} rises once per request', async () => {
    await book(alice, seat(0));
    const moved = await countersMovedBy(async () => {
      expect((await hold(bob, seat(0))).status).toBe(409);
      expect((await book(bob, seat(0))).status).toBe(409);
    });
    expect(moved).toEqual({ booked: 2 });
    expect(await bookingRows(app.db, show.showId)).toEqual([expect.objectContaining({ seat_id: seat(0), user_id: alice.id })]);
  });

  it('when the show has started, then conflicts{reason=sales_closed} rises', async () => {
    await startShowNow(app.db, show.showId);
    const moved = await countersMovedBy(async () => {
      expect((await hold(alice, seat(0))).body.detail).toBe('Sales for this show have closed.');
    });
    expect(moved).toEqual({ salesClosed: 1 });
  });

  it('when the show is cancelled, then conflicts{reason=cancelled} rises', async () => {
    await app.db.updateTable('showtimes').set({ status: 'cancelled' }).where('id', '=', show.showId).execute();
    const moved = await countersMovedBy(async () => {
      expect((await book(alice, seat(0))).body.detail).toBe('Show has been cancelled.');
    });
    expect(moved).toEqual({ cancelled: 1 });
    expect(await bookingRows(app.db, show.showId)).toEqual([]);
  });

  it('when the user is past MAX_SEATS_PER_USER, then conflicts{reason=seat_limit} rises and only the successful holds count', async () => {
    const moved = await countersMovedBy(async () => {
      for (let i = 0; i < MAX_SEATS; i++) {
        expect((await hold(bob, seat(i))).status).toBe(200);
      }
      expect((await hold(bob, seat(MAX_SEATS))).body.detail).toBe('Seat limit reached.');
    });
    expect(moved).toEqual({ holds: MAX_SEATS, seatLimit: 1 });
    expect((await showSeatRows(app.db, show.showId)).filter((row) => row.status === 'held')).toHaveLength(MAX_SEATS);
  });
});

describe('GET /metrics: requests and the pool', () => {
  it('when the hall layout is read, then the histogram counts it under the route pattern, never the raw URL', async () => {
    const series = { method: 'GET', route: '/api/hall-layout/:show_id/', status_code: '200' };
    const before = await scrape();
    expect((await app.http.get(`/api/hall-layout/${show.showId}/`)).status).toBe(200);
    expect((await app.http.get('/api/hall-layout/999999/')).status).toBe(404);
    const after = await scrape();
    expect(after.value('http_request_duration_seconds_count', series) - before.value('http_request_duration_seconds_count', series)).toBe(1);
    expect(after.value('http_request_duration_seconds_count', { ...series, status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(after.value('http_request_duration_seconds_bucket', { ...series, le: '+Inf' })).toBe(after.value('http_request_duration_seconds_count', series));
    expect(after.value('http_request_duration_seconds_sum', series)).toBeGreaterThan(0);
    const routes = new Set(after.samples.filter((s) => s.name === 'http_request_duration_seconds_count').map((s) => s.labels['route']));
    expect([...routes].filter((route) => route !== undefined && /\d/.test(route))).toEqual([]);
  });

  it('when no route matches (404, 405), then the route label is the fixed "unmatched"', async () => {
    const before = await scrape();
    await app.http.get(`/no/such/path/${randomUUID()}`);
    await app.http.get('/api/hold-seat/');
    const after = await scrape();
    const delta = (status: string) =>
      after.value('http_request_duration_seconds_count', { route: 'unmatched', status_code: status }) -
      before.value('http_request_duration_seconds_count', { route: 'unmatched', status_code: status });
    expect([delta('404'), delta('405')]).toEqual([1, 1]);
    expect(after.text).not.toContain('/no/such/path');
  });

  it('then the pool gauges and the default process metrics are there', async () => {
    await app.http.get(`/api/hall-layout/${show.showId}/`);
    const metrics = await scrape();
    const pool = (state: string) => metrics.samples.find((s) => s.name === 'boxoffice_db_pool_connections' && s.labels['state'] === state);
    expect(pool('total')?.value).toBeGreaterThanOrEqual(1);
    expect(pool('idle')?.value).toBeGreaterThanOrEqual(0);
    expect(pool('waiting')?.value).toBe(0);
    expect(pool('idle')!.value).toBeLessThanOrEqual(pool('total')!.value);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(metrics.samples.some((s) => s.name === name), name).toBe(true);
    }
    expect(metrics.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(metrics.text).toContain('# TYPE boxoffice_conflicts_total counter');
  });
});

// ---------------------------------------------------------------------------
// A second app in the same process, on the same database, logging to memory.

type LogLine = { msg: string; request_id?: string; level: number } & Record<string, unknown>;

describe('x-request-id and the log lines of a request', () => {
  let logged: LogLine[];
  let loggingApp: FastifyInstance;
  let loggingDb: Database;
  let client: HttpClient;
  let baseUrl: string;

  beforeAll(async () => {
    logged = [];
    const memory = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line !== '') {
            logged.push(JSON.parse(line) as LogLine);
          }
        }
        done();
      },
    });
    loggingDb = createDatabase(createPool(app.databaseUrl, { max: 4 }));
    // Building a second app must not collide with the first one's metrics (a per-app registry).
    loggingApp = await buildApp({ config: testConfig({ logLevel: 'debug' }), db: loggingDb, logger: pino({ level: 'debug' }, memory) });
    await loggingApp.listen({ host: '127.0.0.1', port: 0 });
    const address = loggingApp.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    client = httpClient(baseUrl, new Agent({ keepAlive: false }));
  });
  afterAll(async () => {
    await loggingApp.close();
    await loggingDb.destroy();
  });

  /** Sends one request on an idle app and returns it with every line logged until its "request completed". */
  async function linesOf(send: () => Promise<{ status: number; headers: Record<string, unknown> }>) {
    const start = logged.length;
    const reply = await send();
    const deadline = Date.now() + 2_000;
    while (!logged.slice(start).some((line) => line.msg === 'request completed') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { reply, lines: logged.slice(start) };
  }

  it('when each app counts, then the two apps in one process keep separate numbers', async () => {
    expect((await hold(alice, seat(0))).status).toBe(200);
    expect((await scrape()).value('boxoffice_holds_total')).toBeGreaterThanOrEqual(1);
    expect((await scrape(client)).value('boxoffice_holds_total')).toBe(0);
  });

  it('when a 409 is answered, then every line of that request, the error handler one included, names its request_id', async () => {
    await hold(alice, seat(0));
    const { reply, lines } = await linesOf(() =>
      client.post('/api/hold-seat/', { seat_id: seat(0), show_id: show.showId }, { token: bob.token, headers: { 'x-request-id': 'abc-123' } }),
    );
    expect(reply.status).toBe(409);
    expect(reply.headers['x-request-id']).toBe('abc-123');
    expect(lines.map((line) => line.msg)).toEqual(['incoming request', 'request rejected', 'request completed']);
    expect(lines.map((line) => line.request_id)).toEqual(['abc-123', 'abc-123', 'abc-123']);
    expect(lines[1]).toMatchObject({ status: 409, detail: 'Seat currently held by another user.' });
  });

  it('when a 400 is answered without an incoming id, then the made-up id is in the header and in every line', async () => {
    const { reply, lines } = await linesOf(() => client.get('/api/hall-layout/not-a-number/'));
    expect(reply.status).toBe(400);
    const id = reply.headers['x-request-id'] as string;
    expect(id).toMatch(UUID);
    expect(lines.map((line) => line.msg)).toEqual(['incoming request', 'request rejected', 'request completed']);
    expect(lines.every((line) => line.request_id === id)).toBe(true);
  });

  it('when a request fails with a 500-class error, then the error line names the request too', async () => {
    // A row lock held from outside makes the hold wait past lock_timeout: a 503 "busy", logged as an error.
    const locker = await app.db.connection().execute(async (connection) => {
      await sql`BEGIN`.execute(connection);
      await sql`SELECT 1 FROM show_seats WHERE showtime_id = ${show.showId} AND seat_id = ${seat(2)} FOR UPDATE`.execute(connection);
      try {
        return await linesOf(() =>
          client.post('/api/hold-seat/', { seat_id: seat(2), show_id: show.showId }, { token: bob.token, headers: { 'x-request-id': 'slow.one:1' } }),
        );
      } finally {
        await sql`ROLLBACK`.execute(connection);
      }
    });
    expect(locker.reply.status).toBe(503);
    expect(locker.reply.headers['x-request-id']).toBe('slow.one:1');
    expect(locker.lines.map((line) => line.msg)).toEqual(['incoming request', 'request failed', 'request completed']);
    expect(locker.lines.every((line) => line.request_id === 'slow.one:1')).toBe(true);
  });

  it('when the incoming id is sane, then it is kept on 200, 400, 404, 405, 413, the docs and /metrics', async () => {
    const id = 'trace-7f3a.b:9';
    const headers = { 'x-request-id': id };
    const replies = [
      await client.get('/healthz', { headers }),
      await client.get(`/api/hall-layout/${show.showId}/`, { headers }),
      await client.post('/api/hold-seat/', { seat_id: 'one' }, { token: bob.token, headers }),
      await client.get('/api/showtimes/%E0%A4%A', { headers }), // malformed URL: Fastify's frameworkErrors path
      await client.get('/nowhere', { headers }),
      await client.send('DELETE', '/api/hold-seat/', undefined, { headers }),
      await client.post('/api/auth/register', undefined, { headers, rawBody: JSON.stringify({ username: 'x'.repeat(70_000) }) }),
      await client.get('/metrics', { headers }),
      await client.get('/openapi.json', { headers }),
      await client.get('/docs', { headers }),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 400, 400, 404, 405, 413, 200, 200, 200]);
    expect(replies.map((r) => r.headers['x-request-id'])).toEqual(replies.map(() => id));
  });

  it('when the incoming id is insane (too long, spaces, a tab, non-ASCII), then a fresh UUID replaces it', async () => {
    for (const insane of ['a'.repeat(129), 'abc 123', 'abc\t123', 'abc/../123', 'ümlaut', '']) {
      const reply = await rawRequest(baseUrl, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${insane}\r\nConnection: close\r\n\r\n`);
      expect(reply.status, JSON.stringify(insane)).toBe(200);
      expect(reply.headers['x-request-id'], JSON.stringify(insane)).toMatch(UUID);
    }
  });

  it('when the incoming id has control characters, then Node refuses the request and the 400 still carries a fresh id', async () => {
    const reply = await rawRequest(baseUrl, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\u0001def\r\nConnection: close\r\n\r\n');
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body)).toEqual({ detail: expect.any(String) });
    expect(reply.headers['x-request-id']).toMatch(UUID);
  });
});

/** One request written byte for byte on a socket (the http client refuses bad header values). */
function rawRequest(baseUrl: string, request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // Written, not ended: the server closes the socket after answering (Connection: close).
    const socket: Socket = connect(Number(url.port), url.hostname, () => socket.write(Buffer.from(request, 'latin1')));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

// ---------------------------------------------------------------------------

describe('GET /healthz', () => {
  it('when the database answers, then 200 {status: "ok"}', async () => {
    const reply = await app.http.get('/healthz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });

  async function appAgainst(databaseUrl: string) {
    const db = createDatabase(createPool(databaseUrl, { max: 2 }));
    const server = await buildApp({ config: testConfig(), db, logger: pino({ level: 'silent' }) });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const address = server.server.address();
    const http = httpClient(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`, new Agent({ keepAlive: false }));
    return {
      http,
      close: async () => {
        await server.close();
        await db.destroy();
      },
    };
  }

  async function timed<T>(action: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const started = performance.now();
    const result = await action();
    return { result, ms: performance.now() - started };
  }

  it('when nothing listens at the database address, then 503 JSON {detail} at once, and /metrics still answers', async () => {
    const dead = await appAgainst('postgres://x:y@127.0.0.1:1/db');
    try {
      const { result: reply, ms } = await timed(() => dead.http.get('/healthz', { headers: { 'x-request-id': 'probe-1' } }));
      expect(reply.status).toBe(503);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.body).toEqual({ detail: expect.any(String) });
      expect(reply.body.detail.length).toBeGreaterThan(0);
      expect(reply.headers['x-request-id']).toBe('probe-1');
      expect(ms).toBeLessThan(2_500);
      const metrics = await dead.http.get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('boxoffice_db_pool_connections{state="waiting"} 0');
    } finally {
      await dead.close();
    }
  });

  it('when the database accepts connections but never answers, then 503 within the 2 s check timeout', async () => {
    const silent: Server = createServer(() => undefined); // accepts, never speaks
    const sockets = new Set<Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const hung = await appAgainst(`postgres://x:y@127.0.0.1:${port}/db`);
    try {
      const { result: reply, ms } = await timed(() => hung.http.get('/healthz'));
      expect(reply.status).toBe(503);
      expect(reply.body).toEqual({ detail: expect.any(String) });
      expect(ms).toBeGreaterThan(1_500);
      expect(ms).toBeLessThan(3_500);
    } finally {
      for (const socket of sockets) {
        socket.destroy();
      }
      await hung.close();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
