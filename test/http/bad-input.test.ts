import { Agent } from 'node:http';
import { connect } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createShow, createUser, type TestShow, type TestUser } from '../setup/factories.ts';
import { httpClient, type HttpClient, type Reply } from '../setup/http.ts';

/**
 * SPEC §3 and §8: bad input of any shape is a 4xx JSON `{detail}`, never a
 * 500 or a hang, and changes nothing. Every request below is built from a
 * body that would succeed, with one thing broken, so a validation hole shows
 * up as a changed row as well as a wrong status.
 */

type Fixtures = {
  staff: TestUser;
  user: TestUser;
  show: TestShow;
  seatId: number;
  venueId: number;
  hallId: number;
  movieId: number;
};

type Auth = 'staff' | 'user' | 'none';

type BadRequest = {
  method: string;
  path: string;
  /** Sent byte for byte; a JSON content type is added unless `headers` says otherwise. */
  rawBody?: string;
  headers?: Record<string, string>;
  auth?: Auth;
};

type Case = {
  name: string;
  status: number;
  /** The field `detail` must name. */
  field?: string;
  /** A method the Allow header of a 405 must list. */
  allow?: string;
  request: (f: Fixtures) => BadRequest;
};

let app: TestApp;
let client: HttpClient;
let fixtures: Fixtures;

beforeAll(async () => {
  app = await startTestApp();
  // No keep-alive: a 413 or a broken request must not poison the next case's connection.
  client = httpClient(app.baseUrl, new Agent({ keepAlive: false }));
  const staff = await createUser(app.db, { staff: true });
  const user = await createUser(app.db);
  const show = await createShow(app.db, { rows: 1, seatsPerRow: 4 });
  const hall = await app.db.selectFrom('halls').select(['id', 'venue_id']).where('id', '=', show.hallId).executeTakeFirstOrThrow();
  const showtime = await app.db.selectFrom('showtimes').select('movie_id').where('id', '=', show.showId).executeTakeFirstOrThrow();
  fixtures = { staff, user, show, seatId: show.seatIds[0]!, venueId: hall.venue_id, hallId: hall.id, movieId: showtime.movie_id };
});
afterAll(() => app.close());

// ---------------------------------------------------------------------------
// Valid bodies, and ways to break them.

type Route = {
  path: string;
  auth: Auth;
  /** A body that would succeed (and so change rows) if sent as is. */
  valid: (f: Fixtures) => Record<string, unknown>;
  required: string[];
  ids: string[];
};

const routes: Route[] = [
  {
    path: '/api/auth/register',
    auth: 'none',
    valid: () => ({ username: 'brand-new-user', password: 'long enough password' }),
    required: ['username', 'password'],
    ids: [],
  },
  {
    path: '/api/auth/login',
    auth: 'none',
    valid: (f) => ({ username: f.user.username, password: f.user.password }),
    required: ['username', 'password'],
    ids: [],
  },
  {
    path: '/api/hold-seat/',
    auth: 'user',
    valid: (f) => ({ user_id: f.user.id, seat_id: f.seatId, show_id: f.show.showId }),
    required: ['seat_id', 'show_id'],
    ids: ['seat_id', 'show_id', 'user_id'],
  },
  {
    path: '/api/book-seat/',
    auth: 'user',
    valid: (f) => ({ user_id: f.user.id, seat_id: f.seatId, show_id: f.show.showId }),
    required: ['seat_id', 'show_id'],
    ids: ['seat_id', 'show_id', 'user_id'],
  },
  {
    path: '/api/admin/venues',
    auth: 'staff',
    valid: () => ({ name: 'New Venue', city: 'Newtown', time_zone: 'Europe/Berlin' }),
    required: ['name', 'city'],
    ids: [],
  },
  {
    path: '/api/admin/halls',
    auth: 'staff',
    valid: (f) => ({ venue_id: f.venueId, name: 'New Hall', rows: [{ row: 'A', seats: 3 }] }),
    required: ['venue_id', 'name', 'rows'],
    ids: ['venue_id'],
  },
  {
    path: '/api/admin/movies',
    auth: 'staff',
    valid: () => ({ title: 'New Movie', duration_minutes: 100 }),
    required: ['title', 'duration_minutes'],
    ids: [],
  },
  {
    path: '/api/admin/showtimes',
    auth: 'staff',
    valid: (f) => ({ hall_id: f.hallId, movie_id: f.movieId, starts_at: '2031-03-01T18:00:00Z' }),
    required: ['hall_id', 'movie_id', 'starts_at'],
    ids: ['hall_id', 'movie_id'],
  },
];

const RAW = '\u0001raw\u0001';

/** The route's valid body with `field` set to literal JSON text (so `1e300` and `99999999999999999999` go out verbatim). */
function withRaw(route: Route, f: Fixtures, field: string, json: string): string {
  return JSON.stringify({ ...route.valid(f), [field]: RAW }).replace(JSON.stringify(RAW), json);
}

function withValue(route: Route, f: Fixtures, field: string, value: unknown): string {
  return JSON.stringify({ ...route.valid(f), [field]: value });
}

function without(route: Route, f: Fixtures, field: string): string {
  const body = route.valid(f);
  delete body[field];
  return JSON.stringify(body);
}

const post = (route: Route, rawBody: string, headers?: Record<string, string>): BadRequest => ({
  method: 'POST',
  path: route.path,
  rawBody,
  auth: route.auth,
  ...(headers === undefined ? {} : { headers }),
});

const badIds = ['true', 'false', 'null', '[1]', '{}', '1.5', '"1"', '"abc"', '""', '-1', '-0', '0', '2147483648', '99999999999999999999', '1e300'];

const cases: Case[] = [];

for (const route of routes) {
  const on = (name: string) => `POST ${route.path}: ${name}`;

  // The body as a whole.
  cases.push(
    { name: on('malformed JSON'), status: 400, request: (f) => post(route, withValue(route, f, 'x', 1).slice(0, -3)) },
    { name: on('empty body with a JSON content type'), status: 400, request: () => post(route, '') },
    { name: on('a JSON array'), status: 400, request: (f) => post(route, JSON.stringify([route.valid(f)])) },
    { name: on('a JSON string'), status: 400, request: () => post(route, '"hello"') },
    { name: on('JSON null'), status: 400, request: () => post(route, 'null') },
    { name: on('a JSON number'), status: 400, request: () => post(route, '42') },
    { name: on('an empty JSON object'), status: 400, field: route.required[0], request: () => post(route, '{}') },
    { name: on('a __proto__ key'), status: 400, request: (f) => post(route, withRaw(route, f, '__proto__', '{"is_staff":true}')) },
    { name: on('deeply nested arrays'), status: 400, request: () => post(route, '['.repeat(20_000) + ']'.repeat(20_000)) },
    {
      name: on('a valid JSON body sent as text/plain'),
      status: 415,
      request: (f) => post(route, JSON.stringify(route.valid(f)), { 'content-type': 'text/plain' }),
    },
    {
      name: on('a form-encoded body'),
      status: 415,
      request: () => post(route, 'a=1&b=2', { 'content-type': 'application/x-www-form-urlencoded' }),
    },
    {
      name: on('a body over 64 KiB (chunked)'),
      status: 413,
      request: (f) => post(route, withValue(route, f, 'padding', 'x'.repeat(70 * 1024))),
    },
    {
      name: on('a body over 64 KiB (with Content-Length)'),
      status: 413,
      request: (f) => {
        const body = withValue(route, f, 'padding', 'x'.repeat(70 * 1024));
        return post(route, body, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      },
    },
  );

  for (const field of route.required) {
    cases.push({ name: on(`missing ${field}`), status: 400, field, request: (f) => post(route, without(route, f, field)) });
  }
  for (const field of route.ids) {
    for (const json of badIds) {
      cases.push({ name: on(`${field} = ${json}`), status: 400, field, request: (f) => post(route, withRaw(route, f, field, json)) });
    }
  }
}

const route = (path: string): Route => routes.find((r) => r.path === path)!;
const register = route('/api/auth/register');
const login = route('/api/auth/login');
const venues = route('/api/admin/venues');
const halls = route('/api/admin/halls');
const movies = route('/api/admin/movies');
const showtimes = route('/api/admin/showtimes');
const hold = route('/api/hold-seat/');

// Field by field: strings and numbers outside their rules.
const fieldCases: [Route, string, unknown][] = [
  [register, 'username', 'ab'],
  [register, 'username', 'has space'],
  [register, 'username', 'nul\u0000byte'],
  [register, 'username', 42],
  [register, 'password', 'short'],
  [register, 'password', ['long enough password']],
  [login, 'username', ''],
  [login, 'username', 'u'.repeat(151)],
  [login, 'username', 'nul\u0000byte'],
  [login, 'username', { $ne: null }],
  [login, 'password', ''],
  [login, 'password', 'p'.repeat(1025)],
  [login, 'password', null],
  [venues, 'name', ''],
  [venues, 'name', 'n'.repeat(201)],
  [venues, 'name', 'nul\u0000byte'],
  [venues, 'name', 7],
  [venues, 'city', 'nul\u0000byte'],
  [venues, 'city', null],
  [venues, 'time_zone', 'Mars/Olympus_Mons'],
  [venues, 'time_zone', ''],
  [venues, 'time_zone', 'nul\u0000byte'],
  [venues, 'time_zone', 1],
  [halls, 'name', ''],
  [halls, 'name', 'nul\u0000byte'],
  [halls, 'rows', []],
  [halls, 'rows', 'A'],
  [halls, 'rows', [null]],
  [halls, 'rows', Array.from({ length: 201 }, (_, i) => ({ row: `R${i}`, seats: 1 }))],
  [halls, 'rows', [{ row: 'A B', seats: 3 }]],
  [halls, 'rows', [{ row: '', seats: 3 }]],
  [halls, 'rows', [{ row: 'ABCDEFGHI', seats: 3 }]],
  [halls, 'rows', [{ row: 'A\u0000', seats: 3 }]],
  [halls, 'rows', [{ row: 'A', seats: 0 }]],
  [halls, 'rows', [{ row: 'A', seats: 501 }]],
  [halls, 'rows', [{ row: 'A', seats: 2.5 }]],
  [halls, 'rows', [{ row: 'A', seats: '3' }]],
  [halls, 'rows', [{ row: 'A' }]],
  [halls, 'rows', [{ seats: 3 }]],
  [movies, 'title', ''],
  [movies, 'title', 't'.repeat(301)],
  [movies, 'title', 'nul\u0000byte'],
  [movies, 'duration_minutes', 0],
  [movies, 'duration_minutes', 1441],
  [movies, 'duration_minutes', 1.5],
  [movies, 'duration_minutes', '90'],
  [movies, 'duration_minutes', null],
  [movies, 'duration_minutes', -5],
  [showtimes, 'starts_at', 'tomorrow'],
  [showtimes, 'starts_at', ''],
  [showtimes, 'starts_at', '2031-03-01'],
  [showtimes, 'starts_at', '2031-03-01T18:00:00'],
  [showtimes, 'starts_at', '2031-02-30T18:00:00Z'],
  [showtimes, 'starts_at', '2031-03-01T25:00:00Z'],
  [showtimes, 'starts_at', '2031-03-01T18:00:00+25:00'],
  [showtimes, 'starts_at', '2031-12-31T23:59:60Z'],
  [showtimes, 'starts_at', 1_900_000_000_000],
  [showtimes, 'starts_at', null],
];
for (const [target, field, value] of fieldCases) {
  const shown = typeof value === 'string' && value.length > 40 ? `"${value.slice(0, 12)}…" (${value.length} chars)` : JSON.stringify(value)?.slice(0, 60);
  cases.push({ name: `POST ${target.path}: ${field} = ${shown}`, status: 400, field, request: (f) => post(target, withValue(target, f, field, value)) });
}

// Well-formed but pointing at nothing, or at something not allowed.
cases.push(
  {
    name: 'POST /api/admin/halls: duplicate row labels',
    status: 400,
    field: 'Row A',
    request: (f) => post(halls, withValue(halls, f, 'rows', [{ row: 'A', seats: 2 }, { row: 'A', seats: 3 }])),
  },
  { name: 'POST /api/admin/halls: unknown venue_id', status: 404, request: (f) => post(halls, withValue(halls, f, 'venue_id', 2_000_000_000)) },
  { name: 'POST /api/admin/showtimes: unknown hall_id', status: 404, request: (f) => post(showtimes, withValue(showtimes, f, 'hall_id', 2_000_000_000)) },
  { name: 'POST /api/admin/showtimes: unknown movie_id', status: 404, request: (f) => post(showtimes, withValue(showtimes, f, 'movie_id', 2_000_000_000)) },
  { name: 'POST /api/hold-seat/: unknown show_id', status: 404, request: (f) => post(hold, withValue(hold, f, 'show_id', 2_000_000_000)) },
  { name: 'POST /api/hold-seat/: unknown seat_id', status: 404, request: (f) => post(hold, withValue(hold, f, 'seat_id', 2_000_000_000)) },
  { name: "POST /api/hold-seat/: someone else's user_id", status: 403, request: (f) => post(hold, withValue(hold, f, 'user_id', f.staff.id)) },
  {
    name: 'POST /api/book-seat/: no authentication',
    status: 401,
    request: (f) => ({ ...post(route('/api/book-seat/'), JSON.stringify(route('/api/book-seat/').valid(f))), auth: 'none' }),
  },
  {
    name: 'POST /api/hold-seat/: a malformed Authorization header',
    status: 401,
    request: (f) => ({ ...post(hold, JSON.stringify(hold.valid(f)), { authorization: 'Bearer' }), auth: 'none' }),
  },
  { name: 'POST /api/admin/venues: no authentication', status: 401, request: (f) => ({ ...post(venues, JSON.stringify(venues.valid(f))), auth: 'none' }) },
  { name: 'POST /api/admin/venues: not staff', status: 403, request: (f) => ({ ...post(venues, JSON.stringify(venues.valid(f))), auth: 'user' }) },
  { name: 'POST /api/admin/showtimes: not staff', status: 403, request: (f) => ({ ...post(showtimes, JSON.stringify(showtimes.valid(f))), auth: 'user' }) },
);

// GET /api/hall-layout/{show_id}/: the id comes from the path. Anything that is
// not a plain positive int4 in decimal is malformed (400 naming show_id); a
// well-formed id of no show is 404.
const layoutIds: [string, number, string?][] = [
  ['abc', 400, 'show_id'],
  ['1.5', 400, 'show_id'],
  ['-3', 400, 'show_id'],
  ['0', 400, 'show_id'],
  ['99999999999', 400, 'show_id'],
  ['2147483648', 400, 'show_id'],
  ['1e3', 400, 'show_id'],
  ['0x1', 400, 'show_id'],
  ['1.0', 400, 'show_id'],
  ['%201', 400, 'show_id'],
  ['1%00', 400, 'show_id'],
  ['true', 400, 'show_id'],
  ['', 400, 'show_id'],
  ['%ZZ', 400],
  ['9'.repeat(300), 414],
  ['2000000000', 404],
];
for (const [id, status, field] of layoutIds) {
  const shown = id.length > 20 ? `${id.slice(0, 6)}… (${id.length} chars)` : id;
  cases.push({
    name: `GET /api/hall-layout/${shown}/`,
    status,
    ...(field === undefined ? {} : { field }),
    request: () => ({ method: 'GET', path: `/api/hall-layout/${id}/` }),
  });
}

// Routing: unknown paths are 404 JSON; a known path with the wrong method is 405 with Allow.
cases.push(
  { name: 'GET /api/nope', status: 404, request: () => ({ method: 'GET', path: '/api/nope' }) },
  { name: 'POST /api/nope/', status: 404, request: () => ({ method: 'POST', path: '/api/nope/', rawBody: '{}' }) },
  { name: 'GET /api/hall-layout/ (no id)', status: 404, request: () => ({ method: 'GET', path: '/api/hall-layout/' }) },
  { name: 'GET /api/hold-seat/', status: 405, allow: 'POST', request: () => ({ method: 'GET', path: '/api/hold-seat/' }) },
  { name: 'GET /api/hold-seat (no trailing slash)', status: 405, allow: 'POST', request: () => ({ method: 'GET', path: '/api/hold-seat' }) },
  { name: 'PUT /api/book-seat/', status: 405, allow: 'POST', request: (f) => ({ method: 'PUT', path: '/api/book-seat/', rawBody: JSON.stringify(hold.valid(f)), auth: 'user' }) },
  { name: 'GET /api/auth/login', status: 405, allow: 'POST', request: () => ({ method: 'GET', path: '/api/auth/login' }) },
  { name: 'POST /api/auth/me', status: 405, allow: 'GET', request: () => ({ method: 'POST', path: '/api/auth/me', auth: 'user' }) },
  { name: 'DELETE /api/hall-layout/1/', status: 405, allow: 'GET', request: () => ({ method: 'DELETE', path: '/api/hall-layout/1/' }) },
  { name: 'GET /api/admin/venues', status: 405, allow: 'POST', request: () => ({ method: 'GET', path: '/api/admin/venues', auth: 'staff' }) },
);

// ---------------------------------------------------------------------------

/** Every table's row count and a checksum of its contents, and the seats by status. */
async function snapshot(): Promise<Record<string, unknown>> {
  const tables = ['users', 'sessions', 'venues', 'halls', 'seats', 'movies', 'showtimes', 'show_seats', 'bookings'];
  const columns = tables.flatMap((table) => [
    sql`(SELECT count(*)::int FROM ${sql.table(table)})`.as(`${table}_count`),
    sql`(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM ${sql.table(table)} t)`.as(`${table}_md5`),
  ]);
  const statuses = (['available', 'held', 'booked'] as const).map((status) =>
    sql`(SELECT count(*)::int FROM show_seats WHERE status = ${status})`.as(`show_seats_${status}`),
  );
  return app.db.selectNoFrom([...columns, ...statuses]).executeTakeFirstOrThrow();
}

function tokenFor(auth: Auth | undefined): string | undefined {
  if (auth === 'staff') {
    return fixtures.staff.token;
  }
  if (auth === 'user') {
    return fixtures.user.token;
  }
  return undefined;
}

async function send(request: BadRequest): Promise<Reply> {
  const token = tokenFor(request.auth);
  return client.send(request.method, request.path, undefined, {
    ...(token === undefined ? {} : { token }),
    ...(request.rawBody === undefined ? {} : { rawBody: request.rawBody }),
    headers: { ...request.headers },
  });
}

describe('bad input never reaches the database and always gets a 4xx JSON {detail}', () => {
  let initial: Record<string, unknown>;

  beforeAll(async () => {
    initial = await snapshot();
    // The snapshot sees the fixture: four free seats of one show, nothing held or booked.
    expect(initial).toMatchObject({ show_seats_available: 4, show_seats_held: 0, show_seats_booked: 0, bookings_count: 0 });
  });

  it.each(cases.map((c) => [c.name, c] as const))('when %s, then the right 4xx and no row changes', async (_name, testCase) => {
    const before = await snapshot();
    const reply = await send(testCase.request(fixtures));
    expect(reply.status, reply.text.slice(0, 300)).toBe(testCase.status);
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(reply.body ?? {})).toEqual(['detail']);
    expect(typeof reply.body.detail).toBe('string');
    expect(reply.body.detail.trim()).not.toBe('');
    if (testCase.field !== undefined) {
      expect(reply.body.detail).toContain(testCase.field);
    }
    if (testCase.allow !== undefined) {
      expect(String(reply.headers['allow']).split(/,\s*/)).toContain(testCase.allow);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('when the whole table has run, then no row anywhere changed', async () => {
    expect(await snapshot()).toEqual(initial);
  });
});

/** One request written by hand on a raw socket, for input no HTTP client would produce. */
function rawExchange(request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const url = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server closes the socket right after answering; a reset after the answer is fine.
      if (chunks.length === 0) {
        reject(error);
      }
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

describe('input that is not even valid HTTP', () => {
  it.each([
    ['a garbage request line', 'HELLO THERE\r\n\r\n', 400],
    ['a header line without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n', 400],
    ['headers over the size limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['a body shorter than its Content-Length and a conflicting Transfer-Encoding', 'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ])('when the request has %s, then a 4xx JSON {detail} and no row changes', async (_label, request, status) => {
    const before = await snapshot();
    const reply = await rawExchange(request);
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(reply.body);
    expect(Object.keys(body)).toEqual(['detail']);
    expect(typeof body.detail).toBe('string');
    expect(body.detail.length).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);
  });
});
