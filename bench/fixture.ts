/**
 * The bench's database and what it holds: a fresh embedded PostgreSQL, the
 * schema of the checkout whose server is measured (its own `boxoffice
 * migrate`), and the cinema made through the service's own domain functions
 * (registerUser/createSession, createVenue/createHall/createMovie/createShowtime).
 *
 * Every run that writes gets seats nobody touched before: showtimes of the
 * 500-seat hall made for it just before it runs. Their ids are consecutive,
 * and so are the seats of a hall and the bench users, so that a wrk Lua
 * script or a pgbench script can compute any seat from an index:
 * showtime = first + ⌊i / seats⌋, seat = first seat + i mod seats.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { createSession, registerUser } from '../src/accounts/index.ts';
import { showtimeSeats } from '../src/booking/index.ts';
import { createHall, createMovie, createShowtime, createVenue } from '../src/catalog/index.ts';
import type { Database } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { checkInterrupted, runToEnd, type Teardown } from './processes.ts';

export type PostgresServer = { url: string; dataDir: string; postmasterPid(): Promise<number> };

/** A fresh cluster in a temp dir, stopped (and removed) by the teardown. */
export async function startPostgres(teardown: Teardown): Promise<PostgresServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-bench-'));
  teardown.add('temp dir', () => rm(dataDir, { recursive: true, force: true }));
  await chmod(dataDir, 0o755); // as root, postgres runs as the `postgres` user and must reach its cluster inside
  const embedded = await startEmbeddedPostgres(dataDir, pino({ level: 'warn' }));
  teardown.add('embedded PostgreSQL', () => embedded.stop());
  // The bench checkpoints between runs (rounds.ts) as the app's own role, which is no superuser.
  const admin = new pg.Client({ connectionString: embedded.superuserUrl });
  await admin.connect();
  try {
    await admin.query(`GRANT pg_checkpoint TO "${decodeURIComponent(new URL(embedded.url).username)}"`);
  } finally {
    await admin.end();
  }
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
  return { url: embedded.url, dataDir, postmasterPid: async () => Number((await readFile(pidFile, 'utf8')).split('\n')[0]) };
}

/** The schema of the checkout being measured: its own migrations, through its own CLI. */
export async function migrate(serverDir: string, url: string): Promise<void> {
  await runToEnd(process.execPath, [path.join(serverDir, 'bin/boxoffice.js'), 'migrate'], {
    cwd: serverDir,
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
  });
}

export type Hall = { id: number; firstSeatId: number; seats: number };
export type BenchUser = { id: number; token: string };

export type Fixture = {
  hall500: Hall;
  hall2000: Hall;
  /** One user per connection, consecutive ids. */
  users: BenchUser[];
  /** Showtimes nobody writes to: the layout scenarios read these. */
  quietShow500: number;
  quietShow2000: number;
  /** `count` new showtimes of the 500-seat hall (consecutive ids): the first id. */
  newShowtimes(count: number): Promise<number>;
};

/** Row labels A … Z, AA, AB, … (a hall of 40 rows needs more than the alphabet). */
function rowLabel(index: number): string {
  const letter = (n: number): string => String.fromCharCode(65 + n);
  return index < 26 ? letter(index) : letter(Math.floor(index / 26) - 1) + letter(index % 26);
}

function consecutive(ids: readonly number[], what: string): number {
  const first = ids[0];
  if (first === undefined || ids.some((id, i) => id !== first + i)) {
    throw new Error(`the bench needs consecutive ids for its ${what}, got ${ids.slice(0, 5).join(', ')}…`);
  }
  return first;
}

async function makeHall(db: Database, venueId: number, name: string, rows: number, seatsPerRow: number): Promise<Hall> {
  const hall = await createHall(db, {
    venue_id: venueId,
    name,
    rows: Array.from({ length: rows }, (_, i) => ({ row: rowLabel(i), seats: seatsPerRow })),
  });
  const seats = await db.selectFrom('seats').select('id').where('hall_id', '=', hall.id).orderBy('id').execute();
  return { id: hall.id, firstSeatId: consecutive(seats.map((s) => s.id), `seats of ${name}`), seats: seats.length };
}

const FIRST_START = Date.now() + 24 * 3_600_000;

/**
 * Showtimes 3 h apart from tomorrow on, the `after`-th one first (a 2 h film:
 * they never overlap, and none starts during the bench).
 */
async function makeShowtimes(db: Database, hallId: number, movieId: number, after: number, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = after; i < after + count; i++) {
    checkInterrupted();
    const startsAt = new Date(FIRST_START + i * 3 * 3_600_000).toISOString();
    ids.push((await createShowtime(db, showtimeSeats, { hall_id: hallId, movie_id: movieId, starts_at: startsAt })).id);
  }
  return ids;
}

/** Registered and logged in by the service's own code, one after another so their ids are consecutive. */
async function makeUsers(db: Database, count: number): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i++) {
    const user = await registerUser(db, `bench${i}`, 'bench password');
    users.push({ id: user.id, token: await createSession(db, user.id) });
  }
  consecutive(
    users.map((u) => u.id),
    'users',
  );
  return users;
}

/**
 * The cinema: a 500-seat hall (20 rows × 25) and a 2,000-seat hall (40 × 50),
 * each with a quiet showtime, and `users` users; fresh showtimes of the
 * 500-seat hall are made when a run needs them (`newShowtimes`).
 */
export async function createFixture(db: Database, users: number): Promise<Fixture> {
  const venue = await createVenue(db, { name: 'Bench Cinema', city: 'Loopback' });
  const movie = await createMovie(db, { title: 'The Benchmark', duration_minutes: 120 });
  const hall500 = await makeHall(db, venue.id, 'Hall 500', 20, 25);
  const hall2000 = await makeHall(db, venue.id, 'Hall 2000', 40, 50);
  let made = 0;
  const newShowtimes = async (hall: Hall, count: number): Promise<number> => {
    const ids = await makeShowtimes(db, hall.id, movie.id, made, count);
    made += count;
    return consecutive(ids, 'showtimes');
  };
  const quietShow500 = await newShowtimes(hall500, 1);
  const quietShow2000 = await newShowtimes(hall2000, 1);
  return {
    hall500,
    hall2000,
    users: await makeUsers(db, users),
    quietShow500,
    quietShow2000,
    newShowtimes: (count) => newShowtimes(hall500, count),
  };
}
