import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVenue } from '../../src/catalog/index.ts';
import { createDatabase, createPool, type Database } from '../../src/db/database.ts';
import { expectInvariantsHold } from '../setup/cli.ts';
import { createShow, createUser, type TestUser } from '../setup/factories.ts';
import { startPrimaryAndStandby, type PrimaryAndStandby } from '../setup/replica.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';

// READ_DATABASE_URL: catalog listings may read a streaming replica while it
// is within REPLICA_MAX_LAG_SECONDS of the primary, and fall back to the
// primary when it is not (or is gone); a seat decision never reads it. Two
// processes on the same primary and standby, one with a bound nothing here
// reaches (it stays on the replica) and one with a 1 s bound.

let cluster: PrimaryAndStandby;
let db: Database;
let patient: ServerProcess; // REPLICA_MAX_LAG_SECONDS=3600
let strict: ServerProcess; // REPLICA_MAX_LAG_SECONDS=1
let user: TestUser;

beforeAll(async () => {
  cluster = await startPrimaryAndStandby();
  const env = (bound: number) => ({ READ_DATABASE_URL: cluster.standbyUrl, REPLICA_MAX_LAG_SECONDS: String(bound) });
  // The first process migrates the primary; the standby replays it.
  patient = await startServerProcess(cluster.primary.url, env(3_600));
  strict = await startServerProcess(cluster.primary.url, env(1));
  db = createDatabase(createPool(cluster.primary.url, { max: 4 }));
  user = await createUser(db);
});

afterAll(async () => {
  await Promise.all([patient?.stop(), strict?.stop()]);
  await db?.destroy();
  await cluster?.stop();
});

async function metric(server: ServerProcess, name: string): Promise<number | undefined> {
  const text = (await server.http.get('/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

const venueNames = async (server: ServerProcess) => {
  const reply = await server.http.get('/api/venues?limit=100');
  expect(reply.status).toBe(200);
  return (reply.body.items as { name: string }[]).map((v) => v.name);
};

async function standbySql(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.standbySuperuserUrl });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

const newVenue = async () => (await createVenue(db, { name: `Replica ${randomBytes(3).toString('hex')}`, city: 'Springfield' })).name;

describe('READ_DATABASE_URL: a streaming replica for catalog reads', () => {
  it('when the replica keeps up, then both processes read from it, /metrics says so with its lag, and a new venue appears there', async () => {
    for (const server of [patient, strict]) {
      await expect.poll(() => metric(server, 'boxoffice_replica_in_use'), { timeout: 10_000 }).toBe(1);
      expect(await metric(server, 'boxoffice_replica_lag_seconds')).toBeLessThanOrEqual(1);
    }
    const name = await newVenue();
    await expect.poll(() => venueNames(patient), { timeout: 5_000 }).toContain(name);
  });

  it('when the replica stops replaying, then the patient process still lists from it (the new venue missing) while the strict one falls back to the primary (the venue there) and says so', async () => {
    await standbySql('SELECT pg_wal_replay_pause()');
    try {
      const name = await newVenue();
      await expect.poll(() => metric(strict, 'boxoffice_replica_in_use'), { timeout: 10_000 }).toBe(0);
      expect(await metric(strict, 'boxoffice_replica_lag_seconds')).toBeGreaterThan(1);
      expect(await venueNames(strict)).toContain(name);
      // The patient process is still on the replica, which has not seen the venue: proof the listing is read there.
      expect(await metric(patient, 'boxoffice_replica_in_use')).toBe(1);
      expect(await venueNames(patient)).not.toContain(name);
    } finally {
      await standbySql('SELECT pg_wal_replay_resume()');
    }
    await expect.poll(() => metric(strict, 'boxoffice_replica_in_use'), { timeout: 10_000 }).toBe(1);
  });

  it('when a seat is booked on the primary while the replica lags behind it, then a hold through the process reading the replica is refused: seat decisions read the primary', async () => {
    const show = await createShow(db, { rows: 1, seatsPerRow: 2 });
    await expect.poll(async () => (await patient.http.get(`/api/showtimes/${show.showId}`)).status, { timeout: 5_000 }).toBe(200);
    await standbySql('SELECT pg_wal_replay_pause()');
    try {
      const other = await createUser(db);
      expect((await patient.http.post('/api/book-seat/', { show_id: show.showId, seat_id: show.seatIds[0] }, { token: other.token })).status).toBe(201);
      const hold = await patient.http.post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[0] }, { token: user.token });
      expect([hold.status, hold.body.detail]).toEqual([409, 'Seat already booked.']);
      const layout = await patient.http.get(`/api/hall-layout/${show.showId}/`);
      expect(layout.body.seats.find((s: { id: number }) => s.id === show.seatIds[0]).status).toBe('booked');
    } finally {
      await standbySql('SELECT pg_wal_replay_resume()');
    }
  });

  it('when the replica goes away, then listings are answered from the primary and /metrics reports it unused with its lag unknown (NaN)', async () => {
    await cluster.stopStandby();
    const name = await newVenue();
    for (const server of [patient, strict]) {
      await expect.poll(() => metric(server, 'boxoffice_replica_in_use'), { timeout: 15_000 }).toBe(0);
      expect(await metric(server, 'boxoffice_replica_lag_seconds')).toBeNaN();
      expect(await venueNames(server)).toContain(name);
    }
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM venues`.execute(db)).rows[0]!.n).toBeGreaterThanOrEqual(3);
    await expectInvariantsHold(cluster.primary.url);
  });
});
