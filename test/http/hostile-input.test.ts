import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { expectInvariantsHold, runCli } from '../setup/cli.ts';
import { createShow, createUser, type TestShow, type TestUser } from '../setup/factories.ts';

/**
 * SPEC §3 and §8, issue 10 "500s from client input": input that JavaScript
 * accepts but PostgreSQL (or the stack) does not — a body nested thousands of
 * levels deep, a year 0 date, a cursor with a timestamp PostgreSQL refuses, a
 * time zone Node's ICU knows and PostgreSQL does not, an offset zone the two
 * read with opposite signs — is a 400 naming the field, and changes nothing.
 */

let app: TestApp;
let staff: TestUser;
let user: TestUser;
let show: TestShow;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  user = await createUser(app.db);
  show = await createShow(app.db, { rows: 1, seatsPerRow: 4 });
});
afterAll(() => app.close());

/** `[[[…0…]]]` (or `{"a":{"a":…}}`) nested `depth` levels deep, as JSON text. */
function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}0${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
}

/** A JSON object body with `fields` as given and `extra` spliced in as the raw JSON of an unknown field. */
function bodyWith(fields: Record<string, unknown>, extra: string): string {
  return `${JSON.stringify(fields).slice(0, -1)},"extra":${extra}}`;
}

const count = async (table: 'sessions' | 'venues' | 'audit_log' | 'users') =>
  Number((await app.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('deeply nested JSON bodies', () => {
  it.each(['array', 'object'] as const)(
    'when a 10 KB login body carries an unknown field of %ss nested 5,000 levels deep, then 400 naming the body, and no session is made',
    async (kind) => {
      const sessions = await count('sessions');
      const rawBody = bodyWith({ username: user.username, password: user.password }, nested(5_000, kind));
      expect(rawBody.length).toBeGreaterThan(10_000);
      const reply = await app.http.post('/api/auth/login', undefined, { rawBody });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ detail: expect.stringMatching(/^The request body is nested too deeply/) });
      expect(await count('sessions')).toBe(sessions);
    },
  );

  it('when a staff body nests an unknown field 33 levels deep, then 400 naming the body, and no venue is made', async () => {
    const venues = await count('venues');
    const rawBody = bodyWith({ name: 'Deep', city: 'Nowhere' }, nested(32, 'array'));
    const reply = await app.http.post('/api/admin/venues', undefined, { rawBody, token: staff.token });
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toMatch(/^The request body is nested too deeply \(more than 32 levels\)/);
    expect(await count('venues')).toBe(venues);
  });

  it('when a body nests 32 levels deep, then it is read as usual', async () => {
    const rawBody = bodyWith({ username: user.username, password: user.password }, nested(31, 'object'));
    const reply = await app.http.post('/api/auth/login', undefined, { rawBody });
    expect(reply.status).toBe(200);
  });

  it('when a NUL character hides 20 levels deep, then 400 naming the field', async () => {
    const rawBody = bodyWith({ username: user.username, password: user.password }, `${'['.repeat(20)}"a\\u0000b"${']'.repeat(20)}`);
    const reply = await app.http.post('/api/auth/login', undefined, { rawBody });
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toMatch(/^extra(\[0\]){20} must not contain the NUL character/);
  });
});

/** A cursor as the server encodes them: base64url JSON of the sort key. */
const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

describe('dates and page cursors that PostgreSQL refuses', () => {
  it.each(['0000-01-01', '0000-02-29', '99999-01-01', '-0001-01-01', '+275760-09-13'])(
    'when showtimes are listed for date=%s, then 400 naming date',
    async (date) => {
      const reply = await app.http.get(`/api/showtimes?date=${encodeURIComponent(date)}`);
      expect(reply.status).toBe(400);
      expect(reply.body.detail).toMatch(/^query parameter date must be /);
    },
  );

  it('when showtimes are listed for the first and the last day PostgreSQL and the schema share, then 200', async () => {
    for (const date of ['0001-01-01', '9999-12-31']) {
      const reply = await app.http.get(`/api/showtimes?date=${date}`);
      expect(reply.status, date).toBe(200);
      expect(reply.body).toEqual({ items: [], next_cursor: null });
    }
  });

  const refusedTimes = [
    '0000-01-01T00:00:00.000Z', // year 0: JavaScript's 1 BC, no year to PostgreSQL
    '+275760-09-13T00:00:00.000Z', // the last instant JavaScript has
    '-000001-01-01T00:00:00.000Z',
    '1', // Date.parse reads it as 2001
    'Tue, 01 Jan 2030',
    '2030-02-30T00:00:00.000Z', // Date.parse rolls it over to 2 March
  ];
  const refusedCursors = [
    ...refusedTimes.map((time) => [`[${JSON.stringify(time)}, 1]`, cursorOf([time, 1])] as const),
    ['an id past int4', cursorOf(['2030-01-01T00:00:00.000Z', 2_147_483_648])] as const,
  ];

  it.each(refusedCursors)('when showtimes are paged with a cursor of %s, then 400 naming cursor', async (_, cursor) => {
    const reply = await app.http.get(`/api/showtimes?cursor=${cursor}`);
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toMatch(/^cursor is not valid/);
  });

  it.each(refusedCursors)('when my bookings are paged with a cursor of %s, then 400 naming cursor', async (_, cursor) => {
    const reply = await app.http.get(`/api/my-bookings/?cursor=${cursor}`, { token: user.token });
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toMatch(/^cursor is not valid/);
  });

  it('when a page cursor comes back unchanged, then the next page follows (showtimes and my bookings)', async () => {
    const other = await createShow(app.db, { rows: 1, seatsPerRow: 2, startsInMinutes: 120 });
    const first = await app.http.get('/api/showtimes?limit=1');
    expect(first.status).toBe(200);
    const second = await app.http.get(`/api/showtimes?limit=1&cursor=${first.body.next_cursor as string}`);
    expect(second.status).toBe(200);
    expect(second.body.items.map((s: { id: number }) => s.id)).toEqual([other.showId]);

    for (const seatId of show.seatIds.slice(0, 2)) {
      const booked = await app.http.post('/api/book-seat/', { seat_id: seatId, show_id: show.showId }, { token: user.token });
      expect(booked.status).toBe(201);
    }
    const mine = await app.http.get('/api/my-bookings/?limit=1', { token: user.token });
    expect(mine.status).toBe(200);
    const next = await app.http.get(`/api/my-bookings/?limit=1&cursor=${mine.body.next_cursor as string}`, { token: user.token });
    expect(next.status).toBe(200);
    expect(next.body.items).toHaveLength(1);
  });
});

describe('venue time zones', () => {
  const icuAccepts = (zone: string) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  };

  it('when a zone Node knows and PostgreSQL does not is sent, then the harness can tell (control)', async () => {
    expect(icuAccepts('US/Pacific-New')).toBe(true);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_timezone_names WHERE name = 'US/Pacific-New'`.execute(app.db);
    expect(rows[0]?.n).toBe(0);
    expect(icuAccepts('+05:00')).toBe(true);
  });

  it('when a venue is created with time_zone US/Pacific-New, then 400 naming time_zone, nothing is written, and date listings keep working', async () => {
    const [venues, audits] = [await count('venues'), await count('audit_log')];
    const reply = await app.http.post('/api/admin/venues', { name: 'Gone West', city: 'Fresno', time_zone: 'US/Pacific-New' }, { token: staff.token });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: expect.stringMatching(/^time_zone "US\/Pacific-New" is not a time zone PostgreSQL knows/) });
    expect([await count('venues'), await count('audit_log')]).toEqual([venues, audits]);
    const listing = await app.http.get(`/api/showtimes?date=${new Date().toISOString().slice(0, 10)}`);
    expect(listing.status).toBe(200);
  });

  it('when a venue is changed to time_zone US/Pacific-New, then 400 naming time_zone, and the venue keeps its zone', async () => {
    const created = await app.http.post('/api/admin/venues', { name: 'Changing', city: 'Fresno', time_zone: 'America/Los_Angeles' }, { token: staff.token });
    expect(created.status).toBe(201);
    const audits = await count('audit_log');
    const reply = await app.http.send('PATCH', `/api/admin/venues/${created.body.id as number}`, { time_zone: 'US/Pacific-New' }, { token: staff.token });
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toMatch(/^time_zone "US\/Pacific-New" is not a time zone PostgreSQL knows/);
    const row = await app.db.selectFrom('venues').select('time_zone').where('id', '=', created.body.id as number).executeTakeFirstOrThrow();
    expect(row.time_zone).toBe('America/Los_Angeles');
    expect(await count('audit_log')).toBe(audits);
  });

  it.each(['+05:00', '-0800', '+05', '-08:00'])(
    'when a venue is created or changed with the fixed offset %s, then 400 suggesting an IANA name, and nothing is written',
    async (zone) => {
      const venues = await count('venues');
      const reply = await app.http.post('/api/admin/venues', { name: 'Offset', city: 'Karachi', time_zone: zone }, { token: staff.token });
      expect(reply.status).toBe(400);
      expect(reply.body.detail).toBe(`time_zone "${zone}" is a fixed offset; use the IANA name of the venue's place instead, e.g. "Asia/Karachi".`);
      expect(await count('venues')).toBe(venues);

      const created = await app.http.post('/api/admin/venues', { name: 'Offset later', city: 'Karachi', time_zone: 'Asia/Karachi' }, { token: staff.token });
      expect(created.status).toBe(201);
      const patched = await app.http.send('PATCH', `/api/admin/venues/${created.body.id as number}`, { time_zone: zone }, { token: staff.token });
      expect(patched.status).toBe(400);
      expect(patched.body.detail).toMatch(/is a fixed offset; use the IANA name/);
    },
  );

  it('when a venue is created with an IANA name PostgreSQL and Node both know, then 201', async () => {
    for (const zone of ['Asia/Karachi', 'Etc/GMT+5', 'UTC', 'America/Argentina/Buenos_Aires']) {
      const reply = await app.http.post('/api/admin/venues', { name: `Zone ${zone}`, city: 'Anywhere', time_zone: zone }, { token: staff.token });
      expect(reply.status, zone).toBe(201);
      expect(reply.body.time_zone).toBe(zone);
    }
  });
});

// ── boxoffice import, as test/cli/import.test.ts runs it ───────────────────

const root = path.resolve(import.meta.dirname, '../..');

describe('boxoffice import of a venue time zone', { timeout: 60_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-hostile-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['US/Pacific-New', /^boxoffice: venue\.time_zone "US\/Pacific-New" is not a time zone PostgreSQL knows/],
    ['+05:00', /^boxoffice: venue\.time_zone "\+05:00" is a fixed offset; use the IANA name of the venue's place instead, e\.g\. "Asia\/Karachi"\.$/],
  ])('when a cinema file sets time_zone %s, then exit 1 with one line naming venue.time_zone, and nothing is written', async (zone, message) => {
    const cinema = JSON.parse(await readFile(path.join(root, 'examples/cinema.json'), 'utf8')) as { venue: Record<string, unknown> };
    cinema.venue['time_zone'] = zone;
    const file = path.join(dir, `zone-${zone.replace(/\W/g, '_')}.json`);
    await writeFile(file, JSON.stringify(cinema));
    const [venues, showtimes] = [await count('venues'), Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM showtimes`.execute(app.db)).rows[0]?.n)];
    const result = await runCli(['import', '--file', file], app.databaseUrl);
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(await count('venues')).toBe(venues);
    expect(Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM showtimes`.execute(app.db)).rows[0]?.n)).toBe(showtimes);
  });
});

describe('the Expect header (found by test/fuzz/routes.fuzz.test.ts)', () => {
  it('when a request carries Expect: garbage, then 417 {detail} JSON, not Node\'s empty answer', async () => {
    const reply = await app.http.get('/healthz', { headers: { expect: 'garbage' } });
    expect(reply.status).toBe(417);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.body).toEqual({ detail: 'The Expect header is not supported; send the request without it.' });
  });

  it('when a login carries Expect: 100-continue, then it is read as usual', async () => {
    const reply = await app.http.post('/api/auth/login', { username: user.username, password: user.password }, { headers: { expect: '100-continue' } });
    expect(reply.status).toBe(200);
  });
});

describe('event streams and the Accept header (found by test/fuzz/routes.fuzz.test.ts)', () => {
  it.each(['z', 'application/json', 'text/event-stream;q=0'])(
    'when GET /api/shows/{id}/events is sent with Accept: %s, then 406 {detail} JSON, not the SSE plugin\'s {statusCode, error, message}',
    async (accept) => {
      const reply = await app.http.get(`/api/shows/${show.showId}/events`, { headers: { accept } });
      expect(reply.status).toBe(406);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.body).toEqual({ detail: 'This address sends only Server-Sent Events; accept "text/event-stream".' });
    },
  );
});

describe('afterwards', { timeout: 60_000 }, () => {
  it('when every hostile request above has been answered, then boxoffice check finds the invariants intact', async () => {
    await expectInvariantsHold(app.databaseUrl);
  });
});
