import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLayoutCache, SEAT_EVENTS_CHANNEL, startSeatEventHub } from '../../src/booking/index.ts';
import { listenerConfig } from '../../src/db/database.ts';
import { startListener } from '../../src/db/listener.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createShow, createUser, showSeatRows, type TestShow, type TestUser } from '../setup/factories.ts';
import { waitForListeners } from '../setup/listener.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';
import { msUntil } from '../setup/poll.ts';

/**
 * The per-process layout cache (src/booking/layout-cache.ts): fed by the seat
 * events of the `show_seats` trigger, applied by per-seat version, answered
 * with ETag/304 and gzip/br. Every test reads the layout once first, so the
 * show is in the cache and what follows is served from it, not from a fresh
 * database read.
 */
let app: TestApp;
let alice: TestUser;
let bob: TestUser;
const processes: ServerProcess[] = [];

beforeAll(async () => {
  app = await startTestApp({ holdTtlSeconds: 300 });
  alice = await createUser(app.db);
  bob = await createUser(app.db);
  // Until its listener listens, the app reads every layout from the database: nothing here would be tested.
  await waitForListeners(app.db, 1);
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await app.close();
});

type RawReply = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** A GET that keeps the body as bytes (the shared client decodes it as UTF-8 text). */
function getRaw(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, baseUrl), { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const layoutPath = (show: TestShow) => `/api/hall-layout/${show.showId}/`;
const layout = (show: TestShow, user?: TestUser, client = app.http) => client.get(layoutPath(show), user === undefined ? {} : { token: user.token });
const seatIn = (reply: { body: any }, seatId: number) => reply.body.seats.find((s: any) => s.id === seatId);
const statusIn = async (show: TestShow, seatId: number, client = app.http) => seatIn(await layout(show, undefined, client), seatId)?.status;
const hold = (user: TestUser, show: TestShow, seatId: number, client = app.http) =>
  client.post('/api/hold-seat/', { show_id: show.showId, seat_id: seatId }, { token: user.token });

async function versionOf(show: TestShow, seatId: number): Promise<number> {
  const row = await app.db
    .selectFrom('show_seats')
    .select('version')
    .where('showtime_id', '=', show.showId)
    .where('seat_id', '=', seatId)
    .executeTakeFirstOrThrow();
  return row.version;
}


/** A seat event as the trigger sends it: {"s": show, "c": [[seat, status, locked_until, version, holder]]}. */
const notifySeat = (showId: number, change: [number, string, string | null, number, number | null]) =>
  sql`SELECT pg_notify('boxoffice_seat_events', ${JSON.stringify({ s: showId, c: [change] })})`.execute(app.db);

const bookWithSql = (show: TestShow, seatId: number) =>
  sql`UPDATE show_seats SET status = 'booked', booked_at = now() WHERE showtime_id = ${show.showId} AND seat_id = ${seatId}`.execute(app.db);

describe('ETag and compression of GET /api/hall-layout/{show_id}/', () => {
  it('when a client sends the ETag back in If-None-Match, then 304 with no body; after a seat changes, 200 with a new ETag', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 4 });
    const first = await layout(show);
    expect(first.status).toBe(200);
    const etag = first.headers['etag'] as string;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(first.headers['cache-control']).toBe('no-cache');

    const unchanged = await app.http.get(layoutPath(show), { headers: { 'if-none-match': etag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers['etag']).toBe(etag);

    expect((await hold(alice, show, show.seatIds[0]!)).status).toBe(200);
    expect((await showSeatRows(app.db, show.showId))[0]).toMatchObject({ status: 'held', locked_by_id: alice.id });
    const changed = await app.http.get(layoutPath(show), { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers['etag']).not.toBe(etag);
    expect(seatIn(changed, show.seatIds[0]!).status).toBe('held');
    // The new tag is current again.
    const again = await app.http.get(layoutPath(show), { headers: { 'if-none-match': changed.headers['etag'] as string } });
    expect(again.status).toBe(304);
  });

  it.each([
    ['gzip', gunzipSync],
    ['br', brotliDecompressSync],
  ] as const)('when a client accepts %s, then the layout is compressed with Content-Encoding and decompresses to exactly the identity body', async (encoding, decompress) => {
    // 40 seats: well above the size below which nothing is compressed.
    const show = await createShow(app.db, { rows: 4, seatsPerRow: 10 });
    await hold(bob, show, show.seatIds[3]!);
    const identity = await getRaw(app.baseUrl, layoutPath(show));
    expect(identity.status).toBe(200);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body.length).toBeGreaterThan(1_024);

    const compressed = await getRaw(app.baseUrl, layoutPath(show), { 'accept-encoding': encoding });
    expect(compressed.status).toBe(200);
    expect(compressed.headers['content-encoding']).toBe(encoding);
    expect(compressed.headers['content-type']).toMatch(/^application\/json/);
    expect(String(compressed.headers['vary']).toLowerCase().split(/\s*,\s*/)).toContain('accept-encoding');
    expect(compressed.body.length).toBeLessThan(identity.body.length);
    expect(decompress(compressed.body).equals(identity.body)).toBe(true);
    expect(compressed.headers['etag']).not.toBe(identity.headers['etag']);
    expect(JSON.parse(identity.body.toString('utf8')).seats[3]).toMatchObject({ id: show.seatIds[3], status: 'held', locked_by: null });
  });
});

describe('seat events reaching the cache', () => {
  it('when a late event with an older version arrives, then the layout still shows the seat held; a newer version is applied', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    const [seat, witness, other] = show.seatIds as [number, number, number];
    expect((await hold(alice, show, seat)).status).toBe(200);
    expect(await statusIn(show, seat)).toBe('held');
    const version = await versionOf(show, seat);

    // Stale: the seat as it was one version ago. Then a real change of another seat, committed after it:
    // notifications arrive in commit order, so once that one shows, the stale one was handled.
    await notifySeat(show.showId, [seat, 'available', null, version - 1, null]);
    await bookWithSql(show, witness);
    await msUntil(() => statusIn(show, witness), 'booked');
    expect(seatIn(await layout(show), seat)).toMatchObject({ status: 'held', locked_until: expect.any(String) });
    expect(seatIn(await layout(show, alice), seat).locked_by).toBe(alice.id);
    expect((await showSeatRows(app.db, show.showId))[0]).toMatchObject({ status: 'held', locked_by_id: alice.id });

    // Newer (a synthetic event: the database still says held; only the cache hears it).
    await notifySeat(show.showId, [seat, 'available', null, version + 1, null]);
    await msUntil(() => statusIn(show, seat), 'available');
    expect(seatIn(await layout(show), other).status).toBe('available');
  });

  it('when an operator changes a seat with plain SQL, then the layout shows it within 1 s; a rolled-back UPDATE never shows', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    const [changed, rolledBack, witness] = show.seatIds as [number, number, number];
    expect(await statusIn(show, changed)).toBe('available');

    await app.db.transaction().execute(async (trx) => {
      await sql`UPDATE show_seats SET status = 'booked', booked_at = now() WHERE showtime_id = ${show.showId} AND seat_id = ${changed}`.execute(trx);
    });
    expect(await msUntil(() => statusIn(show, changed), 'booked')).toBeLessThanOrEqual(1_000);

    await expect(
      app.db.transaction().execute(async (trx) => {
        await sql`UPDATE show_seats SET status = 'booked', booked_at = now() WHERE showtime_id = ${show.showId} AND seat_id = ${rolledBack}`.execute(trx);
        throw new Error('the operator thought better of it');
      }),
    ).rejects.toThrow('thought better');
    // Committed after the rollback: once it shows, anything the rollback could have sent would have arrived.
    await bookWithSql(show, witness);
    await msUntil(() => statusIn(show, witness), 'booked');
    expect(await statusIn(show, rolledBack)).toBe('available');
    expect((await showSeatRows(app.db, show.showId)).map((r) => r.status)).toEqual(['booked', 'available', 'booked']);
  });

  it('when a seat is held through process A, then a layout read through process B shows it held within 1 s', async () => {
    const processA = await startServerProcess(app.databaseUrl);
    processes.push(processA);
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    const seat = show.seatIds[1]!;
    expect(await statusIn(show, seat)).toBe('available'); // process B (this test's app) has the show cached

    const held = await hold(bob, show, seat, processA.http);
    expect(held.status).toBe(200);
    const staleness = await msUntil(() => statusIn(show, seat), 'held');
    expect(staleness).toBeLessThanOrEqual(1_000);
    expect(seatIn(await layout(show), seat).locked_until).toBe(held.body.locked_until);
    expect((await showSeatRows(app.db, show.showId))[1]).toMatchObject({ status: 'held', locked_by_id: bob.id });
  });

  it('when the holder reads the layout, then locked_by is their id; another user and anonymous see null; two anonymous reads are the same bytes', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    const seat = show.seatIds[2]!;
    await layout(show);
    expect((await hold(alice, show, seat)).status).toBe(200);

    const asAlice = seatIn(await layout(show, alice), seat);
    const asBob = seatIn(await layout(show, bob), seat);
    expect(asAlice).toMatchObject({ status: 'held', locked_by: alice.id, locked_until: expect.any(String) });
    expect(asBob).toMatchObject({ status: 'held', locked_by: null, locked_until: asAlice.locked_until });

    const [first, second] = [await getRaw(app.baseUrl, layoutPath(show)), await getRaw(app.baseUrl, layoutPath(show))];
    expect(first.body.equals(second.body)).toBe(true);
    expect(first.headers['etag']).toBe(second.headers['etag']);
    const anonymous = JSON.parse(first.body.toString('utf8'));
    expect(anonymous.seats.find((s: any) => s.id === seat)).toMatchObject({ status: 'held', locked_by: null, locked_until: asAlice.locked_until });
    expect(anonymous.seats.every((s: any) => s.locked_by === null)).toBe(true);
    expect((await showSeatRows(app.db, show.showId))[2]).toMatchObject({ status: 'held', locked_by_id: alice.id });
  });

  it('when a showtime is deleted by staff, then the layout answers 404 within 1 s', async () => {
    const staff = await createUser(app.db, { staff: true });
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    expect((await layout(show)).status).toBe(200);

    const deleted = await app.http.send('DELETE', `/api/admin/showtimes/${show.showId}`, undefined, { token: staff.token });
    expect(deleted.status).toBe(204);
    expect(await msUntil(async () => (await layout(show)).status, 404)).toBeLessThanOrEqual(1_000);
    expect((await layout(show)).body).toEqual({ detail: 'Show not found.' });
    expect(await app.db.selectFrom('showtimes').select('id').where('id', '=', show.showId).execute()).toEqual([]);
    expect(await showSeatRows(app.db, show.showId)).toEqual([]);
  });
});

describe('conflicts the process already knows', () => {
  /** Runs `work` while another transaction holds an ACCESS EXCLUSIVE lock on showtimes: any seat function would wait. */
  async function withShowtimesLocked<T>(work: () => Promise<T>): Promise<T> {
    return app.db.connection().execute(async (connection) => {
      await sql`BEGIN`.execute(connection);
      await sql`LOCK TABLE showtimes IN ACCESS EXCLUSIVE MODE`.execute(connection);
      try {
        return await work();
      } finally {
        await sql`ROLLBACK`.execute(connection);
      }
    });
  }

  it('when a cached seat is held by someone else, then a hold is refused 409 without asking the database', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    const [seat] = show.seatIds as [number];
    expect((await hold(alice, show, seat)).status).toBe(200);
    await layout(show); // cached
    await app.http.get('/api/auth/me', { token: bob.token }); // Bob's session cached too
    const started = performance.now();
    const refused = await withShowtimesLocked(() => hold(bob, show, seat));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ detail: 'Seat currently held by another user.', conflicts: [{ seat_id: seat, reason: 'held' }] });
    expect(performance.now() - started).toBeLessThan(1_000); // the database path would wait for the table lock (4 s)
    expect(await showSeatRows(app.db, show.showId)).toContainEqual(expect.objectContaining({ seat_id: seat, status: 'held', locked_by_id: alice.id }));
  });

  it('when a cached seat is booked, then a hold is refused from the cache, and the booker’s retry still reaches the database and answers 200', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    const [seat] = show.seatIds as [number];
    const booked = await app.http.post('/api/book-seat/', { show_id: show.showId, seat_id: seat }, { token: alice.token });
    expect(booked.status).toBe(201);
    await layout(show);
    await app.http.get('/api/auth/me', { token: bob.token });
    const refused = await withShowtimesLocked(() => hold(bob, show, seat));
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe('Seat already booked.');
    const retried = await app.http.post('/api/book-seat/', { show_id: show.showId, seat_id: seat }, { token: alice.token });
    expect(retried.status).toBe(200);
    expect(retried.body.booking_id).toBe(booked.body.booking_id);
  });
});

describe("this process's own writes while a show is being loaded", () => {
  it('when a write is applied while the show is still being read, then the snapshot has it (read-your-writes does not wait for NOTIFY)', async () => {
    const listener = startListener(listenerConfig(app.db)!, [SEAT_EVENTS_CHANNEL], pino({ level: 'silent' }));
    const hub = startSeatEventHub(listener);
    const cache = createLayoutCache(app.db, hub, pino({ level: 'silent' }));
    try {
      await waitForListeners(app.db, 2);
      await expect.poll(() => hub.isListening()).toBe(true);
      const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
      const seat = show.seatIds[0]!;
      // The load starts (it subscribes, then reads the seats); a write of ours commits before it has read them.
      const reading = cache.layout(show.showId, alice.id, undefined);
      const lockedUntil = new Date(Date.now() + 60_000).toISOString();
      cache.apply(show.showId, [{ seat_id: seat, status: 'held', locked_until: lockedUntil, version: (await versionOf(show, seat)) + 1, holder: alice.id }]);
      const answer = JSON.parse((await reading)!.body.toString('utf8'));
      expect(answer.seats.find((s: any) => s.id === seat)).toMatchObject({ status: 'held', locked_by: alice.id });
    } finally {
      cache.close();
      hub.close();
      await listener.close();
    }
  });
});
