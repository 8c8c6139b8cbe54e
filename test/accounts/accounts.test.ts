import { createHash } from 'node:crypto';
import { Agent } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStaffUser } from '../../src/accounts/index.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createShow, createUser, showSeatRows, type TestShow, type TestUser } from '../setup/factories.ts';
import { httpClient, type Reply } from '../setup/http.ts';
import { msUntil } from '../setup/poll.ts';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const PASSWORD = 'correct horse battery';
let counter = 0;
/** A fresh, valid username per call, so tests never collide. */
const freshName = (prefix = 'user') => `${prefix}${process.pid}x${Date.now().toString(36)}x${counter++}`;

const register = (username: string, password = PASSWORD) => app.http.post('/api/auth/register', { username, password });
const login = (username: string, password = PASSWORD) => app.http.post('/api/auth/login', { username, password });
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

function expectJsonError(reply: Reply, status: number): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  expect(typeof reply.body?.detail).toBe('string');
  expect(reply.body.detail.length).toBeGreaterThan(0);
}

function usersNamed(username: string) {
  return app.db
    .selectFrom('users')
    .select(['id', 'username', 'password_hash', 'is_staff'])
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .execute();
}

async function sessionExists(token: string): Promise<boolean> {
  const row = await app.db.selectFrom('sessions').select('id').where('token_hash', '=', tokenHash(token)).executeTakeFirst();
  return row !== undefined;
}

const countSessions = async (userId: number) =>
  Number((await app.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n);

function setCookieOf(reply: Reply): string {
  const header = reply.headers['set-cookie'];
  expect(header).toBeDefined();
  const cookies = Array.isArray(header) ? header : [header!];
  const session = cookies.find((c) => c.startsWith('boxoffice_session='));
  expect(session).toBeDefined();
  return session!;
}

const cookieHeader = (token: string) => ({ cookie: `boxoffice_session=${token}` });

describe('POST /api/auth/register', () => {
  it('when the body is valid, then 201 {id, username} and the users row holds an argon2id hash, never the password', async () => {
    const username = freshName();
    const reply = await register(username);
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ id: expect.any(Number), username });
    const rows = await usersNamed(username);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: reply.body.id, username, is_staff: false });
    expect(rows[0]!.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(rows[0]!.password_hash).not.toContain(PASSWORD);
  });

  it('when two users pick the same password, then their stored hashes differ (salted)', async () => {
    const a = freshName();
    const b = freshName();
    expect((await register(a)).status).toBe(201);
    expect((await register(b)).status).toBe(201);
    const [rowA] = await usersNamed(a);
    const [rowB] = await usersNamed(b);
    expect(rowA!.password_hash).not.toBe(rowB!.password_hash);
  });

  it('when the username is at the limits (3 and 150 chars, every allowed symbol), then 201', async () => {
    const symbols = `A.b+c-d_e@${freshName()}`;
    const long = symbols + 'x'.repeat(150 - symbols.length);
    // Each test file has its own database, so a fixed three-letter name is free.
    for (const username of ['a.b', long]) {
      const reply = await register(username);
      expect(reply.status, username).toBe(201);
      expect(reply.body.username).toBe(username);
    }
  });

  const badUsernames: [string, unknown][] = [
    ['too short', 'ab'],
    ['empty', ''],
    ['too long (151 chars)', 'u'.repeat(151)],
    ['a space', 'bad name'],
    ['a slash', 'bad/name'],
    ['non-ASCII letters', 'jürgen'],
    ['a NUL character', 'bad\u0000name'],
    ['a trailing newline', 'badname\n'],
    ['a number instead of a string', 12345],
    ['null', null],
  ];
  it.each(badUsernames)('when the username has %s, then 400 naming username and no row is created', async (_label, username) => {
    const before = await app.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const reply = await app.http.post('/api/auth/register', { username, password: PASSWORD });
    expectJsonError(reply, 400);
    expect(reply.body.detail).toContain('username');
    const after = await app.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it.each([
    ['7 characters', 'seven77'],
    ['empty', ''],
    ['longer than 1024 characters', 'p'.repeat(1025)],
  ])('when the password is %s, then 400 naming password and no row is created', async (_label, password) => {
    const username = freshName();
    const reply = await register(username, password);
    expectJsonError(reply, 400);
    expect(reply.body.detail).toContain('password');
    expect(await usersNamed(username)).toHaveLength(0);
  });

  it('when a field is missing, then 400 naming it', async () => {
    const noPassword = await app.http.post('/api/auth/register', { username: freshName() });
    expectJsonError(noPassword, 400);
    expect(noPassword.body.detail).toContain('password');
    const noUsername = await app.http.post('/api/auth/register', { password: PASSWORD });
    expectJsonError(noUsername, 400);
    expect(noUsername.body.detail).toContain('username');
  });

  it('when the username is taken, then 409 Username already taken. (also in another letter case) and one row remains', async () => {
    const username = freshName('Casey');
    expect((await register(username)).status).toBe(201);
    const same = await register(username, 'another password');
    expectJsonError(same, 409);
    expect(same.body).toEqual({ detail: 'Username already taken.' });
    const otherCase = await register(username.toUpperCase(), 'another password');
    expectJsonError(otherCase, 409);
    expect(otherCase.body).toEqual({ detail: 'Username already taken.' });
    const rows = await usersNamed(username);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.username).toBe(username);
    // The original password still works: the failed registrations changed nothing.
    expect((await login(username)).status).toBe(200);
  });
});

describe('POST /api/auth/login', () => {
  let user: { id: number; username: string };

  beforeAll(async () => {
    const username = freshName();
    const reply = await register(username);
    user = reply.body;
  });

  it('when the credentials are right, then 200 {token, user} and a session row for that token', async () => {
    const before = await countSessions(user.id);
    const reply = await login(user.username);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ token: expect.any(String), user: { id: user.id, username: user.username, is_staff: false } });
    expect(reply.body.token.length).toBeGreaterThanOrEqual(32);
    expect(await sessionExists(reply.body.token)).toBe(true);
    expect(await countSessions(user.id)).toBe(before + 1);
    // Only a hash of the token is stored.
    const raw = await app.db.selectFrom('sessions').select('id').where('token_hash', '=', reply.body.token).executeTakeFirst();
    expect(raw).toBeUndefined();
  });

  it('when the credentials are right, then the session cookie carries the token and is HttpOnly and SameSite=Strict', async () => {
    const reply = await login(user.username);
    expect(reply.status).toBe(200);
    const cookie = setCookieOf(reply);
    expect(cookie.startsWith(`boxoffice_session=${reply.body.token};`)).toBe(true);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Strict/i);
    expect(cookie).toMatch(/;\s*Path=\//i);
  });

  it('when the username is typed in another letter case, then the same user logs in', async () => {
    const reply = await login(user.username.toUpperCase());
    expect(reply.status).toBe(200);
    expect(reply.body.user).toEqual({ id: user.id, username: user.username, is_staff: false });
  });

  it('when the password is wrong, then 401 Invalid username or password., no cookie and no session', async () => {
    const before = await countSessions(user.id);
    const reply = await login(user.username, 'wrong password');
    expectJsonError(reply, 401);
    expect(reply.body).toEqual({ detail: 'Invalid username or password.' });
    expect(reply.headers['set-cookie']).toBeUndefined();
    expect(await countSessions(user.id)).toBe(before);
  });

  it('when the user does not exist, then the same 401 Invalid username or password.', async () => {
    const before = await app.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const reply = await login(freshName('ghost'));
    expectJsonError(reply, 401);
    expect(reply.body).toEqual({ detail: 'Invalid username or password.' });
    const after = await app.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('when the user is staff, then user.is_staff is true', async () => {
    const staff = await createUser(app.db, { staff: true });
    const reply = await login(staff.username, staff.password);
    expect(reply.status).toBe(200);
    expect(reply.body.user).toEqual({ id: staff.id, username: staff.username, is_staff: true });
  });

  it('when a field is missing or empty, then 400 naming it', async () => {
    const noPassword = await app.http.post('/api/auth/login', { username: user.username });
    expectJsonError(noPassword, 400);
    expect(noPassword.body.detail).toContain('password');
    const emptyUsername = await app.http.post('/api/auth/login', { username: '', password: PASSWORD });
    expectJsonError(emptyUsername, 400);
    expect(emptyUsername.body.detail).toContain('username');
  });
});

describe('GET /api/auth/me', () => {
  let user: TestUser;

  beforeAll(async () => {
    user = await createUser(app.db);
  });

  it('when a bearer token is sent, then 200 with the user', async () => {
    const reply = await app.http.get('/api/auth/me', { token: user.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id: user.id, username: user.username, is_staff: false });
  });

  it('when the session cookie from login is sent, then 200 with the user', async () => {
    const session = await login(user.username, user.password);
    const reply = await app.http.get('/api/auth/me', { headers: cookieHeader(session.body.token) });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id: user.id, username: user.username, is_staff: false });
  });

  it('when nothing, a malformed header or an unknown token is sent, then 401 JSON', async () => {
    expectJsonError(await app.http.get('/api/auth/me'), 401);
    expectJsonError(await app.http.get('/api/auth/me', { headers: { authorization: `Basic ${user.token}` } }), 401);
    expectJsonError(await app.http.get('/api/auth/me', { token: 'not-a-real-token' }), 401);
    expectJsonError(await app.http.get('/api/auth/me', { token: 'x'.repeat(5000) }), 401);
    expectJsonError(await app.http.get('/api/auth/me', { headers: cookieHeader('not-a-real-token') }), 401);
  });

  it('when the session has expired, then 401', async () => {
    const other = await createUser(app.db);
    await app.db.updateTable('sessions').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('token_hash', '=', tokenHash(other.token)).execute();
    expectJsonError(await app.http.get('/api/auth/me', { token: other.token }), 401);
  });
});

describe('POST /api/auth/logout', () => {
  it('when called with a bearer token, then 204, the sessions row is gone and the token answers 401; other sessions live on', async () => {
    const user = await createUser(app.db);
    const second = await login(user.username, user.password);
    expect(await sessionExists(user.token)).toBe(true);

    const reply = await app.http.post('/api/auth/logout', undefined, { token: user.token });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect(await sessionExists(user.token)).toBe(false);
    expectJsonError(await app.http.get('/api/auth/me', { token: user.token }), 401);
    expectJsonError(await app.http.post('/api/auth/logout', undefined, { token: user.token }), 401);

    // Logging out one device does not log out the others.
    expect(await sessionExists(second.body.token)).toBe(true);
    expect((await app.http.get('/api/auth/me', { token: second.body.token })).status).toBe(200);
  });

  it('when called without authentication, then 401 and no session is touched', async () => {
    const before = await app.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expectJsonError(await app.http.post('/api/auth/logout'), 401);
    expectJsonError(await app.http.post('/api/auth/logout', undefined, { token: 'not-a-real-token' }), 401);
    const after = await app.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('when called with the session cookie from our own origin, then 204, the cookie is cleared and the session is gone', async () => {
    const user = await createUser(app.db);
    const session = await login(user.username, user.password);
    const token: string = session.body.token;
    const reply = await app.http.post('/api/auth/logout', undefined, { headers: { ...cookieHeader(token), origin: app.baseUrl } });
    expect(reply.status).toBe(204);
    const cleared = setCookieOf(reply);
    expect(cleared).toMatch(/^boxoffice_session=;/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
    expect(await sessionExists(token)).toBe(false);
    expectJsonError(await app.http.get('/api/auth/me', { headers: cookieHeader(token) }), 401);
  });
});

describe('CSRF: cookie-authenticated writes', () => {
  let user: TestUser;
  let cookieToken: string;
  let show: TestShow;

  beforeAll(async () => {
    user = await createUser(app.db);
    cookieToken = (await login(user.username, user.password)).body.token;
    show = await createShow(app.db, { rows: 1, seatsPerRow: 8 });
  });

  const seatStatus = async (seatId: number) => (await showSeatRows(app.db, show.showId)).find((r) => r.seat_id === seatId)!;
  const holdWithCookie = (seatIndex: number, headers: Record<string, string>) =>
    app.http.post('/api/hold-seat/', { seat_id: show.seatIds[seatIndex], show_id: show.showId }, { headers: { ...cookieHeader(cookieToken), ...headers } });

  it.each([
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['a look-alike Origin', { origin: 'http://127.0.0.1.evil.example' }],
    ['Origin: null', { origin: 'null' }],
    ['no Origin and Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['neither Origin nor Sec-Fetch-Site', {}],
  ])('when a hold comes with the cookie and %s, then 403 and the seat stays available', async (_label, headers) => {
    const reply = await holdWithCookie(0, headers);
    expectJsonError(reply, 403);
    expect(reply.body.detail).toMatch(/cross-site/i);
    expect(await seatStatus(show.seatIds[0]!)).toMatchObject({ status: 'available', locked_by_id: null });
  });

  it('when logout comes with the cookie and a foreign Origin, then 403 and the session survives', async () => {
    const reply = await app.http.post('/api/auth/logout', undefined, { headers: { ...cookieHeader(cookieToken), origin: 'https://evil.example' } });
    expectJsonError(reply, 403);
    expect(await sessionExists(cookieToken)).toBe(true);
    expect((await app.http.get('/api/auth/me', { headers: cookieHeader(cookieToken) })).status).toBe(200);
  });

  it('when a hold comes with the cookie and our own Origin, then 200 and the seat is held by the user', async () => {
    const reply = await holdWithCookie(1, { origin: app.baseUrl });
    expect(reply.status).toBe(200);
    expect(reply.body.detail).toBe('Seat held.');
    expect(await seatStatus(show.seatIds[1]!)).toMatchObject({ status: 'held', locked_by_id: user.id });
  });

  it('when a hold comes with the cookie, no Origin and Sec-Fetch-Site: same-origin, then 200', async () => {
    const reply = await holdWithCookie(2, { 'sec-fetch-site': 'same-origin' });
    expect(reply.status).toBe(200);
    expect(await seatStatus(show.seatIds[2]!)).toMatchObject({ status: 'held', locked_by_id: user.id });
  });

  it('when a hold comes with a bearer token and a foreign Origin, then 200 (a browser never sends a bearer token by itself)', async () => {
    const reply = await app.http.post(
      '/api/hold-seat/',
      { seat_id: show.seatIds[3], show_id: show.showId },
      { token: user.token, headers: { origin: 'https://evil.example' } },
    );
    expect(reply.status).toBe(200);
    expect(await seatStatus(show.seatIds[3]!)).toMatchObject({ status: 'held', locked_by_id: user.id });
  });

  it('when a safe GET comes with the cookie and a foreign Origin, then it is answered', async () => {
    const reply = await app.http.get('/api/auth/me', { headers: { ...cookieHeader(cookieToken), origin: 'https://evil.example' } });
    expect(reply.status).toBe(200);
    expect(reply.body.id).toBe(user.id);
  });
});

describe('ensureStaffUser (ADMIN_USERNAME / ADMIN_PASSWORD)', () => {
  it('when the user does not exist, then it creates a staff user who can log in', async () => {
    const username = freshName('admin');
    const created = await ensureStaffUser(app.db, username, 'first admin password');
    expect(created).toEqual({ id: expect.any(Number), username, is_staff: true });
    const rows = await usersNamed(username);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.password_hash.startsWith('$argon2id$')).toBe(true);
    const reply = await login(username, 'first admin password');
    expect(reply.status).toBe(200);
    expect(reply.body.user).toEqual({ id: created.id, username, is_staff: true });
  });

  it('when called again with a new password, then the password is reset and one row remains', async () => {
    const username = freshName('admin');
    const first = await ensureStaffUser(app.db, username, 'first admin password');
    const again = await ensureStaffUser(app.db, username, 'second admin password');
    expect(again).toEqual({ id: first.id, username, is_staff: true });
    expect(await usersNamed(username)).toHaveLength(1);
    expect(await login(username, 'first admin password')).toMatchObject({ status: 401, body: { detail: 'Invalid username or password.' } });
    const reply = await login(username, 'second admin password');
    expect(reply.status).toBe(200);
    expect(reply.body.user).toEqual({ id: first.id, username, is_staff: true });
  });

  it('when the password changes, then the old sessions end; when it is the same (a restart), then they survive', async () => {
    const username = freshName('admin');
    await ensureStaffUser(app.db, username, 'first admin password');
    const token = (await login(username, 'first admin password')).body.token as string;
    await ensureStaffUser(app.db, username, 'first admin password');
    expect((await app.http.get('/api/auth/me', { token })).status).toBe(200);
    await ensureStaffUser(app.db, username, 'second admin password');
    // Changed from outside the app (as `boxoffice` at start does): its session cache hears of it by NOTIFY.
    expect(await msUntil(async () => (await app.http.get('/api/auth/me', { token })).status, 401)).toBeLessThanOrEqual(1_000);
  });

  it('when the name belongs to an ordinary user (in any letter case), then that user becomes staff with the new password', async () => {
    const username = freshName('Regular');
    const registered = await register(username);
    const promoted = await ensureStaffUser(app.db, username.toLowerCase(), 'promoted password');
    expect(promoted).toEqual({ id: registered.body.id, username, is_staff: true });
    const rows = await usersNamed(username);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: registered.body.id, is_staff: true });
    expect((await login(username)).status).toBe(401);
    expect((await login(username, 'promoted password')).body.user.is_staff).toBe(true);
  });
});

describe('rate limits', () => {
  it('when rate limits are off (the test default), then 20 rapid logins are never 429', async () => {
    const user = await createUser(app.db);
    const replies = await Promise.all(Array.from({ length: 20 }, () => login(user.username, user.password)));
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    const wrong = await Promise.all(Array.from({ length: 20 }, () => login(user.username, 'wrong password')));
    expect(wrong.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 401));
  });

  describe('when they are on (login 3, register 2, seat writes 2 per minute)', () => {
    let limited: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let show: TestShow;

    beforeAll(async () => {
      limited = await startTestApp({ rateLimits: { enabled: true, loginPerMinute: 3, registerPerMinute: 2, seatWritesPerMinute: 2 } });
      alice = await createUser(limited.db);
      bob = await createUser(limited.db);
      show = await createShow(limited.db, { rows: 1, seatsPerRow: 8 });
    });
    afterAll(() => limited.close());

    function expectRateLimited(reply: Reply): void {
      expectJsonError(reply, 429);
      const retryAfter = Number(reply.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }

    const sessionCount = async () =>
      Number((await limited.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    it('when one address tries a 4th login within a minute, then 429 with Retry-After, even with the right password; another address still logs in', async () => {
      // Per address, not per username: attempts on different accounts share the budget.
      const first = await limited.http.post('/api/auth/login', { username: alice.username, password: 'wrong password' });
      const second = await limited.http.post('/api/auth/login', { username: bob.username, password: 'wrong password' });
      const third = await limited.http.post('/api/auth/login', { username: alice.username, password: alice.password });
      expect([first.status, second.status, third.status]).toEqual([401, 401, 200]);

      const sessionsBefore = await sessionCount();
      const fourth = await limited.http.post('/api/auth/login', { username: alice.username, password: alice.password });
      expectRateLimited(fourth);
      expect(fourth.headers['set-cookie']).toBeUndefined();
      expect(await sessionCount()).toBe(sessionsBefore);

      // 127.0.0.2 is another address on the loopback interface: it has its own budget.
      const elsewhere = httpClient(limited.baseUrl, new Agent({ keepAlive: false, localAddress: '127.0.0.2' }));
      const fromElsewhere = await elsewhere.post('/api/auth/login', { username: alice.username, password: alice.password });
      expect(fromElsewhere.status).toBe(200);
      expect(await sessionCount()).toBe(sessionsBefore + 1);
    });

    it('when one address registers a 3rd account within a minute, then 429 with Retry-After and no user is created', async () => {
      const a = freshName();
      const b = freshName();
      const c = freshName();
      expect((await limited.http.post('/api/auth/register', { username: a, password: PASSWORD })).status).toBe(201);
      expect((await limited.http.post('/api/auth/register', { username: b, password: PASSWORD })).status).toBe(201);
      const third = await limited.http.post('/api/auth/register', { username: c, password: PASSWORD });
      expectRateLimited(third);
      const rows = await limited.db.selectFrom('users').select('id').where('username', '=', c).execute();
      expect(rows).toHaveLength(0);
    });

    it('when a user makes a 3rd seat write within a minute, then 429 and the seat stays available; another user has their own budget', async () => {
      const hold = (user: TestUser, seatIndex: number) =>
        limited.http.post('/api/hold-seat/', { seat_id: show.seatIds[seatIndex], show_id: show.showId }, { token: user.token });
      const rowOf = async (seatIndex: number) => (await showSeatRows(limited.db, show.showId)).find((r) => r.seat_id === show.seatIds[seatIndex])!;

      expect((await hold(alice, 0)).status).toBe(200);
      expect((await hold(alice, 1)).status).toBe(200);
      const third = await hold(alice, 2);
      expectRateLimited(third);
      expect(await rowOf(2)).toMatchObject({ status: 'available', locked_by_id: null });

      // Same address, different user: the limit is per user.
      expect((await hold(bob, 3)).status).toBe(200);
      expect((await hold(bob, 4)).status).toBe(200);
      expectRateLimited(await hold(bob, 5));
      expect(await rowOf(3)).toMatchObject({ status: 'held', locked_by_id: bob.id });
      expect(await rowOf(5)).toMatchObject({ status: 'available', locked_by_id: null });
    });
  });
});
