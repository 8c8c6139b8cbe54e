/**
 * PostgreSQL alone, driven by Debian's `pgbench` with a script of
 * bench/pgbench/: prepared statements, one client per bench connection,
 * two threads, no vacuum, every transaction's latency logged to a temp dir.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { cpuWhileRunning, percentile, type LoadResult, type Watched } from './load.ts';
import { checkInterrupted, interrupted, startChild } from './processes.ts';

export const PGBENCH = '/usr/bin/pgbench';
export const PGBENCH_MISSING = 'pgbench not found: apt-get install -y postgresql-client';
const PGBENCH_THREADS = 2;
export const PGBENCH_SCRIPTS = path.join(import.meta.dirname, 'pgbench');

export function havePgbench(): boolean {
  return existsSync(PGBENCH);
}

/** libpq's environment for a postgres:// URL (pgbench takes no URL for its -h/-p/-U). */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  return {
    ...process.env,
    PGHOST: parsed.hostname,
    PGPORT: parsed.port || '5432',
    PGUSER: decodeURIComponent(parsed.username),
    PGPASSWORD: decodeURIComponent(parsed.password),
    PGDATABASE: parsed.pathname.slice(1),
    PGAPPNAME: 'boxoffice-bench-pgbench',
    // No NOTIFY inside any PostgreSQL-alone transaction: the design's transaction announces nothing, and the
    // seat functions switch it off themselves (the service publishes after commit, outside the transaction).
    PGOPTIONS: '-c boxoffice.announce=off',
  };
}

export type PgbenchRun = {
  url: string;
  /** A file name in bench/pgbench/. */
  script: string;
  /** -D name=value for each; `n` (the per-client counter) starts at 0. */
  variables: Record<string, number>;
  clients: number;
  seconds: number;
  /** A fresh directory for the per-transaction logs. */
  logDir: string;
  watched: Watched;
  /**
   * For a script that writes fresh seats: the seat index of client c's n-th
   * transaction (n from 0), as the script computes it; the highest one is
   * reported from the transaction log.
   */
  seatIndex?: (client: number, n: number) => number;
};

function summaryNumber(output: string, pattern: RegExp, what: string): number {
  const match = pattern.exec(output)?.[1];
  if (match === undefined) {
    throw new Error(`pgbench printed no ${what}: ${output.trim().slice(-1_500)}`);
  }
  return Number(match);
}

/**
 * The per-transaction log (one line per transaction: client id, its
 * transaction number from 1, latency in µs, …): every latency, sorted, and
 * the highest seat index a transaction used.
 */
async function readLog(logDir: string, seatIndex: PgbenchRun['seatIndex']): Promise<{ latencies: Float64Array; highestIndex: number | undefined }> {
  const latencies: number[] = [];
  let highestIndex: number | undefined;
  for (const file of await readdir(logDir)) {
    for (const line of (await readFile(path.join(logDir, file), 'utf8')).split('\n')) {
      const [client, transaction, latency] = line.split(' ').map(Number);
      if (client === undefined || transaction === undefined || latency === undefined || !Number.isFinite(latency)) {
        continue;
      }
      latencies.push(latency);
      if (seatIndex !== undefined) {
        highestIndex = Math.max(highestIndex ?? -1, seatIndex(client, transaction - 1));
      }
    }
  }
  return { latencies: Float64Array.from(latencies).sort(), highestIndex };
}

export async function runPgbench(run: PgbenchRun): Promise<LoadResult> {
  const variables = Object.entries({ n: 0, clients: run.clients, ...run.variables }).flatMap(([name, value]) => ['-D', `${name}=${value}`]);
  const args = [
    '--no-vacuum',
    '--protocol=prepared',
    `--client=${run.clients}`,
    `--jobs=${PGBENCH_THREADS}`,
    `--time=${run.seconds}`,
    `--file=${path.join(PGBENCH_SCRIPTS, run.script)}`,
    ...variables,
    '--log',
    `--log-prefix=${path.join(run.logDir, 'tx')}`,
  ];
  const pgbench = startChild(PGBENCH, args, { env: libpqEnv(run.url) });
  const stop = (): void => {
    pgbench.process.kill('SIGTERM');
  };
  interrupted.signal.addEventListener('abort', stop, { once: true });
  const { exit, cores } = await cpuWhileRunning(pgbench, run.watched);
  interrupted.signal.removeEventListener('abort', stop);
  checkInterrupted();
  const output = pgbench.output();
  if (exit !== 0) {
    throw new Error(`pgbench ${run.script} exited with ${exit}: ${output.trim().slice(-1_500)}`);
  }
  const transactions = summaryNumber(output, /number of transactions actually processed: (\d+)/, 'transaction count');
  const failed = /number of failed transactions: (\d+)/.exec(output)?.[1];
  // With no transaction done (the clients were still connecting at the deadline), pgbench prints no rate.
  const perSecond = transactions === 0 ? 0 : summaryNumber(output, /tps = ([\d.]+) \(without initial connection time\)/, 'tps');
  const { latencies, highestIndex } = await readLog(run.logDir, run.seatIndex);
  return {
    requests: transactions,
    seconds: transactions === 0 ? run.seconds : transactions / perSecond,
    perSecond,
    p50Ms: percentile(latencies, 0.5) / 1000,
    p99Ms: percentile(latencies, 0.99) / 1000,
    tally: { failed: Number(failed ?? 0) },
    ...(highestIndex === undefined ? {} : { highestIndex }),
    cores,
  };
}
