import { request as httpRequest, type ClientRequest } from 'node:http';
import net from 'node:net';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import type { StreamEvent } from '../setup/event-stream.ts';
import { createShow, createUser, type TestUser } from '../setup/factories.ts';
import { waitForListeners } from '../setup/listener.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';

/**
 * A viewer that, unlike test/setup/event-stream.ts, can come from another
 * loopback address (a different client to the per-address cap), reads an
 * error answer's JSON, and knows when the server ended the stream.
 */
type Viewer = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: StreamEvent[];
  raw(): string;
  /** Parsed JSON of a non-stream answer, once it has ended. */
  body(): Promise<any>;
  next(match: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  /** Resolves with performance.now() when the server ends the response. */
  ended: Promise<number>;
  close(): void;
};

const viewers: Viewer[] = [];

function openViewer(baseUrl: string, showId: number, localAddress = '127.0.0.1'): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    const waiters = new Set<() => void>();
    let raw = '';
    const parser = createParser({
      onEvent: (message) => {
        events.push({ event: message.event ?? 'message', id: message.id, data: JSON.parse(message.data), receivedAt: performance.now() });
        waiters.forEach((wake) => wake());
      },
    });
    const req: ClientRequest = httpRequest(new URL(`/api/shows/${showId}/events`, baseUrl), { headers: { accept: 'text/event-stream' }, localAddress, agent: false }, (res) => {
      res.setEncoding('utf8');
      const ended = new Promise<number>((done) => {
        res.on('end', () => done(performance.now()));
        res.on('close', () => done(performance.now()));
      });
      res.on('data', (chunk: string) => {
        raw += chunk;
        parser.feed(chunk);
      });
      res.on('error', () => undefined);
      const viewer: Viewer = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        raw: () => raw,
        body: async () => {
          await ended;
          return JSON.parse(raw);
        },
        next: (match, timeoutMs = 5_000) =>
          new Promise((found, fail) => {
            const wake = (): void => {
              const hit = events.find(match);
              if (hit !== undefined) {
                waiters.delete(wake);
                clearTimeout(timer);
                found(hit);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(wake);
              fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => [e.event, e.data]))}`));
            }, timeoutMs);
            waiters.add(wake);
            wake();
          }),
        ended,
        close: () => {
          req.destroy();
          res.destroy();
        },
      };
      viewers.push(viewer);
      resolve(viewer);
    });
    req.on('error', reject);
    req.end();
  });
}

async function watch(baseUrl: string, showId: number, localAddress?: string): Promise<Viewer> {
  const viewer = await openViewer(baseUrl, showId, localAddress);
  expect(viewer.status).toBe(200);
  await viewer.next((e) => e.event === 'snapshot');
  return viewer;
}

const isSnapshot = (e: StreamEvent) => e.event === 'snapshot';
const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, fail) => setTimeout(() => fail(new Error(`${what} took more than ${ms} ms`)), ms))]);

afterAll(() => {
  viewers.forEach((viewer) => viewer.close());
});

describe('event stream caps', () => {
  // Each test has its own app, so no stream of another test is still counted.
  const apps: TestApp[] = [];
  const capped = async (): Promise<TestApp> => {
    const app = await startTestApp({ sseMaxStreamsPerClient: 2, sseMaxStreams: 3 });
    apps.push(app);
    return app;
  };
  afterAll(async () => {
    viewers.forEach((viewer) => viewer.close());
    await Promise.all(apps.map((app) => app.close()));
  });

  it('when one address opens more streams than its cap, then 429 JSON; once one of its streams closes, it may open another', async () => {
    const app = await capped();
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const first = await watch(app.baseUrl, show.showId);
    await watch(app.baseUrl, show.showId);
    const refused = await openViewer(app.baseUrl, show.showId);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(await refused.body()).toEqual({ detail: 'Too many event streams are open from your address; close one before opening another.' });
    // Another address is another client.
    await watch(app.baseUrl, show.showId, '127.0.0.2');
    first.close();
    await expect.poll(async () => (await openViewer(app.baseUrl, show.showId)).status, { timeout: 2_000 }).toBe(200);
  });

  it('when the process serves as many streams as its cap, then a new client gets 503 JSON with Retry-After; once one closes, it is served', async () => {
    const app = await capped();
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const first = await watch(app.baseUrl, show.showId, '127.0.0.3');
    await watch(app.baseUrl, show.showId, '127.0.0.3');
    await watch(app.baseUrl, show.showId, '127.0.0.4');
    const refused = await openViewer(app.baseUrl, show.showId, '127.0.0.5');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(await refused.body()).toEqual({ detail: 'This server is serving as many event streams as it can; try again in a few seconds.' });
    first.close();
    await expect.poll(async () => (await openViewer(app.baseUrl, show.showId, '127.0.0.5')).status, { timeout: 2_000 }).toBe(200);
  });

  it('when a stream is refused (unknown show), then it is not counted', async () => {
    const app = await capped();
    for (let i = 0; i < 5; i++) {
      const missing = await openViewer(app.baseUrl, 999_999);
      expect(missing.status).toBe(404);
      expect(await missing.body()).toEqual({ detail: 'Show not found.' });
    }
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    await watch(app.baseUrl, show.showId);
    await watch(app.baseUrl, show.showId);
  });
});

describe('event stream endings', () => {
  let app: TestApp;
  let staff: TestUser;
  let shortLived: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    staff = await createUser(app.db, { staff: true });
    shortLived = await startTestApp({ sseMaxLifetimeSeconds: 1, sseMaxStreamsPerClient: 4 });
  });
  afterAll(async () => {
    viewers.forEach((viewer) => viewer.close());
    await Promise.all([app.close(), shortLived.close()]);
  });

  it('when a stream reaches its maximum lifetime, then the server ends it with a retry hint, at jittered times, and it no longer counts', async () => {
    const app = shortLived;
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const openedAt = performance.now();
    const streams = await Promise.all(Array.from({ length: 4 }, () => watch(app.baseUrl, show.showId)));
    const endedAt = await within(Promise.all(streams.map((s) => s.ended)), 3_000, 'ending streams at their 1 s lifetime');
    for (const [i, stream] of streams.entries()) {
      expect(endedAt[i]! - openedAt).toBeGreaterThan(700);
      expect(stream.raw()).toMatch(/retry: \d+\n\n$/);
    }
    // All four ended, so this address may open four again.
    await expect.poll(async () => (await openViewer(app.baseUrl, show.showId)).status, { timeout: 1_000 }).toBe(200);
    const again = await Promise.all(Array.from({ length: 3 }, () => openViewer(app.baseUrl, show.showId)));
    expect(again.map((s) => s.status)).toEqual([200, 200, 200]);
  });

  it('when staff cancel the showtime, then viewers hear a last show event and the stream ends', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const stream = await watch(app.baseUrl, show.showId);
    expect((await app.http.post(`/api/admin/showtimes/${show.showId}/cancel`, undefined, { token: staff.token })).status).toBe(200);
    await within(stream.ended, 500, 'ending the stream of a cancelled show');
    expect(stream.events.at(-1)).toMatchObject({ event: 'show', data: { show_id: show.showId, status: 'cancelled' } });
  });

  it('when staff delete the showtime, then viewers hear a last show event and the stream ends', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const stream = await watch(app.baseUrl, show.showId);
    expect((await app.http.send('DELETE', `/api/admin/showtimes/${show.showId}`, undefined, { token: staff.token })).status).toBe(204);
    await within(stream.ended, 500, 'ending the stream of a deleted show');
    expect(stream.events.at(-1)).toMatchObject({ event: 'show', data: { show_id: show.showId, status: 'deleted' } });
  });
});

describe('HEAD /api/shows/{show_id}/events', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('when a client sends HEAD, then it is answered at once like a GET without a body (404 for an unknown show)', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const head = await within(app.http.send('HEAD', `/api/shows/${show.showId}/events`, undefined, { headers: { accept: 'text/event-stream' } }), 2_000, 'HEAD on the events URL');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(head.text).toBe('');
    const missing = await within(app.http.send('HEAD', '/api/shows/999999/events'), 2_000, 'HEAD on an unknown show');
    expect(missing.status).toBe(404);
  });
});

/**
 * A TCP proxy to PostgreSQL that can stop forwarding the notification
 * listener's connections (known by their application_name in the startup
 * message) without closing them: to both ends they look alive, and nothing
 * comes through, as with a peer lost behind a NAT or a partition.
 */
async function startFreezableProxy(target: URL): Promise<{ port: number; freezeListeners(): number; close(): Promise<void> }> {
  const pairs = new Set<{ listener: boolean; frozen: boolean; client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    const pair = { listener: false, frozen: false, client, upstream };
    let first = true;
    pairs.add(pair);
    client.on('data', (chunk) => {
      if (first) {
        first = false;
        pair.listener = chunk.includes('-listener\0');
      }
      if (!pair.frozen) {
        upstream.write(chunk);
      }
    });
    upstream.on('data', (chunk) => {
      if (!pair.frozen) {
        client.write(chunk);
      }
    });
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop).on('error', drop);
    upstream.on('close', drop).on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    freezeListeners: () => {
      let frozen = 0;
      for (const pair of pairs) {
        if (pair.listener) {
          pair.frozen = true;
          frozen++;
        }
      }
      return frozen;
    },
    close: async () => {
      pairs.forEach((pair) => {
        pair.client.destroy();
        pair.upstream.destroy();
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a half-open LISTEN connection', () => {
  let app: TestApp;
  let proxy: Awaited<ReturnType<typeof startFreezableProxy>>;
  let server: ServerProcess;
  beforeAll(async () => {
    app = await startTestApp();
    proxy = await startFreezableProxy(new URL(app.databaseUrl));
    const viaProxy = new URL(app.databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    server = await startServerProcess(viaProxy.toString(), { LISTENER_PING_SECONDS: '1' });
  });
  afterAll(async () => {
    viewers.forEach((viewer) => viewer.close());
    await server?.stop();
    await proxy?.close();
    await app?.close();
  });

  it('when the listening connection stops answering without closing, then it is replaced and viewers get the changes they missed within seconds', async () => {
    await waitForListeners(app.db, 2); // the test app's and the server process's
    const user = await createUser(app.db);
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const stream = await watch(server.baseUrl, show.showId);
    const seatId = show.seatIds[0]!;
    expect(proxy.freezeListeners()).toBe(1);
    const heldAt = performance.now();
    // Held through the other app: only the (frozen) notification could tell the server process.
    expect((await app.http.post('/api/hold-seat/', { show_id: show.showId, seat_id: seatId }, { token: user.token })).status).toBe(200);
    const heard = await stream.next(
      (e) => (e.event === 'seat' && e.data.seat_id === seatId && e.data.status === 'held') || (isSnapshot(e) && e.data.seats.some((s: any) => s.seat_id === seatId && s.status === 'held')),
      8_000,
    );
    expect(heard.receivedAt - heldAt).toBeLessThan(8_000);
    // The replacement listens: a later change arrives as an event again.
    expect((await app.http.post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[1] }, { token: user.token })).status).toBe(200);
    await stream.next((e) => e.event === 'seat' && e.data.seat_id === show.seatIds[1] && e.data.status === 'held', 2_000);
  });
});
