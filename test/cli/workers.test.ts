import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/shared/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../setup/database.ts';
import { bookingRows, createShow, createUser, showSeatRows } from '../setup/factories.ts';
import { httpClient, type HttpClient } from '../setup/http.ts';

/**
 * `boxoffice start` with WEB_CONCURRENCY=2: a primary (database, sweeper)
 * that forks two workers serving the one port (src/main.ts).
 */
const root = path.resolve(import.meta.dirname, '../..');
let database: TestDatabase;
const started: ChildProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  // A failed test must not leave processes behind: the primaries this file started, and their workers.
  for (const child of started) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const workers = childrenOf(child.pid);
      child.kill('SIGKILL');
      workers.forEach((pid) => killIfAlive(pid));
    }
  }
  await database.drop();
});

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killIfAlive(pid: number): void {
  if (pidIsAlive(pid)) {
    process.kill(pid, 'SIGKILL');
  }
}

/** The pids whose parent is `pid` (`ps --ppid`), ascending. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0)
      .sort((a, b) => a - b);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };
type Primary = {
  pid: number;
  http: HttpClient;
  output(): string;
  /** SIGTERM to the primary alone; resolves with its exit and how long it took. */
  terminate(): Promise<Exit & { ms: number }>;
};

async function startPrimary(): Promise<Primary> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATA_DIR', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'NODE_OPTIONS']) {
    delete env[name];
  }
  const child = spawn(process.execPath, [path.join(root, 'bin/boxoffice.js'), 'start'], {
    cwd: root,
    env: {
      ...env,
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      WEB_CONCURRENCY: '2',
      RATE_LIMITS: 'off',
      SWEEP_INTERVAL_SECONDS: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const primary: Primary = {
    pid: child.pid ?? 0,
    http: httpClient(`http://127.0.0.1:${port}`, new Agent({ keepAlive: false })),
    output: () => output,
    terminate: async () => {
      const signalled = Date.now();
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<Exit>((resolve) => {
        timer = setTimeout(() => resolve({ code: null, signal: null }), 20_000);
      });
      const exit = await Promise.race([exited, limit]);
      clearTimeout(timer);
      return { ...exit, ms: Date.now() - signalled };
    },
  };
  const deadline = Date.now() + 60_000;
  // Ready once both workers listen: the primary logs that line only then.
  while (!output.includes('worker processes')) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`boxoffice start exited early: ${output}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`boxoffice start with 2 workers did not come up within 60 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return primary;
}

const health = (primary: Primary) =>
  primary.http.get('/healthz').then(
    (reply) => reply.status,
    () => 0,
  );

describe('boxoffice start with WEB_CONCURRENCY=2', { timeout: 120_000 }, () => {
  it('when started, then it serves through 2 worker processes; SIGTERM to the primary exits 0 within 10 s with no child left', async () => {
    const show = await createShow(database.db, { rows: 1, seatsPerRow: 3 });
    const user = await createUser(database.db);
    const primary = await startPrimary();

    const line = primary
      .output()
      .split('\n')
      .find((l) => l.includes('worker processes'));
    expect(line).toMatch(/Boxoffice is running at http:\/\/127\.0\.0\.1:\d+\/ .*, 2 worker processes/);
    const workers = childrenOf(primary.pid);
    expect(workers).toHaveLength(2);
    expect(new Set(workers).size).toBe(2);
    expect(workers).not.toContain(primary.pid);

    expect(await health(primary)).toBe(200);
    const [seatId] = show.seatIds as [number];
    const held = await primary.http.post('/api/hold-seat/', { show_id: show.showId, seat_id: seatId }, { token: user.token });
    expect(held.status).toBe(200);
    const booked = await primary.http.post('/api/book-seat/', { show_id: show.showId, seat_id: seatId }, { token: user.token });
    expect(booked.status).toBe(201);
    expect(await bookingRows(database.db, show.showId)).toEqual([{ id: booked.body.booking_id, seat_id: seatId, user_id: user.id }]);
    expect((await showSeatRows(database.db, show.showId))[0]).toMatchObject({ status: 'booked', locked_by_id: null });
    // Several requests over fresh connections: every one is answered, whichever worker takes it.
    const statuses = await Promise.all(Array.from({ length: 10 }, () => health(primary)));
    expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));

    const exit = await primary.terminate();
    expect(exit, primary.output()).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThanOrEqual(10_000);
    expect(workers.filter(pidIsAlive)).toEqual([]);
    expect(await health(primary)).toBe(0);
  });

  it('when a worker is killed with SIGKILL, then the primary starts another and the service keeps answering', async () => {
    const show = await createShow(database.db, { rows: 1, seatsPerRow: 3 });
    const user = await createUser(database.db);
    const primary = await startPrimary();
    const [victim, survivor] = childrenOf(primary.pid) as [number, number];
    expect(childrenOf(primary.pid)).toHaveLength(2);

    process.kill(victim, 'SIGKILL');
    // The survivor answers meanwhile; the primary forks a replacement.
    await expect.poll(() => pidIsAlive(victim), { timeout: 5_000, interval: 20 }).toBe(false);
    expect(await health(primary)).toBe(200);
    await expect
      .poll(() => childrenOf(primary.pid).filter((pid) => pid !== survivor && pid !== victim).length, { timeout: 30_000, interval: 100 })
      .toBe(1);
    const after = childrenOf(primary.pid);
    expect(after).toHaveLength(2);
    expect(after).toContain(survivor);
    expect(after).not.toContain(victim);
    expect(primary.output()).toContain('a worker process died; starting another');

    // The replacement serves too: with only it and the survivor, every request over a fresh connection is answered.
    await expect.poll(() => health(primary), { timeout: 30_000, interval: 100 }).toBe(200);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => health(primary)));
    expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
    const booked = await primary.http.post('/api/book-seat/', { show_id: show.showId, seat_id: show.seatIds[1] }, { token: user.token });
    expect(booked.status).toBe(201);
    expect(await bookingRows(database.db, show.showId)).toEqual([{ id: booked.body.booking_id, seat_id: show.seatIds[1], user_id: user.id }]);

    expect(await primary.terminate(), primary.output()).toMatchObject({ code: 0, signal: null });
    expect(after.filter(pidIsAlive)).toEqual([]);
  });
});
