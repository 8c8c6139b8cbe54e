import { Agent } from 'node:http';
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectInvariantsHold } from '../setup/cli.ts';
import { createTestDatabase, type TestDatabase } from '../setup/database.ts';
import { bookingRows, createShow, createUsers } from '../setup/factories.ts';
import { httpClient } from '../setup/http.ts';
import { startServerProcess } from '../setup/server-process.ts';

/**
 * SPEC §1 and §8: on SIGTERM every request the server already received gets
 * its real answer; only new connections are refused; exit 0 within 10 s.
 * A real `boxoffice start` process, bookings kept waiting inside PostgreSQL
 * (a transaction of the test holds their row locks) when the signal arrives.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a new TCP connection to the port is accepted. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('SIGTERM with requests in flight', { timeout: 60_000 }, () => {
  it('when SIGTERM arrives while 8 bookings wait inside the database, then each gets its real 201, new connections are refused, and the process exits 0 within 10 s', async () => {
    const server = await startServerProcess(database.url);
    const port = Number(new URL(server.baseUrl).port);
    const show = await createShow(database.db, { rows: 1, seatsPerRow: 8 });
    const bookers = await createUsers(database.db, 8);
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM show_seats WHERE showtime_id = $1 FOR UPDATE', [show.showId]);
      // Keep-alive connections, as a browser or an API client has them.
      const http = httpClient(server.baseUrl, new Agent({ keepAlive: true }));
      const inFlight = show.seatIds.map((seatId, i) => http.post('/api/book-seat/', { seat_id: seatId, show_id: show.showId }, { token: bookers[i]!.token }));
      // Received and waiting: some inside PostgreSQL on the row locks, the rest queued for the next call.
      for (let waited = 0; ; waited += 50) {
        // pg_locks, not pg_stat_activity: the wait of another role's backend shows there whoever asks.
        const { rows } = await locker.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted');
        if (rows[0]!.n > 0) {
          break;
        }
        expect(waited, 'no booking reached the row locks').toBeLessThan(2_000); // they give up after lock_timeout (3 s)
        await sleep(50);
      }
      await sleep(200);

      const signalled = performance.now();
      process.kill(server.pid, 'SIGTERM');
      await sleep(300);
      expect(await accepts(port)).toBe(false); // new connections are refused at once
      expect(server.exitCode()).toBeNull(); // ... while the received requests are still being answered
      await locker.query('COMMIT');

      const replies = await Promise.all(inFlight);
      expect(replies.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(replies.every((r) => r.headers.connection === 'close')).toBe(true);
      while (server.exitCode() === null) {
        expect(performance.now() - signalled).toBeLessThan(10_000);
        await sleep(50);
      }
      expect(server.exitCode(), server.output()).toBe(0);
      expect((await bookingRows(database.db, show.showId)).map((b) => b.id).sort()).toEqual(replies.map((r) => r.body.booking_id as number).sort());
      await expectInvariantsHold(database.url);
    } finally {
      await locker.end();
      await server.stop();
    }
  });
});
