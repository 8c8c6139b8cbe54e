import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { openEventStream, type EventStream, type StreamEvent } from '../setup/event-stream.ts';
import { createShow, createUser, expireHolds, showSeatRows, type TestShow, type TestUser } from '../setup/factories.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';

let app: TestApp;
let alice: TestUser;
let bob: TestUser;
const streams: EventStream[] = [];

beforeAll(async () => {
  app = await startTestApp();
  alice = await createUser(app.db);
  bob = await createUser(app.db);
});
afterAll(async () => {
  streams.forEach((stream) => stream.close());
  await app.close();
});

async function watch(baseUrl: string, showId: number): Promise<EventStream> {
  const stream = await openEventStream(baseUrl, `/api/shows/${showId}/events`);
  streams.push(stream);
  await stream.next((e) => e.event === 'snapshot');
  return stream;
}
const seatEvent = (seatId: number, status: string) => (e: StreamEvent) => e.event === 'seat' && e.data.seat_id === seatId && e.data.status === status;
const post = (path: string, body: unknown, user: TestUser, client = app.http) => client.post(path, body, { token: user.token });

describe('GET /api/shows/{show_id}/events', () => {
  it('when a viewer connects, then it gets a text/event-stream whose first event is a snapshot of every seat, with no user id', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    await post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[0] }, alice);
    const stream = await watch(app.baseUrl, show.showId);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const snapshot = stream.events.find((e) => e.event === 'snapshot')!;
    expect(snapshot.data).toEqual({
      show_id: show.showId,
      seats: [
        { seat_id: show.seatIds[0], status: 'held', locked_until: expect.any(String) },
        { seat_id: show.seatIds[1], status: 'available', locked_until: null },
        { seat_id: show.seatIds[2], status: 'available', locked_until: null },
      ],
    });
    expect(stream.raw()).not.toMatch(/locked_by|user/);
  });

  it('when the show does not exist, then 404 JSON, not a stream', async () => {
    const reply = await app.http.get('/api/shows/999999/events', { headers: { accept: 'text/event-stream' } });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ detail: 'Show not found.' });
  });

  it('when seats are held, booked and released, then every viewer gets one event per seat change, and no user id', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 4 });
    const [one, two] = [await watch(app.baseUrl, show.showId), await watch(app.baseUrl, show.showId)];
    const [a, b, c] = show.seatIds as [number, number, number];
    await post('/api/hold-seats/', { show_id: show.showId, seat_ids: [a, b] }, alice);
    await post('/api/book-seat/', { show_id: show.showId, seat_id: c }, bob);
    await post('/api/release-seat/', { show_id: show.showId, seat_id: a }, alice);
    for (const stream of [one, two]) {
      const held = await stream.next(seatEvent(b, 'held'));
      expect(held.data).toEqual({ seat_id: b, status: 'held', locked_until: expect.any(String) });
      await stream.next(seatEvent(c, 'booked'));
      await stream.next(seatEvent(a, 'available'));
      expect(stream.raw()).not.toContain(String(alice.id) + ',');
      expect(stream.raw()).not.toMatch(/locked_by|user_id/);
    }
  });

  it("when another show's seats change, then this show's viewers hear nothing of it", async () => {
    const watched = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const other = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const stream = await watch(app.baseUrl, watched.showId);
    await post('/api/hold-seat/', { show_id: other.showId, seat_id: other.seatIds[0] }, alice);
    await post('/api/hold-seat/', { show_id: watched.showId, seat_id: watched.seatIds[1] }, alice);
    await stream.next(seatEvent(watched.seatIds[1]!, 'held'));
    expect(stream.events.filter((e) => e.event === 'seat').map((e) => e.data.seat_id)).toEqual([watched.seatIds[1]]);
  });

  it('when a transaction announces a change and rolls back, then no viewer hears it; a committed one is heard', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const stream = await watch(app.baseUrl, show.showId);
    const [rolledBack, committed] = show.seatIds as [number, number];
    await expect(
      app.db.transaction().execute(async (trx) => {
        await sql`UPDATE show_seats SET status = 'booked', booked_at = now() WHERE showtime_id = ${show.showId} AND seat_id = ${rolledBack}`.execute(trx);
        throw new Error('the write failed after announcing');
      }),
    ).rejects.toThrow('the write failed');
    await sql`UPDATE show_seats SET status = 'booked', booked_at = now() WHERE showtime_id = ${show.showId} AND seat_id = ${committed}`.execute(app.db);
    await stream.next(seatEvent(committed, 'booked'));
    expect(stream.events.some((e) => e.event === 'seat' && e.data.seat_id === rolledBack)).toBe(false);
  });

  it('when a hold expires and the layout releases it, then viewers hear the seat is available', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    await post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[0] }, alice);
    const stream = await watch(app.baseUrl, show.showId);
    await expireHolds(app.db, show.showId);
    // The layout releases the hold once this process has heard of the expiry (by NOTIFY, milliseconds later):
    // read it until it shows the seat free, as a visitor's reload would.
    await expect
      .poll(async () => ((await app.http.get(`/api/hall-layout/${show.showId}/`)).body.seats as { id: number; status: string }[]).find((s) => s.id === show.seatIds[0])?.status)
      .toBe('available');
    await stream.next(seatEvent(show.seatIds[0]!, 'available'));
  });

  it('when a viewer reconnects after missing changes, then its new snapshot has them (never silently stale)', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    const first = await watch(app.baseUrl, show.showId);
    first.close();
    await post('/api/book-seats/', { show_id: show.showId, seat_ids: [show.seatIds[0], show.seatIds[2]] }, bob);
    const again = await watch(app.baseUrl, show.showId);
    const snapshot = again.events.find((e) => e.event === 'snapshot')!;
    expect(snapshot.data.seats.map((s: any) => s.status)).toEqual(['booked', 'available', 'booked']);
  });

  it('when staff cancel the showtime, then viewers hear a show event, their last (the stream then ends: event-stream-limits.test.ts)', async () => {
    const staff = await createUser(app.db, { staff: true });
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    await post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[0] }, alice);
    const stream = await watch(app.baseUrl, show.showId);
    expect((await post(`/api/admin/showtimes/${show.showId}/cancel`, undefined, staff)).status).toBe(200);
    const cancelled = await stream.next((e) => e.event === 'show');
    expect(cancelled.data).toEqual({ show_id: show.showId, status: 'cancelled' });
  });

  it('when staff re-price the showtime or change its seat map, then viewers are told to read it again', async () => {
    const staff = await createUser(app.db, { staff: true });
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const stream = await watch(app.baseUrl, show.showId);
    const repriced = await app.http.send('PATCH', `/api/admin/showtimes/${show.showId}`, { price: { amount: 1500, currency: 'EUR' } }, { token: staff.token });
    expect(repriced.status).toBe(200);
    expect((await stream.next((e) => e.event === 'show')).data).toEqual({ show_id: show.showId, status: 'scheduled' });
    const reseated = await app.http.send('PATCH', `/api/admin/halls/${show.hallId}`, { rows: [{ row: 'A', seats: 3 }] }, { token: staff.token });
    expect(reseated.status).toBe(200);
    await expect.poll(() => stream.events.filter((e) => e.event === 'show').length).toBe(2);
    // The snapshot after it already has the new seat map.
    await expect.poll(() => stream.events.filter((e) => e.event === 'snapshot').at(-1)!.data.seats.length).toBe(3);
  });

  it('when a user logs out, then their holds are released and viewers hear it', async () => {
    const user = await createUser(app.db);
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    await post('/api/hold-seats/', { show_id: show.showId, seat_ids: [show.seatIds[0], show.seatIds[1]] }, user);
    const stream = await watch(app.baseUrl, show.showId);
    expect((await app.http.post('/api/auth/logout', undefined, { token: user.token })).status).toBe(204);
    await stream.next(seatEvent(show.seatIds[0]!, 'available'));
    await stream.next(seatEvent(show.seatIds[1]!, 'available'));
    expect((await showSeatRows(app.db, show.showId)).every((r) => r.status === 'available')).toBe(true);
  });
});

describe('live seat events across two server processes', () => {
  let processA: ServerProcess;
  let processB: ServerProcess;
  beforeAll(async () => {
    [processA, processB] = await Promise.all([
      startServerProcess(app.databaseUrl),
      // B runs the sweeper every second with 1-second holds: expiry with nobody asking.
      startServerProcess(app.databaseUrl, { HOLD_TTL_SECONDS: '1', SWEEP_INTERVAL_SECONDS: '1' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([processA.stop(), processB.stop()]);
  });

  it('when a seat is held on process B, then a viewer on process A sees it within a second', async () => {
    const show: TestShow = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const stream = await watch(processA.baseUrl, show.showId);
    const sentAt = performance.now();
    expect((await post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[0] }, alice, processB.http)).status).toBe(200);
    const event = await stream.next(seatEvent(show.seatIds[0]!, 'held'), 1_000);
    expect(event.receivedAt - sentAt).toBeLessThan(1_000);
  });

  it("when process B's sweeper releases an expired hold, then a viewer on process A hears it with no request made", async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const stream = await watch(processA.baseUrl, show.showId);
    await post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[1] }, bob, processB.http);
    await stream.next(seatEvent(show.seatIds[1]!, 'held'));
    await stream.next(seatEvent(show.seatIds[1]!, 'available'), 5_000);
    expect((await sql<{ status: string }>`SELECT status FROM show_seats WHERE showtime_id = ${show.showId} AND seat_id = ${show.seatIds[1]}`.execute(app.db)).rows[0]?.status).toBe('available');
  });
});
