import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, createPool, type Database } from '../../src/db/database.ts';
import { expectInvariantsHold } from '../setup/cli.ts';
import { openEventStream } from '../setup/event-stream.ts';
import { bookingRows, createShow, createUser, type TestShow, type TestUser } from '../setup/factories.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';

/**
 * SPEC §8 for the embedded default: `boxoffice start` with no DATABASE_URL
 * owns its PostgreSQL, and when that server goes away under it (stopped
 * fast, immediate, or killed outright) the process stays up, answers within
 * 5 s, starts its database again on the same port and data, and books again
 * within 5 s; the seat-event listener reconnects and viewers get a fresh
 * snapshot. (crash-and-restart.test.ts covers a DATABASE_URL the test stops.)
 */
let dataDir: string;
let server: ServerProcess;
let url: string;
let db: Database;
let show: TestShow;
const users: TestUser[] = [];

const clusterDir = () => path.join(dataDir, 'postgres');
/** postmaster.pid: the pid on line 1, the port on line 4. */
const postmaster = () => readFileSync(path.join(clusterDir(), 'postmaster.pid'), 'utf8').split('\n');
const postmasterPid = () => Number(postmaster()[0]);
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-embedded-restart-'));
  await chmod(dataDir, 0o755); // as root, the postgres user must pass through
  server = await startServerProcess('', { DATA_DIR: dataDir });
  const { owner } = JSON.parse(readFileSync(path.join(dataDir, 'postgres-credentials.json'), 'utf8')) as { owner: string };
  url = `postgres://boxoffice:${encodeURIComponent(owner)}@127.0.0.1:${Number(postmaster()[3])}/boxoffice`;
  db = createDatabase(createPool(url, { max: 2 }));
  show = await createShow(db, { rows: 1, seatsPerRow: 4 });
  for (let i = 0; i < 3; i++) {
    users.push(await createUser(db));
  }
}, 120_000);

afterAll(async () => {
  const pid = server === undefined ? undefined : postmasterPid();
  await db?.destroy();
  expect(await server?.stop()).toBe(0);
  // The server stops its database last, and nobody starts it again.
  if (pid !== undefined) {
    for (let i = 0; i < 100 && isAlive(pid); i++) {
      await sleep(50);
    }
    expect(isAlive(pid)).toBe(false);
  }
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('the embedded PostgreSQL goes away under the server', () => {
  it.each([
    ['stopped fast (pg_ctl stop -m fast)', 'SIGINT', 0],
    ['stopped in immediate mode (pg_ctl stop -m immediate)', 'SIGQUIT', 1],
    ['killed outright (SIGKILL, as the OOM killer does)', 'SIGKILL', 2],
  ] as const)('when it is %s, then the process stays up, answers within 5 s, restarts it and books within 5 s', async (_how, signal, seat) => {
    const viewer = await openEventStream(server.baseUrl, `/api/shows/${show.showId}/events`);
    try {
      await viewer.next((event) => event.event === 'snapshot', 5_000);
      const before = postmasterPid();
      process.kill(before, signal);
      for (let i = 0; i < 200 && isAlive(before); i++) {
        await sleep(25);
      }
      const killedAt = performance.now();

      // While it is down (or already back: the server restarts it after 0.5 s), every answer is quick and JSON.
      const started = performance.now();
      const health = await server.http.get('/healthz');
      expect(performance.now() - started).toBeLessThan(5_000);
      expect([200, 503]).toContain(health.status);
      if (health.status === 503) {
        expect(health.headers['retry-after']).toBeDefined();
        expect(typeof health.body.detail).toBe('string');
      }

      const user = users[seat]!;
      const book = () => server.http.post('/api/book-seat/', { seat_id: show.seatIds[seat], show_id: show.showId }, { token: user.token });
      let booked = await book();
      while (booked.status === 503 && performance.now() - killedAt < 10_000) {
        await sleep(100);
        booked = await book();
      }
      expect(booked.status, server.output()).toBe(201);
      expect(performance.now() - killedAt).toBeLessThan(5_000);
      expect(server.exitCode(), server.output()).toBeNull();
      expect(postmasterPid()).not.toBe(before);
      expect(server.output()).toMatch(/the embedded PostgreSQL exited .*starting it again/);

      // The listener reconnected: the viewer got a fresh snapshot, and has the booking (in it, or as an event after it).
      const seatId = show.seatIds[seat];
      await viewer.next((event) => event.event === 'snapshot' && event.receivedAt > killedAt, 10_000);
      await viewer.next(
        (event) =>
          event.receivedAt > killedAt &&
          ((event.event === 'seat' && event.data.seat_id === seatId && event.data.status === 'booked') ||
            (event.event === 'snapshot' && event.data.seats.some((s: { seat_id: number; status: string }) => s.seat_id === seatId && s.status === 'booked'))),
        10_000,
      );
      expect((await bookingRows(db, show.showId)).filter((row) => row.seat_id === show.seatIds[seat])).toEqual([
        { id: booked.body.booking_id, seat_id: show.seatIds[seat], user_id: user.id },
      ]);
      await expectInvariantsHold(url);
    } finally {
      viewer.close();
    }
  }, 60_000);
});
