/**
 * A real `boxoffice start` as a child process (of this checkout, or of the
 * one given with --server-dir), configured for measuring: no rate limits, no
 * sweeper, quiet logs, a seat limit the bench never reaches and holds that
 * outlive the bench.
 */
import path from 'node:path';
import { freePort } from '../src/shared/free-port.ts';
import { checkInterrupted, sleep, startChild, stopChild, treeSize, type Teardown } from './processes.ts';

/** The server runs with these; the PostgreSQL-alone scripts pass the same values to the seat functions. */
export const HOLD_TTL_SECONDS = 3_600;
export const MAX_SEATS_PER_USER = 1_000;

export type Server = {
  baseUrl: string;
  port: number;
  /** The process the bench started (the primary, when there are workers). */
  pid: number;
  /** WEB_CONCURRENCY as given (undefined: the server's default). */
  workers: number | undefined;
  /** Processes serving: the primary and its workers, as /proc counts them once healthy. */
  processes: number;
  stop(): Promise<void>;
};

async function waitUntilHealthy(baseUrl: string, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    checkInterrupted();
    if (exited()) {
      throw new Error(`the server exited: ${output().trim().slice(-2_000)}`);
    }
    const healthy = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`the server did not become healthy within 60 s: ${output().trim().slice(-2_000)}`);
    }
    await sleep(100);
  }
}

/**
 * Worker processes listen after the primary answers /healthz through the
 * first of them: wait until the tree stops growing, so a run never measures
 * a server that is still forking.
 */
async function settledTreeSize(pid: number): Promise<number> {
  let size = await treeSize(pid);
  for (let stable = 0; stable < 3; ) {
    await sleep(200);
    const now = await treeSize(pid);
    stable = now === size ? stable + 1 : 0;
    size = now;
  }
  return size;
}

export async function startServer(options: { serverDir: string; databaseUrl: string; workers: number | undefined; teardown: Teardown }): Promise<Server> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: options.databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    RATE_LIMITS: 'off',
    LOG_LEVEL: 'warn',
    SWEEP_INTERVAL_SECONDS: '0',
    HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS),
    MAX_SEATS_PER_USER: String(MAX_SEATS_PER_USER),
    // Every viewer of the SSE bench comes from 127.0.0.1: the per-address cap would refuse all but 20.
    SSE_MAX_STREAMS_PER_CLIENT: '1000000',
  };
  delete env['WEB_CONCURRENCY'];
  if (options.workers !== undefined) {
    env['WEB_CONCURRENCY'] = String(options.workers);
  }
  // BENCH_CPU_PROF_DIR: the server writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
  const profile = process.env['BENCH_CPU_PROF_DIR'];
  const flags = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  const child = startChild(process.execPath, [...flags, path.join(options.serverDir, 'bin/boxoffice.js'), 'start'], { cwd: options.serverDir, env });
  const stop = options.teardown.add(`server on port ${port}`, () => stopChild(child));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(baseUrl, () => child.process.exitCode !== null || child.process.signalCode !== null, child.output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, port, pid: child.pid, workers: options.workers, processes: await settledTreeSize(child.pid), stop };
}
