import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { openEventStream } from '../setup/event-stream.ts';
import { createShow, createUser, showSeatRows } from '../setup/factories.ts';
import { httpClient } from '../setup/http.ts';
import { chromiumPath, launchBrowser, watchCspViolations } from '../e2e/browser.ts';

/**
 * Issue 10, "Doors a hostile client can open": slow clients (request,
 * header and keep-alive timeouts, a connection cap), the
 * Content-Security-Policy of the web app and the API docs, and /metrics
 * kept from strangers. Real sockets, real HTTP, real PostgreSQL.
 */

const REQUEST_TIMEOUT_S = 2;
const HEADERS_TIMEOUT_S = 1;
const KEEP_ALIVE_TIMEOUT_S = 1;
/** Node looks for late requests once a second (app.ts), and the test machine is shared: room for both. */
const SLACK_MS = 1_500;

let app: TestApp;
/** Every raw socket a test opened: destroyed after the file, so a test that failed cannot keep an app from closing. */
const rawSockets: Socket[] = [];

beforeAll(async () => {
  app = await startTestApp({
    requestTimeoutSeconds: REQUEST_TIMEOUT_S,
    headersTimeoutSeconds: HEADERS_TIMEOUT_S,
    keepAliveTimeoutSeconds: KEEP_ALIVE_TIMEOUT_S,
  });
});
afterAll(async () => {
  rawSockets.forEach((socket) => socket.destroy());
  await app.close();
});

// ---------------------------------------------------------------------------
// A raw TCP client: what a hostile or broken client sends, byte by byte.

type RawConnection = {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves when the server closed the connection, with how long after connecting. */
  closed: Promise<number>;
  /** Sends `text` one byte every `everyMs`, until it is all sent or the connection closes. */
  trickle(text: string, everyMs: number): void;
};

function rawConnection(baseUrl: string): Promise<RawConnection> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    rawSockets.push(socket);
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const openedAt = performance.now();
    const closed = new Promise<number>((done) =>
      socket.on('close', () => {
        clearInterval(timer);
        done(performance.now() - openedAt);
      }),
    );
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => received,
        closed,
        trickle: (text, everyMs) => {
          let sent = 0;
          timer = setInterval(() => {
            if (sent >= text.length || socket.destroyed) {
              clearInterval(timer);
              return;
            }
            socket.write(text[sent++]!);
          }, everyMs);
        },
      }),
    );
    // A reset after the server closed is the end we wait for, not a failure.
    socket.on('error', (error) => (socket.connecting ? reject(error) : undefined));
  });
}

/** The status line and the JSON body of a raw HTTP answer. */
function parseRawAnswer(text: string): { statusLine: string; body: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { statusLine: head.split('\r\n')[0] ?? '', body: body === '' ? undefined : JSON.parse(body) };
}

const login = JSON.stringify({ username: 'slowpoke', password: 'correct horse battery' });
const host = () => new URL(app.baseUrl).host;

describe('slow clients', () => {
  it('when a client sends its headers one byte at a time, then it gets 408 JSON and the connection is closed after HEADERS_TIMEOUT_SECONDS', async () => {
    const client = await rawConnection(app.baseUrl);
    client.trickle(`GET /api/showtimes HTTP/1.1\r\nHost: ${host()}\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`, 100);
    const elapsed = await client.closed;
    expect(parseRawAnswer(client.received())).toEqual({ statusLine: 'HTTP/1.1 408 Request Timeout', body: { detail: 'The request took too long to arrive.' } });
    expect(elapsed).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_S * 1000 - 100);
    expect(elapsed).toBeLessThan(HEADERS_TIMEOUT_S * 1000 + SLACK_MS);
  });

  it('when a client sends a request body one byte at a time, then it gets 408 JSON after REQUEST_TIMEOUT_SECONDS and nothing reaches the database', async () => {
    const client = await rawConnection(app.baseUrl);
    client.socket.write(`POST /api/auth/register HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: ${login.length}\r\n\r\n`);
    client.trickle(login, 200);
    const elapsed = await client.closed;
    expect(parseRawAnswer(client.received())).toEqual({ statusLine: 'HTTP/1.1 408 Request Timeout', body: { detail: 'The request took too long to arrive.' } });
    expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_S * 1000 - 100);
    expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_S * 1000 + SLACK_MS);
    expect(await app.db.selectFrom('users').select('id').where('username', '=', 'slowpoke').execute()).toEqual([]);
  });

  it('when a client opens a connection and sends nothing, then the server closes it within the headers timeout', async () => {
    const client = await rawConnection(app.baseUrl);
    const elapsed = await client.closed;
    expect(elapsed).toBeLessThan(HEADERS_TIMEOUT_S * 1000 + SLACK_MS);
  });

  it('when a keep-alive connection sits idle, then the server closes it after KEEP_ALIVE_TIMEOUT_SECONDS', async () => {
    const client = await rawConnection(app.baseUrl);
    client.socket.write(`GET /healthz HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    const elapsed = await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(elapsed).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_S * 1000 - 100);
    expect(elapsed).toBeLessThan(KEEP_ALIVE_TIMEOUT_S * 1000 + SLACK_MS);
  });

  it('when a seat-event stream stays open past the request timeout, then it is not cut and still delivers seat changes', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const user = await createUser(app.db);
    const stream = await openEventStream(app.baseUrl, `/api/shows/${show.showId}/events`);
    try {
      await stream.next((e) => e.event === 'snapshot');
      await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_S * 1000 + SLACK_MS));
      const reply = await app.http.post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[0] }, { token: user.token });
      expect(reply.status).toBe(200);
      const event = await stream.next((e) => e.event === 'seat' && e.data.seat_id === show.seatIds[0] && e.data.status === 'held');
      expect(event.data).toMatchObject({ status: 'held' });
      expect((await showSeatRows(app.db, show.showId))[0]).toMatchObject({ status: 'held', locked_by_id: user.id });
    } finally {
      stream.close();
    }
  });
});

describe('MAX_CONNECTIONS', () => {
  const CAP = 3;
  let capped: TestApp;
  beforeAll(async () => {
    capped = await startTestApp({ maxConnections: CAP });
  });
  afterAll(async () => {
    rawSockets.forEach((socket) => socket.destroy());
    await capped.close();
  });

  const healthz = () => `GET /healthz HTTP/1.1\r\nHost: ${new URL(capped.baseUrl).host}\r\n\r\n`;

  it('when the process already has MAX_CONNECTIONS open, then one more is closed unanswered, and is accepted again once one closes', async () => {
    const open: RawConnection[] = [];
    for (let i = 0; i < CAP; i++) {
      const client = await rawConnection(capped.baseUrl);
      client.socket.write(healthz());
      await expect.poll(() => client.received()).toMatch(/^HTTP\/1\.1 200 OK/);
      open.push(client);
    }
    const refused = await rawConnection(capped.baseUrl);
    refused.socket.write(healthz());
    await refused.closed;
    expect(refused.received()).toBe('');

    open[0]!.socket.destroy();
    await open[0]!.closed;
    // Node counts the freed connection once its close has been processed on the server side.
    await expect
      .poll(async () => {
        const next = await rawConnection(capped.baseUrl);
        next.socket.write(healthz());
        await Promise.race([next.closed, new Promise((resolve) => setTimeout(resolve, 300))]);
        const answered = next.received();
        next.socket.destroy();
        return answered;
      })
      .toMatch(/^HTTP\/1\.1 200 OK/);
    open.forEach((client) => client.socket.destroy());
  });
});

// ---------------------------------------------------------------------------
// Content-Security-Policy.

/** A CSP header as directive → sources. */
function directives(header: unknown): Record<string, string[]> {
  expect(typeof header).toBe('string');
  return Object.fromEntries(
    (header as string)
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0] !== '')
      .map(([name, ...sources]) => [name!, sources]),
  );
}

/** What helmet sets on every answer (src/http/security.ts computes the set once, at startup). */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};

describe('security headers', () => {
  it('when answers of every kind are sent (page, API 200, 404, a seat write and its 409), then each carries the security headers and an x-request-id', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 1 });
    const [holder, rival] = [await createUser(app.db), await createUser(app.db)];
    const hold = (user: typeof holder) =>
      app.http.post('/api/hold-seat/', { user_id: user.id, seat_id: show.seatIds[0], show_id: show.showId }, { token: user.token });
    const answers = [
      await app.http.get('/', { headers: { accept: 'text/html' } }),
      await app.http.get('/healthz'),
      await app.http.get('/api/hall-layout/999999/'),
      await hold(holder),
      await hold(rival),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 404, 200, 409]);
    for (const answer of answers) {
      expect(answer.headers).toMatchObject(SECURITY_HEADERS);
      expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
      expect(answer.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      expect(answer.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('when a caller sends a sane x-request-id, then the answer carries the same one', async () => {
    const reply = await app.http.get('/healthz', { headers: { 'x-request-id': 'edge-42.a:b' } });
    expect(reply.headers['x-request-id']).toBe('edge-42.a:b');
  });
});

describe('Content-Security-Policy', () => {
  it('when the web app is loaded, then its page and its assets carry a policy with no inline script, no eval and no other origin', async () => {
    const page = await app.http.get('/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const policy = directives(page.headers['content-security-policy']);
    expect(policy).toMatchObject({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'script-src-attr': ["'none'"],
      'style-src': ["'self'"],
      'connect-src': ["'self'"],
      'object-src': ["'none'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'self'"],
    });
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|upgrade-insecure-requests|https:|\*/);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    expect((await app.http.get(script!)).headers['content-security-policy']).toBe(page.headers['content-security-policy']);
  });

  it('when an API answer is JSON, then it carries the same policy (nothing in it may run)', async () => {
    const reply = await app.http.get('/api/hall-layout/999999/');
    expect(reply.status).toBe(404);
    expect(directives(reply.headers['content-security-policy'])['script-src']).toEqual(["'self'"]);
  });

  it('when /docs is loaded, then it has its own policy: its own files only, no inline script, no other origin', async () => {
    const reply = await app.http.get('/docs/', { headers: { accept: 'text/html' } });
    expect(reply.status).toBe(200);
    const header = reply.headers['content-security-policy'];
    expect(directives(header)).toMatchObject({ 'default-src': ["'self'"], 'script-src': ["'self'"], 'object-src': ["'none'"] });
    expect(directives(header)['style-src']?.filter((source) => !source.startsWith("'sha256-"))).toEqual(["'self'"]);
    expect(header).not.toMatch(/unsafe-inline|unsafe-eval|upgrade-insecure-requests|https:|validator\.swagger\.io/);
  });

  describe.skipIf(chromiumPath === null)('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(() => browser.close());

    it('when /docs is opened, then Swagger UI renders the API and the page logs no CSP violation', async () => {
      const context = await browser.newContext({ baseURL: app.baseUrl });
      try {
        const violations = watchCspViolations(context);
        const page = await context.newPage();
        await page.goto('/docs/');
        await page.locator('.swagger-ui .info .title').filter({ hasText: 'Boxoffice API' }).waitFor();
        await page.locator('.opblock-summary-path', { hasText: '/api/hold-seat/' }).first().waitFor();
        expect(violations).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it('when the web app opens a show, then it renders and connects its live stream with no CSP violation', async () => {
      const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
      const context = await browser.newContext({ baseURL: app.baseUrl });
      try {
        const violations = watchCspViolations(context);
        const page = await context.newPage();
        await page.goto(`/shows/${show.showId}`);
        await page.getByText('Live', { exact: true }).waitFor();
        expect(violations).toEqual([]);
      } finally {
        await context.close();
      }
    });
  });
});

// ---------------------------------------------------------------------------
// /metrics.

/** An address of this machine other than loopback, from which a connection is not "local". */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal)?.address;

describe('GET /metrics without METRICS_TOKEN', () => {
  let open: TestApp;
  beforeAll(async () => {
    open = await startTestApp({}, { host: '0.0.0.0' });
  });
  afterAll(() => open.close());

  it('when a loopback client asks, then it gets the metrics', async () => {
    const reply = await open.http.get('/metrics');
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('# TYPE http_request_duration_seconds histogram');
  });

  it('when a proxy relays the request (X-Forwarded-For or Forwarded), then 403 JSON, although the proxy itself is local', async () => {
    const relayed: Record<string, string>[] = [{ 'x-forwarded-for': '203.0.113.7' }, { forwarded: 'for=203.0.113.7' }];
    for (const headers of relayed) {
      const reply = await open.http.get('/metrics', { headers });
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({ detail: expect.stringContaining('METRICS_TOKEN') });
      expect(reply.text).not.toContain('http_request_duration_seconds');
    }
  });

  it.skipIf(outsideAddress === undefined)('when a client from another address asks, then 403 JSON naming METRICS_TOKEN', async () => {
    const port = new URL(open.baseUrl).port;
    const reply = await httpClient(`http://${outsideAddress}:${port}`).get('/metrics');
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.body).toEqual({ detail: '/metrics is served only to this machine (127.0.0.1 or ::1) when METRICS_TOKEN is unset; set METRICS_TOKEN to scrape it from elsewhere.' });
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const TOKEN = 'scrape-me-0123456789abcdef';
  let guarded: TestApp;
  beforeAll(async () => {
    guarded = await startTestApp({ metricsToken: TOKEN }, { host: '0.0.0.0' });
  });
  afterAll(() => guarded.close());

  it('when no token or a wrong one is sent, then 401 JSON with WWW-Authenticate, even from loopback', async () => {
    const wrong: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of wrong) {
      const reply = await guarded.http.get('/metrics', { headers });
      expect(reply.status).toBe(401);
      expect(reply.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(reply.body).toEqual({ detail: 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>" to read /metrics.' });
    }
  });

  it('when the token is sent, then the metrics are served, also to another address', async () => {
    expect((await guarded.http.get('/metrics', { token: TOKEN })).status).toBe(200);
    if (outsideAddress !== undefined) {
      const port = new URL(guarded.baseUrl).port;
      const reply = await httpClient(`http://${outsideAddress}:${port}`).get('/metrics', { token: TOKEN });
      expect(reply.status).toBe(200);
      expect(reply.text).toContain('boxoffice_holds_total');
    }
  });
});
