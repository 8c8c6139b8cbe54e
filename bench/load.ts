/**
 * What one run of a load generator (wrk or pgbench) measured, in one shape,
 * and the CPU the generator, the server and PostgreSQL used meanwhile.
 */
import { startCpuMeter, type Child } from './processes.ts';

export type Cores = {
  /** wrk or pgbench. */
  generator: number;
  /** The server's process tree; undefined when none is running. */
  server: number | undefined;
  /** The postmaster and all its backends. */
  postgres: number;
};

export type LoadResult = {
  /** Answers (wrk) or transactions (pgbench) completed in the run. */
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * Counts the generator kept: wrk's Lua tallies ("status:200", "sent", …,
   * plus "errors:<kind>" for socket errors and non-2xx answers); pgbench's
   * "failed".
   */
  tally: Record<string, number>;
  /** The highest fresh-seat index the run used (runs that write fresh seats); at the run's capacity or above, it ran out. */
  highestIndex?: number;
  cores: Cores;
};

/** The processes whose CPU a run reports besides its generator's. */
export type Watched = { serverPid: number | undefined; postmasterPid: number };

export function percentile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN);
}

const SAMPLE_EVERY_MS = 200;

/**
 * Waits for the generator to exit, sampling CPU meanwhile: the generator's
 * own time is read from /proc while it lives (its last 200 ms at most are
 * missed), the server's and PostgreSQL's until it ended.
 */
export async function cpuWhileRunning(generator: Child, watched: Watched): Promise<{ exit: number | string; cores: Cores }> {
  const server = watched.serverPid ?? -1;
  const meter = await startCpuMeter([generator.pid, server, watched.postmasterPid]);
  const timer = setInterval(() => void meter.sample(), SAMPLE_EVERY_MS);
  const exit = await generator.exited;
  clearInterval(timer);
  const [generatorCores = 0, serverCores = 0, postgresCores = 0] = await meter.stop();
  return { exit, cores: { generator: generatorCores, server: watched.serverPid === undefined ? undefined : serverCores, postgres: postgresCores } };
}
