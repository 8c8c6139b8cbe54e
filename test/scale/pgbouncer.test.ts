import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBy } from '../setup/barrier.ts';
import { expectInvariantsHold, runCli } from '../setup/cli.ts';
import { createTestDatabase, type TestDatabase } from '../setup/database.ts';
import { openEventStream, type EventStream } from '../setup/event-stream.ts';
import { createShow, createUsers, showSeatRows, bookingRows, type TestUser } from '../setup/factories.ts';
import { pgbouncerMissing, pgbouncerPath, startPgBouncer, type PgBouncer } from '../setup/pgbouncer.ts';
import { expectOneWinner, overlappingGroups, race } from '../setup/races.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';

// The scale-out topology on one machine: three `boxoffice start` processes on
// one PostgreSQL through PgBouncer in transaction pooling (a stock
// configuration: no ignore_startup_parameters), each listening for seat
// events on a direct connection (LISTEN_DATABASE_URL). A pool smaller than
// the three processes' pools together makes PgBouncer hand every server
// connection from process to process, transaction by transaction.

if (pgbouncerPath === null) {
  console.log(pgbouncerMissing);
}

const CROWD = 50;
const MAX_SEATS_PER_USER = 6;

describe.skipIf(pgbouncerPath === null)('three server processes behind PgBouncer (transaction pooling)', () => {
  let database: TestDatabase;
  let bouncer: PgBouncer;
  let servers: ServerProcess[] = [];
  let crowd: TestUser[];
  const streams: EventStream[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    // A deployment migrates once, straight to PostgreSQL, before it starts the
    // processes: the statement timeout it sets as the role's default reaches
    // the sessions opened after it, PgBouncer's server connections included.
    const migrated = await runCli(['migrate'], database.url);
    expect(migrated.code, migrated.stderr).toBe(0);
    bouncer = await startPgBouncer(database.url, { poolSize: 8 });
    const env = {
      LISTEN_DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '10',
      MAX_SEATS_PER_USER: String(MAX_SEATS_PER_USER),
      // Every process sweeps every second: expiry with nobody asking, sweepers racing each other.
      SWEEP_INTERVAL_SECONDS: '1',
    };
    // Started together: their migration runs and seed checks meet on the advisory locks, through PgBouncer.
    servers = await Promise.all([0, 1, 2].map(() => startServerProcess(bouncer.url, env)));
    crowd = await createUsers(database.db, CROWD);
  });

  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    const codes = await Promise.all(servers.map((server) => server.stop()));
    await bouncer?.stop();
    await database?.drop();
    expect(codes).toEqual(servers.map(() => 0));
  });

  const clients = () => servers.map((server) => server.http);

  it('when 50 users hold one seat through the three processes at once, then exactly one 200 and 49 × 409', async () => {
    const { show, seatId, winner } = await expectOneWinner(database.db, crowd, clients(), 200, '/api/hold-seat/');
    const held = (await showSeatRows(database.db, show.showId)).filter((r) => r.status === 'held');
    expect(held).toEqual([expect.objectContaining({ seat_id: seatId, locked_by_id: winner.id })]);
  });

  it('when 50 users book one seat through the three processes at once, then exactly one 201, 49 × 409 and one Booking row', async () => {
    const { show, seatId, winner } = await expectOneWinner(database.db, crowd, clients(), 201, '/api/book-seat/');
    expect(await bookingRows(database.db, show.showId)).toEqual([{ id: expect.any(Number), seat_id: seatId, user_id: winner.id }]);
  });

  it('when 30 users race overlapping groups of 4 seats through the three processes, 10 rounds, then whole groups only and no seat twice', async () => {
    await overlappingGroups(database.db, clients(), 10);
  });

  it(`when one user fires 12 holds at once through the three processes with a limit of ${MAX_SEATS_PER_USER}, then exactly ${MAX_SEATS_PER_USER} succeed`, async () => {
    const show = await createShow(database.db, { rows: 2, seatsPerRow: 6 });
    const user = crowd[0]!;
    const replies = await race(clients(), '/api/hold-seat/', Array.from({ length: 12 }, () => user), (_u, i) => ({ seat_id: show.seatIds[i]!, show_id: show.showId }));
    expect(countBy(replies, (r) => r.status)).toEqual({ 200: MAX_SEATS_PER_USER, 409: 12 - MAX_SEATS_PER_USER });
    const held = (await showSeatRows(database.db, show.showId)).filter((r) => r.status === 'held' && r.locked_by_id === user.id);
    expect(held).toHaveLength(MAX_SEATS_PER_USER);
  });

  it('when a seat is held on one process, then viewers on the other two see it; when its hold expires, the sweepers release it and both hear that with no request made', async () => {
    const show = await createShow(database.db, { rows: 1, seatsPerRow: 3 });
    const viewers = await Promise.all(
      servers.slice(1).map(async (server) => {
        const stream = await openEventStream(server.baseUrl, `/api/shows/${show.showId}/events`);
        streams.push(stream);
        await stream.next((e) => e.event === 'snapshot');
        return stream;
      }),
    );
    const seatId = show.seatIds[1]!;
    const seatIs = (status: string) => (e: { event: string; data: any }) => e.event === 'seat' && e.data.seat_id === seatId && e.data.status === status;
    expect((await servers[0]!.http.post('/api/hold-seat/', { show_id: show.showId, seat_id: seatId }, { token: crowd[1]!.token })).status).toBe(200);
    await Promise.all(viewers.map((viewer) => viewer.next(seatIs('held'), 2_000)));

    await sql`UPDATE show_seats SET locked_until = now() - interval '1 second' WHERE showtime_id = ${show.showId} AND seat_id = ${seatId}`.execute(database.db);
    await Promise.all(viewers.map((viewer) => viewer.next(seatIs('available'), 5_000)));
    expect((await showSeatRows(database.db, show.showId)).find((r) => r.seat_id === seatId)).toMatchObject({ status: 'available', locked_by_id: null });
  });

  it('after all of that, every PgBouncer server connection is clean: the statement timeout set, no lock_timeout or advisory lock left behind, and boxoffice check passes', async () => {
    // As many clients as PgBouncer has server connections, each in a transaction at once, so every one is looked at.
    const pool = new pg.Pool({ connectionString: bouncer.url, max: 8 });
    try {
      const clientsInTransactions = await Promise.all(Array.from({ length: 8 }, () => pool.connect()));
      const states = await Promise.all(
        clientsInTransactions.map(async (client) => {
          await client.query('BEGIN');
          const { rows } = await client.query<{ statement_timeout: string; lock_timeout: string; advisory: number }>(
            `SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('lock_timeout') AS lock_timeout,
                    -- advisory locks held by a session outside any transaction: left behind
                    (SELECT count(*)::int FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                      WHERE l.locktype = 'advisory' AND a.datname = current_database() AND a.state = 'idle') AS advisory`,
          );
          return rows[0];
        }),
      );
      await Promise.all(clientsInTransactions.map(async (client) => (await client.query('COMMIT'), client.release())));
      expect(states).toEqual(Array.from({ length: 8 }, () => ({ statement_timeout: '4s', lock_timeout: '0', advisory: 0 })));
    } finally {
      await pool.end();
    }
    await expectInvariantsHold(bouncer.url);
  });
});
