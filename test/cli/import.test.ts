import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../setup/cli.ts';
import { createTestDatabase, type TestDatabase } from '../setup/database.ts';

const root = path.resolve(import.meta.dirname, '../..');
const exampleFile = path.join(root, 'examples/cinema.json');

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

/** Rows in every table of the schema (the migration bookkeeping included), by table name. */
async function rowCounts(database: TestDatabase): Promise<Record<string, number>> {
  const { rows: tables } = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(database.db);
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(name)}`.execute(database.db);
    counts[name] = rows[0]?.n ?? -1;
  }
  return counts;
}

type Cinema = {
  venue: Record<string, unknown>;
  halls: { name: string; rows: Record<string, unknown>[]; [field: string]: unknown }[];
  movies: Record<string, unknown>[];
  showtimes: Record<string, unknown>[];
};

describe('boxoffice import', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  let dir: string;
  let example: Cinema;

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-import-'));
    example = JSON.parse(await readFile(exampleFile, 'utf8')) as Cinema;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await database.drop();
  });

  /** The example, changed by `edit`, written to a file of its own. */
  async function variant(name: string, edit: (cinema: Cinema) => void): Promise<string> {
    const cinema = structuredClone(example);
    edit(cinema);
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify(cinema, null, 2));
    return file;
  }

  it('when the example file is imported, then the venue, its halls, seats, movies and showtimes are all there', async () => {
    const londonToday = async () =>
      (await sql<{ d: string }>`SELECT to_char(now() AT TIME ZONE 'Europe/London', 'YYYY-MM-DD') AS d`.execute(database.db)).rows[0]!.d;
    const dayBefore = await londonToday();
    const exit = await runCli(['import', '--file', 'examples/cinema.json'], database.url);
    const dayAfter = await londonToday();
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(lines(exit.stdout)).toEqual(['Imported "Riverside Cinema": 3 halls (612 seats), 4 movies, 42 showtimes.']);

    const venues = await database.db.selectFrom('venues').selectAll().execute();
    expect(venues).toEqual([
      { id: expect.any(Number), name: 'Riverside Cinema', city: 'Bristol', time_zone: 'Europe/London', currency: 'GBP', default_price_amount: 1150, payment_required: false },
    ]);
    const halls = await sql<{ name: string; seats: number; premium: number; wheelchair: number; cleaning_minutes: number; default_price_amount: number | null }>`
      SELECT h.name, count(s.id)::int AS seats,
             count(s.id) FILTER (WHERE s.kind = 'premium')::int AS premium,
             count(s.id) FILTER (WHERE s.kind = 'wheelchair')::int AS wheelchair,
             h.cleaning_minutes, h.default_price_amount
        FROM halls h JOIN seats s ON s.hall_id = h.id
       GROUP BY h.id ORDER BY h.name`.execute(database.db);
    expect(halls.rows).toEqual([
      { name: 'Screen 1', seats: 286, premium: 66, wheelchair: 2, cleaning_minutes: 20, default_price_amount: null },
      { name: 'Screen 2', seats: 216, premium: 36, wheelchair: 2, cleaning_minutes: 15, default_price_amount: null },
      { name: 'Screen 3', seats: 110, premium: 14, wheelchair: 2, cleaning_minutes: 15, default_price_amount: 1350 },
    ]);

    // Screen 3, row A: 12 seats, an aisle after seat 6 (the grid skips a column), wheelchair spaces at both ends.
    const rowA = await sql<{ number: number; kind: string; x: number; y: number }>`
      SELECT s.number, s.kind, s.x, s.y FROM seats s JOIN halls h ON h.id = s.hall_id
       WHERE h.name = 'Screen 3' AND s."row" = 'A' ORDER BY s.number`.execute(database.db);
    expect(rowA.rows).toEqual(
      Array.from({ length: 12 }, (_, i) => ({
        number: i + 1,
        kind: i === 0 || i === 11 ? 'wheelchair' : 'standard',
        x: i < 6 ? i : i + 1,
        y: 0,
      })),
    );

    expect(await database.db.selectFrom('movies').select(['title', 'duration_minutes', 'rating_label', 'rating_min_age']).orderBy('title').execute()).toEqual([
      { title: 'Biscuit and the Giant Squirrel', duration_minutes: 88, rating_label: 'U', rating_min_age: 0 },
      { title: 'Orbit of Silence', duration_minutes: 142, rating_label: '15', rating_min_age: 15 },
      { title: 'Paper Moons', duration_minutes: 104, rating_label: null, rating_min_age: null },
      { title: 'The Last Lighthouse', duration_minutes: 128, rating_label: '12A', rating_min_age: 12 },
    ]);

    const showtimes = await sql<{ total: number; future: number; seat_mismatch: number; show_seats: number }>`
      SELECT count(*)::int AS total, count(*) FILTER (WHERE st.starts_at > now())::int AS future,
             count(*) FILTER (WHERE (SELECT count(*) FROM show_seats ss WHERE ss.showtime_id = st.id)
                                 <> (SELECT count(*) FROM seats s WHERE s.hall_id = st.hall_id))::int AS seat_mismatch,
             (SELECT count(*) FROM show_seats)::int AS show_seats
        FROM showtimes st`.execute(database.db);
    expect(showtimes.rows[0]).toEqual({ total: 42, future: 42, seat_mismatch: 0, show_seats: 15 * 286 + 15 * 216 + 12 * 110 });

    // "+1d 11:00" is tomorrow at 11:00 on the venue's clocks; prices are given, the hall's, or the venue's.
    const shows = await sql<{ hall: string; title: string; local_day: string; local_time: string; price_amount: number; premium_price_amount: number; currency: string }>`
      SELECT h.name AS hall, m.title, to_char(st.starts_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD') AS local_day,
             to_char(st.starts_at AT TIME ZONE 'Europe/London', 'HH24:MI') AS local_time,
             st.price_amount, st.premium_price_amount, trim(st.currency) AS currency
        FROM showtimes st JOIN halls h ON h.id = st.hall_id JOIN movies m ON m.id = st.movie_id
       ORDER BY st.starts_at, h.name`.execute(database.db);
    const tomorrow = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect([tomorrow(dayBefore), tomorrow(dayAfter)]).toContain(shows.rows[0]!.local_day);
    expect(shows.rows[0]).toMatchObject({ hall: 'Screen 1', title: 'Biscuit and the Giant Squirrel', local_time: '11:00' });
    const firstDay = shows.rows.filter((s) => s.local_day === shows.rows[0]!.local_day);
    expect(firstDay.map((s) => `${s.local_time} ${s.hall}`)).toEqual([
      '11:00 Screen 1', '12:00 Screen 2', '13:00 Screen 3', '13:15 Screen 1', '14:30 Screen 2', '16:00 Screen 1',
      '16:00 Screen 3', '16:45 Screen 2', '18:30 Screen 3', '19:00 Screen 1', '19:15 Screen 2', '21:15 Screen 3',
      '21:45 Screen 2', '22:00 Screen 1',
    ]);
    const price = (time: string, hall: string) => firstDay.find((s) => s.local_time === time && s.hall === hall);
    expect(price('19:00', 'Screen 1')).toMatchObject({ price_amount: 1295, premium_price_amount: 1695, currency: 'GBP' });
    expect(price('12:00', 'Screen 2')).toMatchObject({ price_amount: 1150, premium_price_amount: 1450, currency: 'GBP' });
    expect(price('13:00', 'Screen 3')).toMatchObject({ price_amount: 1350, premium_price_amount: 1750, currency: 'GBP' });

    // Every create went through the catalog's own functions: one audit row each, by no user.
    const audit = await sql<{ entity: string; n: number }>`
      SELECT entity, count(*)::int AS n FROM audit_log WHERE user_id IS NULL AND action = 'create' GROUP BY entity ORDER BY entity`.execute(database.db);
    expect(audit.rows).toEqual([
      { entity: 'hall', n: 3 },
      { entity: 'movie', n: 4 },
      { entity: 'showtime', n: 42 },
      { entity: 'venue', n: 1 },
    ]);
  });

  it('when a file uses titles, absolute times and venue wall-clock times, then they resolve in the venue\'s time zone', async () => {
    const file = path.join(dir, 'small.json');
    await writeFile(
      file,
      JSON.stringify({
        venue: { name: 'Harbor Twin', city: 'Boston', time_zone: 'America/New_York' },
        halls: [{ name: 'East', rows: [{ row: 'A', seats: 4 }] }],
        movies: [{ title: 'Night Ferry', duration_minutes: 100 }],
        showtimes: [
          { hall: 'East', movie: 'Night Ferry', starts_at: '2030-07-01 19:30' },
          { hall: 'East', movie: 'Night Ferry', starts_at: '2030-07-02T18:00:00+02:00' },
        ],
      }),
    );
    const exit = await runCli(['import', '--file', file], database.url);
    expect(exit.stderr).toBe('');
    expect(lines(exit.stdout)).toEqual(['Imported "Harbor Twin": 1 hall (4 seats), 1 movie, 2 showtimes.']);
    const rows = await database.db
      .selectFrom('showtimes as st')
      .innerJoin('halls as h', 'h.id', 'st.hall_id')
      .innerJoin('venues as v', 'v.id', 'h.venue_id')
      .select(['st.starts_at', 'st.price_amount', 'st.currency'])
      .where('v.name', '=', 'Harbor Twin')
      .orderBy('st.starts_at')
      .execute();
    expect(rows.map((r) => [r.starts_at.toISOString(), r.price_amount, r.currency.trim()])).toEqual([
      ['2030-07-01T23:30:00.000Z', 1000, 'EUR'], // 19:30 EDT; no prices given anywhere: the catalog's default
      ['2030-07-02T16:00:00.000Z', 1000, 'EUR'],
    ]);
  });

  const overlapTomorrow = (cinema: Cinema) => {
    // Screen 2 shows Paper Moons at 12:00 tomorrow until 13:44 (+15 min cleaning); this one starts inside that.
    cinema.showtimes.push({ hall: 'Screen 2', movie: 'paper-moons', starts_at: '+1d 13:00' });
  };

  it.each<[string, (cinema: Cinema) => void, RegExp]>([
    [
      'a seat count that is not an integer',
      (c) => {
        c.halls[1]!.rows[0]!['seats'] = '18';
      },
      /^boxoffice: halls\[1\]\.rows\[0\]\.seats must be an integer\.$/,
    ],
    [
      'a misspelt field',
      (c) => {
        c.halls[0]!.rows[2]!['gaps_afer'] = [4];
      },
      /^boxoffice: halls\[0\]\.rows\[2\] has an unknown field: gaps_afer\.$/,
    ],
    [
      'an unknown seat kind',
      (c) => {
        c.halls[0]!.rows[10]!['kind'] = 'vip';
      },
      /^boxoffice: halls\[0\]\.rows\[10\]\.kind must be one of: standard, premium, wheelchair\.$/,
    ],
    [
      'an age rating above 21',
      (c) => {
        c.movies[2]!['rating'] = { label: '25', min_age: 25 };
      },
      /^boxoffice: movies\[2\]\.rating\.min_age must be <= 21\.$/,
    ],
    [
      'a missing venue name',
      (c) => {
        delete c.venue['name'];
      },
      /^boxoffice: venue\.name is required\.$/,
    ],
    [
      'a start time in no known form',
      (c) => {
        c.showtimes[4]!['starts_at'] = 'tomorrow evening';
      },
      /^boxoffice: showtimes\[4\]\.starts_at must be a time such as "\+1d 18:30" .*"2026-12-01T18:30:00Z"\.$/,
    ],
    [
      'an unknown time zone',
      (c) => {
        c.venue['time_zone'] = 'Europe/Atlantis';
      },
      /^boxoffice: venue\.time_zone "Europe\/Atlantis" is not a known IANA time zone name/,
    ],
    [
      'a showtime in an unknown hall',
      (c) => {
        c.showtimes[3]!['hall'] = 'Screen 4';
      },
      /^boxoffice: showtimes\[3\]\.hall "Screen 4" is not a hall in this file; its halls are "Screen 1", "Screen 2", "Screen 3"\.$/,
    ],
    [
      'a showtime of an unknown movie',
      (c) => {
        c.showtimes[7]!['movie'] = 'Lighthouse 2';
      },
      /^boxoffice: showtimes\[7\]\.movie "Lighthouse 2" is not the key or title of a movie in this file\.$/,
    ],
    [
      'two halls of one name',
      (c) => {
        c.halls[2]!.name = 'Screen 1';
      },
      /^boxoffice: halls\[2\]\.name "Screen 1" is already used by halls\[0\]; each hall needs a name of its own\.$/,
    ],
    [
      'an aisle outside its row',
      (c) => {
        c.halls[2]!.rows[0]!['gaps_after'] = [12];
      },
      /^boxoffice: halls\[2\]\.rows: Row A has 12 seats, so gaps_after cannot contain 12/,
    ],
    [
      'a hall of 100,000 seats',
      (c) => {
        c.halls[1]!.rows = Array.from({ length: 200 }, (_, i) => ({ row: `R${i + 1}`, seats: 500 }));
      },
      /^boxoffice: halls\[1\] \("Screen 2"\)\.rows add up to 100000 seats, but a hall may have at most 5000 \(MAX_SEATS_PER_HALL\); use fewer or shorter rows\.$/,
    ],
    [
      'a hall one seat over MAX_SEATS_PER_HALL',
      (c) => {
        c.halls[2]!.rows = [...Array.from({ length: 10 }, (_, i) => ({ row: `R${i + 1}`, seats: 500 })), { row: 'Z', seats: 1 }];
      },
      /^boxoffice: halls\[2\] \("Screen 3"\)\.rows add up to 5001 seats, but a hall may have at most 5000 \(MAX_SEATS_PER_HALL\); use fewer or shorter rows\.$/,
    ],
    [
      'two currencies',
      (c) => {
        c.showtimes[9]!['price'] = { amount: 1500, currency: 'EUR' };
      },
      /^boxoffice: showtimes\[9\]\.price is in EUR, but venue\.default_price is in GBP; use one currency for the whole cinema\.$/,
    ],
    [
      'a relative time today that has passed',
      (c) => {
        c.showtimes.push({ hall: 'Screen 3', movie: 'orbit', starts_at: '+0d 00:00' });
      },
      /^boxoffice: showtimes\[42\]\.starts_at must be in the future; "\+0d 00:00" is \d{4}-\d\d-\d\d 00:00 in Europe\/London, which has passed\.$/,
    ],
    [
      'an absolute time in the past',
      (c) => {
        c.showtimes[0]!['starts_at'] = '2020-01-01T10:00:00Z';
      },
      /^boxoffice: showtimes\[0\]\.starts_at must be in the future; "2020-01-01T10:00:00Z" is 2020-01-01 10:00 in Europe\/London, which has passed\.$/,
    ],
    [
      'a wall-clock time the clocks skip',
      (c) => {
        c.showtimes[0]!['starts_at'] = '2031-03-30 01:30'; // the UK moves from 01:00 GMT to 02:00 BST that night
      },
      /^boxoffice: showtimes\[0\]\.starts_at "2031-03-30 01:30" is not a date and time that exists in Europe\/London\.$/,
    ],
    [
      // Everything before it (venue, halls, seats, movies, 42 showtimes) is written in the transaction, then rolled back.
      'the last showtime overlapping another in its hall',
      overlapTomorrow,
      /^boxoffice: showtimes\[42\] \("Paper Moons" in Screen 2 at \+1d 13:00\): Hall is busy at that time\. It overlaps showtimes\[5\] \("Paper Moons" at \+1d 12:00\), which keeps Screen 2 busy until \d{4}-\d\d-\d\d 13:59, 15 minutes of cleaning included\.$/,
    ],
  ])('when the file has %s, then exit 1 with one line naming it, and nothing is written', async (name, edit, message) => {
    const file = await variant(name.replaceAll(' ', '-'), edit);
    const before = await rowCounts(database);
    const exit = await runCli(['import', '--file', file], database.url);
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(lines(exit.stderr)).toHaveLength(1);
    expect(exit.stderr.trim()).toMatch(message);
    expect(await rowCounts(database)).toEqual(before);
  });

  it('when MAX_SEATS_PER_HALL is set lower than a hall of the file, then exit 1 with one line naming that hall and the limit, and nothing is written', async () => {
    const before = await rowCounts(database);
    const exit = await runCli(['import', '--file', exampleFile], database.url, { MAX_SEATS_PER_HALL: '250' });
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(lines(exit.stderr)).toEqual([
      'boxoffice: halls[0] ("Screen 1").rows add up to 286 seats, but a hall may have at most 250 (MAX_SEATS_PER_HALL); use fewer or shorter rows.',
    ]);
    expect(await rowCounts(database)).toEqual(before);
  });

  it('when MAX_SEATS_PER_HALL is set higher than the default, then a hall of that many seats is imported', async () => {
    const file = path.join(dir, 'big-hall.json');
    const rows = Array.from({ length: 11 }, (_, i) => ({ row: `R${i + 1}`, seats: 500 }));
    await writeFile(file, JSON.stringify({ venue: { name: 'Grand Arena', city: 'Leeds' }, halls: [{ name: 'Dome', rows }] }));
    const exit = await runCli(['import', '--file', file], database.url, { MAX_SEATS_PER_HALL: '5500' });
    expect(exit.stderr).toBe('');
    expect(lines(exit.stdout)).toEqual(['Imported "Grand Arena": 1 hall (5500 seats), 0 movies, 0 showtimes.']);
    const seats = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM seats s JOIN halls h ON h.id = s.hall_id WHERE h.name = 'Dome'`.execute(database.db);
    expect(seats.rows[0]!.n).toBe(5500);
  });

  it('when the file is not JSON, then exit 1 with one line saying so, and nothing is written', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{"venue": {"name": "Riverside"},\n  "halls": [\n');
    const before = await rowCounts(database);
    const exit = await runCli(['import', '--file', file], database.url);
    expect(exit.code).toBe(1);
    expect(lines(exit.stderr)).toEqual([expect.stringMatching(new RegExp(`^boxoffice: ${file.replaceAll('.', '\\.')} is not valid JSON: .+\\.$`))]);
    expect(await rowCounts(database)).toEqual(before);
  });

  it('when the file does not exist, then exit 1 with one line naming it', async () => {
    const missing = path.join(dir, 'no-such-cinema.json');
    const exit = await runCli(['import', '--file', missing], database.url);
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(lines(exit.stderr)).toEqual([`boxoffice: Cannot read ${missing}: there is no such file.`]);
  });

  it('when --file is missing, then exit 2 with one usage line', async () => {
    const exit = await runCli(['import'], database.url);
    expect(exit.code).toBe(2);
    expect(lines(exit.stderr)).toEqual([expect.stringMatching(/^boxoffice: import needs --file/)]);
  });

  it('when help is asked for, then it lists import', async () => {
    const exit = await runCli(['--help'], database.url);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/^ {2}import --file cinema\.json\b/m);
  });
});
