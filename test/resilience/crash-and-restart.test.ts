import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, createPool, type Database } from '../../src/db/database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { expectInvariantsHold } from '../setup/cli.ts';
import { bookingRows, createShow, createUser, type TestShow, type TestUser } from '../setup/factories.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';

/**
 * SPEC §8: nothing is lost across a server crash or a database restart, and
 * while the database is away every request is answered within 5 s. This file
 * runs its own PostgreSQL so it can stop and restart it.
 */
let dataDir: string;
let postgres: EmbeddedPostgres;
let port: number;
let db: Database;
let user: TestUser;
let show: TestShow;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-resilience-'));
  await chmod(dataDir, 0o755);
  postgres = await startEmbeddedPostgres(dataDir, log);
  port = Number(new URL(postgres.url).port);
  db = createDatabase(createPool(postgres.url, { max: 4 }));
  await migrateToLatest(db);
  user = await createUser(db);
  show = await createShow(db);
}, 120_000);

afterAll(async () => {
  await db.destroy();
  await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const bookSecondSeat = (server: ServerProcess) =>
  server.http.post('/api/book-seat/', { seat_id: show.seatIds[1], show_id: show.showId }, { token: user.token });
const pidIsAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const bookFirstSeat = (server: ServerProcess) =>
  server.http.post('/api/book-seat/', { seat_id: show.seatIds[0], show_id: show.showId }, { token: user.token });

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('crash and database restart', () => {
  // Every fault test ends with `boxoffice check` (SPEC §8): booked seats and Bookings agree, holds are whole.
  afterEach(() => expectInvariantsHold(postgres.url));

  it('when the server crashes after a booking, then a new process still has it and a retry answers 200 with the same id', async () => {
    const first = await startServerProcess(postgres.url);
    const booked = await bookFirstSeat(first);
    expect(booked.status).toBe(201);
    await first.crash();

    const second = await startServerProcess(postgres.url);
    try {
      const retry = await bookFirstSeat(second);
      expect(retry.status).toBe(200);
      expect(retry.body.booking_id).toBe(booked.body.booking_id);
      expect(await bookingRows(db, show.showId)).toEqual([{ id: booked.body.booking_id, seat_id: show.seatIds[0], user_id: user.id }]);
    } finally {
      await second.stop();
    }
  });

  it('when the database stops, then requests get 503 JSON within 5 s; when it is back, the same process serves within 5 s', async () => {
    const server = await startServerProcess(postgres.url);
    try {
      await db.destroy();
      await postgres.stop();

      for (const request of [
        () => server.http.get('/healthz'),
        () => server.http.get(`/api/hall-layout/${show.showId}/`),
        () => server.http.post('/api/hold-seat/', { seat_id: show.seatIds[1], show_id: show.showId }, { token: user.token }),
      ]) {
        const { value: reply, ms } = await timed(request);
        expect(reply.status).toBe(503);
        expect(reply.headers['content-type']).toMatch(/application\/json/);
        expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
        expect(typeof reply.body.detail).toBe('string');
        expect(ms).toBeLessThan(5_000);
      }

      postgres = await startEmbeddedPostgres(dataDir, log, { port });
      db = createDatabase(createPool(postgres.url, { max: 4 }));
      const { ms } = await timed(async () => {
        for (;;) {
          const reply = await server.http.get(`/api/hall-layout/${show.showId}/`);
          if (reply.status === 200) {
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      expect(ms).toBeLessThan(5_000);
      expect((await bookFirstSeat(server)).status).toBe(200); // the booking survived the restart
    } finally {
      await server.stop();
    }
  });

  it('when the database goes down in immediate mode (as on a power cut), then 503 within 5 s, and after its crash recovery the same process books within 5 s', async () => {
    const server = await startServerProcess(postgres.url);
    try {
      await db.destroy();
      // SIGQUIT to the postmaster is `pg_ctl stop -m immediate`: every backend ends at once, no checkpoint.
      const postmasterPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(postmasterPid, 'SIGQUIT');
      for (let i = 0; i < 100 && pidIsAlive(postmasterPid); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { value: reply, ms } = await timed(() => bookSecondSeat(server));
      expect(reply.status).toBe(503);
      expect(typeof reply.body.detail).toBe('string');
      expect(ms).toBeLessThan(5_000);
      expect(server.exitCode(), server.output()).toBeNull();

      postgres = await startEmbeddedPostgres(dataDir, log, { port });
      db = createDatabase(createPool(postgres.url, { max: 4 }));
      const { value: booked, ms: recovered } = await timed(async () => {
        for (;;) {
          const again = await bookSecondSeat(server);
          if (again.status !== 503) {
            return again;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      expect(recovered).toBeLessThan(5_000);
      expect([200, 201]).toContain(booked.status);
    } finally {
      await server.stop();
    }
  });

  it('when the database shuts down (fast) while bookings wait inside it, then the process stays up, answers 503, and books again after the restart', async () => {
    const server = await startServerProcess(postgres.url);
    const seats = show.seatIds.slice(2, 10);
    const bookers = await Promise.all(seats.map(() => createUser(db)));
    try {
      // Hold the rows from outside, so the bookings are inside the database (checked-out connections) when it stops.
      const locker = new pg.Client({ connectionString: postgres.url });
      locker.on('error', () => undefined);
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM show_seats WHERE showtime_id = $1 AND seat_id = ANY($2) FOR UPDATE', [show.showId, seats]);
      const inFlight = seats.map((seatId, i) =>
        timed(() => server.http.post('/api/book-seat/', { seat_id: seatId, show_id: show.showId }, { token: bookers[i]!.token })),
      );
      await new Promise((resolve) => setTimeout(resolve, 300)); // they are waiting for the row locks now
      await db.destroy();
      await postgres.stop();
      for (const { value: reply, ms } of await Promise.all(inFlight)) {
        expect(reply.status).toBe(503);
        expect(reply.body.detail).toEqual(expect.any(String));
        expect(ms).toBeLessThan(5_000);
      }
      await new Promise((resolve) => setTimeout(resolve, 500)); // an unhandled connection error would have ended it by now
      expect(server.exitCode(), server.output()).toBeNull();
      expect((await server.http.get('/healthz')).status).toBe(503);

      postgres = await startEmbeddedPostgres(dataDir, log, { port });
      db = createDatabase(createPool(postgres.url, { max: 4 }));
      const { value: booked, ms } = await timed(async () => {
        for (;;) {
          const reply = await server.http.post('/api/book-seat/', { seat_id: seats[0], show_id: show.showId }, { token: bookers[0]!.token });
          if (reply.status !== 503) {
            return reply;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      expect(booked.status).toBe(201);
      expect(ms).toBeLessThan(5_000);
      expect(server.exitCode()).toBeNull();
      // Nothing half-done survived the stop: the seats the stopped bookings wanted are free, except the one booked after.
      const rows = await bookingRows(db, show.showId);
      expect(rows.filter((row) => seats.includes(row.seat_id))).toEqual([{ id: booked.body.booking_id, seat_id: seats[0], user_id: bookers[0]!.id }]);
    } finally {
      await server.stop();
    }
  });
});
