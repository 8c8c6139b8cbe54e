import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startTestApp, testConfig, type TestApp } from '../setup/app.ts';
import { countBy, releaseTogether } from '../setup/barrier.ts';
import { createUser, type TestUser } from '../setup/factories.ts';
import { httpClient, type HttpClient, type Reply } from '../setup/http.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';

/**
 * Issue 10, login limits: failed logins per username (across addresses) and
 * per address; TRUST_PROXY for the client address, the `__Host-` Secure
 * cookie and the CSRF origin check behind a TLS-terminating proxy; and the
 * bound on concurrent password hashing.
 */

const WRONG = 'wrong password!';
const PER_USERNAME = 10;
const PER_ADDRESS = 25;

/** Rate limits on, the per-minute flood guard out of the way, these failure limits. */
function limitedConfig(overrides: Parameters<typeof testConfig>[0] = {}) {
  const base = testConfig();
  return {
    rateLimits: { ...base.rateLimits, enabled: true, loginPerMinute: 100_000, registerPerMinute: 100_000 },
    loginLimits: { failuresPerUsername: PER_USERNAME, failuresPerAddress: PER_ADDRESS, windowSeconds: 900 },
    ...overrides,
  };
}

const login = (http: HttpClient, username: string, password: string, headers: Record<string, string> = {}) =>
  http.post('/api/auth/login', { username, password }, { headers });

function expectLoginLimited(reply: Reply, sentence: RegExp): void {
  expect(reply.status).toBe(429);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  expect(reply.body.detail).toMatch(sentence);
  const retryAfter = Number(reply.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(800); // the window is 900 s and began moments ago
  expect(retryAfter).toBeLessThanOrEqual(900);
  expect(reply.body.detail).toContain(`${Math.ceil(retryAfter / 60)} minutes`);
  expect(reply.headers['set-cookie']).toBeUndefined();
}

function failuresOf(app: TestApp, scope: 'address' | 'username', subject: string) {
  return app.db
    .selectFrom('login_failures')
    .select('failures')
    .where('scope', '=', scope)
    .where('subject', '=', subject)
    .executeTakeFirst()
    .then((row) => row?.failures ?? 0);
}

async function failTimes(http: HttpClient, username: string, times: number, headers: (i: number) => Record<string, string> = () => ({})) {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    statuses.push((await login(http, username, WRONG, headers(i))).status);
  }
  return statuses;
}

const fromAddress = (localAddress: string, baseUrl: string) => httpClient(baseUrl, new Agent({ keepAlive: false, localAddress }));

function sessionCookie(reply: Reply): string | undefined {
  const header = reply.headers['set-cookie'];
  const cookies = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return cookies.find((c) => c.includes('boxoffice_session='));
}

describe('failed logins, without a trusted proxy', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(limitedConfig());
  });
  afterAll(() => app.close());

  it('when one address fails 10 times for user A, then A is locked (429 + Retry-After, even with the right password) and user B still logs in from that address', async () => {
    const alice = await createUser(app.db);
    const bob = await createUser(app.db);
    expect(await failTimes(app.http, alice.username, PER_USERNAME)).toEqual(Array.from({ length: PER_USERNAME }, () => 401));

    expectLoginLimited(await login(app.http, alice.username, alice.password), /^Too many failed logins for this username; try again in \d+ minutes\.$/);
    // Another letter case is the same account, and the same count.
    expectLoginLimited(await login(app.http, alice.username.toUpperCase(), alice.password), /for this username/);
    expect(await failuresOf(app, 'username', alice.username.toLowerCase())).toBe(PER_USERNAME);

    const bobReply = await login(app.http, bob.username, bob.password);
    expect(bobReply.status).toBe(200);
    expect(bobReply.body.user.username).toBe(bob.username);
  });

  it('when a login succeeds, then it is not counted and the username\'s failures are forgotten', async () => {
    const carol = await createUser(app.db);
    const cashierDesk = fromAddress('127.0.0.5', app.baseUrl);
    await failTimes(cashierDesk, carol.username, PER_USERNAME - 1);
    expect(await failuresOf(app, 'address', '127.0.0.5')).toBe(PER_USERNAME - 1);
    expect((await login(cashierDesk, carol.username, carol.password)).status).toBe(200);
    expect(await failuresOf(app, 'username', carol.username.toLowerCase())).toBe(0);
    expect(await failuresOf(app, 'address', '127.0.0.5')).toBe(PER_USERNAME - 1);
    // A fresh budget: nine more failures still leave the right password working.
    expect(await failTimes(cashierDesk, carol.username, PER_USERNAME - 1)).not.toContain(429);
    expect((await login(cashierDesk, carol.username, carol.password)).status).toBe(200);
  });

  it('when one address fails for many usernames, then past the per-address limit it is refused (X-Forwarded-For, untrusted, changes nothing) and another address is not', async () => {
    const origin = fromAddress('127.0.0.3', app.baseUrl);
    const dave = await createUser(app.db);
    // Each attempt claims another client address: without TRUST_PROXY the header is ignored.
    const spoofed = (i: number) => ({ 'x-forwarded-for': `203.0.113.${i + 1}` });
    for (let i = 0; i < PER_ADDRESS; i++) {
      expect((await login(origin, `nobody${i}`, WRONG, spoofed(i))).status).toBe(401);
    }
    expect(await failuresOf(app, 'address', '127.0.0.3')).toBe(PER_ADDRESS);
    expect(await failuresOf(app, 'address', '203.0.113.1')).toBe(0);

    expectLoginLimited(await login(origin, dave.username, dave.password, spoofed(99)), /^Too many failed logins from your network address; try again in \d+ minutes\.$/);
    expect(await failuresOf(app, 'username', dave.username.toLowerCase())).toBe(0); // a refused attempt counts nowhere

    expect((await login(fromAddress('127.0.0.4', app.baseUrl), dave.username, dave.password)).status).toBe(200);
  });

  it('when X-Forwarded-Proto says https but no proxy is trusted, then the cookie keeps its plain name without Secure', async () => {
    const erin = await createUser(app.db);
    const reply = await login(app.http, erin.username, erin.password, { 'x-forwarded-proto': 'https' });
    expect(reply.status).toBe(200);
    const cookie = sessionCookie(reply);
    expect(cookie).toMatch(/^boxoffice_session=/);
    expect(cookie).not.toMatch(/;\s*Secure/i);
  });

  it('when X-Forwarded-Host names the Origin but no proxy is trusted, then a cookie-authenticated write is still refused as cross-site', async () => {
    const frank = await createUser(app.db);
    const reply = await app.http.post('/api/auth/logout', undefined, {
      headers: { cookie: `boxoffice_session=${frank.token}`, origin: 'https://tickets.example', 'x-forwarded-host': 'tickets.example' },
    });
    expect(reply.status).toBe(403);
    expect(reply.body.detail).toMatch(/^Cross-site request refused/);
  });
});

describe('behind a trusted proxy (TRUST_PROXY=127.0.0.1)', () => {
  let app: TestApp;
  const proxied = (client: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': client, ...extra });
  const https = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'tickets.example' };

  beforeAll(async () => {
    app = await startTestApp(limitedConfig({ trustProxy: ['127.0.0.1'] }));
  });
  afterAll(() => app.close());

  it('when user A\'s password is guessed from 10 different client addresses, then A is locked for every address, and the counts key on the forwarded addresses', async () => {
    const alice = await createUser(app.db);
    const statuses = await failTimes(app.http, alice.username, PER_USERNAME, (i) => proxied(`198.51.100.${i + 1}`));
    expect(statuses).toEqual(Array.from({ length: PER_USERNAME }, () => 401));
    expect(await failuresOf(app, 'address', '198.51.100.1')).toBe(1);
    expect(await failuresOf(app, 'address', '127.0.0.1')).toBe(0);

    expectLoginLimited(await login(app.http, alice.username, alice.password, proxied('198.51.100.200')), /for this username/);
  });

  it('when one forwarded client fails past the per-address limit, then it is refused while another client behind the same proxy logs in', async () => {
    const bob = await createUser(app.db);
    for (let i = 0; i < PER_ADDRESS; i++) {
      expect((await login(app.http, `ghost${i}`, WRONG, proxied('192.0.2.7'))).status).toBe(401);
    }
    expectLoginLimited(await login(app.http, bob.username, bob.password, proxied('192.0.2.7')), /from your network address/);
    expect((await login(app.http, bob.username, bob.password, proxied('192.0.2.8'))).status).toBe(200);
  });

  it('when the proxy forwards https, then the session cookie is __Host-boxoffice_session; Secure; Path=/ with no Domain, and it (not the plain name) authenticates', async () => {
    const carol = await createUser(app.db);
    const reply = await login(app.http, carol.username, carol.password, proxied('192.0.2.20', https));
    expect(reply.status).toBe(200);
    const cookie = sessionCookie(reply)!;
    expect(cookie.startsWith(`__Host-boxoffice_session=${reply.body.token};`)).toBe(true);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*Path=\/(;|$)/);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).not.toMatch(/Domain=/i);

    const me = (cookieHeader: string) => app.http.get('/api/auth/me', { headers: { ...https, cookie: cookieHeader } });
    expect((await me(`__Host-boxoffice_session=${reply.body.token}`)).body).toMatchObject({ id: carol.id });
    // Over HTTPS a cookie without the prefix (one a sibling site or plain HTTP could plant) is not read.
    expect((await me(`boxoffice_session=${reply.body.token}`)).status).toBe(401);
  });

  it('when the proxy forwards plain http, then the cookie keeps its plain name without Secure', async () => {
    const dave = await createUser(app.db);
    const reply = await login(app.http, dave.username, dave.password, proxied('192.0.2.21', { 'x-forwarded-proto': 'http' }));
    const cookie = sessionCookie(reply);
    expect(cookie).toMatch(/^boxoffice_session=/);
    expect(cookie).not.toMatch(/;\s*Secure/i);
  });

  it('when a cookie-authenticated write comes from the public origin, then the CSRF check passes behind the proxy; from another origin it is 403', async () => {
    const erin = await createUser(app.db);
    const write = (origin: string, token: string) =>
      app.http.post('/api/auth/logout', undefined, { headers: { ...https, origin, cookie: `__Host-boxoffice_session=${token}` } });

    const foreign = await write('https://evil.example', erin.token);
    expect(foreign.status).toBe(403);
    expect(foreign.body.detail).toMatch(/^Cross-site request refused/);

    const own = await write('https://tickets.example', erin.token);
    expect(own.status).toBe(204);
    const session = await app.db.selectFrom('sessions').select('id').where('user_id', '=', erin.id).execute();
    expect(session).toHaveLength(0);
    // The logout cleared the prefixed cookie (a Secure Set-Cookie, or the browser would ignore it).
    expect(sessionCookie(own)).toMatch(/^__Host-boxoffice_session=;.*Secure/i);
  });
});

describe('failed logins across two server processes', () => {
  let app: TestApp;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    const env = { RATE_LIMITS: 'on', LOGIN_FAILURES_PER_USERNAME: '4', LOGIN_FAILURES_PER_ADDRESS: '1000', RATE_LIMIT_LOGIN_PER_MINUTE: '100000' };
    servers = await Promise.all([startServerProcess(app.databaseUrl, env), startServerProcess(app.databaseUrl, env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await app.close();
  });

  it('when 12 wrong passwords for one username arrive at once at two processes, then exactly 4 are checked (401) and 8 are refused (429), and the right one is refused too', async () => {
    const alice: TestUser = await createUser(app.db);
    await Promise.all(servers.map((s) => s.http.warm(6)));
    const replies = await releaseTogether(Array.from({ length: 12 }, (_, i) => () => login(servers[i % 2]!.http, alice.username, WRONG)));
    expect(countBy(replies, (r) => r.status)).toEqual({ 401: 4, 429: 8 });
    expect(await failuresOf(app, 'username', alice.username.toLowerCase())).toBe(4);
    expect((await login(servers[0]!.http, alice.username, alice.password)).status).toBe(429);
    expect((await login(servers[1]!.http, alice.username, alice.password)).status).toBe(429);
  });
});

describe('concurrent password hashing', () => {
  let app: TestApp;

  beforeAll(async () => {
    // Limits high enough that 16 attempts in flight at once (each counted until it succeeds) stay under them.
    app = await startTestApp(limitedConfig({ passwordHashing: { concurrency: 1, queue: 2 }, loginLimits: { failuresPerUsername: 100, failuresPerAddress: 100, windowSeconds: 900 } }));
  });
  afterAll(() => app.close());

  it('when 16 logins arrive at once with room for 1 hashing and 2 waiting, then the excess gets 503 JSON with Retry-After at once, and those attempts are not counted as failures', async () => {
    const user = await createUser(app.db);
    await app.http.warm(16);
    const replies = await releaseTogether(Array.from({ length: 16 }, () => () => login(app.http, user.username, user.password)));
    const counts = countBy(replies, (r) => r.status);
    expect(Object.keys(counts).sort()).toEqual(['200', '503']);
    expect(counts['200']).toBeGreaterThanOrEqual(3);
    const refused = replies.filter((r) => r.status === 503);
    for (const reply of refused) {
      expect(reply.body).toEqual({ detail: 'Too many sign-ins at once; try again in a few seconds.' });
      expect(Number(reply.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(await failuresOf(app, 'username', user.username.toLowerCase())).toBe(0);
    expect(await failuresOf(app, 'address', '127.0.0.1')).toBe(0);
    // Once the storm has passed, signing in works again.
    expect((await login(app.http, user.username, user.password)).status).toBe(200);
  });

  it('when registrations storm, then the excess gets the same 503 and no user is created for it', async () => {
    await app.http.warm(16);
    const names = Array.from({ length: 16 }, (_, i) => `storm${process.pid}x${i}`);
    const replies = await releaseTogether(names.map((username) => () => app.http.post('/api/auth/register', { username, password: 'correct horse battery' })));
    const counts = countBy(replies, (r) => r.status);
    expect(counts['503']).toBeGreaterThanOrEqual(1);
    expect((counts['201'] ?? 0) + (counts['503'] ?? 0)).toBe(16);
    const created = await app.db.selectFrom('users').select('username').where('username', 'in', names).execute();
    expect(created).toHaveLength(counts['201']!);
  });
});

describe('TRUST_PROXY and the login limit settings', () => {
  it('when TRUST_PROXY is unset, then no proxy is trusted; "true" trusts any; a list of addresses, CIDRs and named ranges is kept', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1,Loopback' }).trustProxy).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    expect(loadConfig({}).loginLimits).toEqual({ failuresPerUsername: 10, failuresPerAddress: 100, windowSeconds: 900 });
  });

  it.each(['2', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/1'])('when TRUST_PROXY is "%s", then startup fails with one line naming it', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/^TRUST_PROXY must be/);
  });
});
