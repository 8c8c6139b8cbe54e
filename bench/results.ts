/**
 * A bench run's results as data: written to bench/results/<date>-<time>.json
 * (or baseline-<commit>.json for a run against another checkout), and read
 * back by bench/report.ts to generate docs/benchmark-results.md.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SeatRows } from './checks.ts';
import type { LoadResult } from './load.ts';
import type { ScenarioId } from './options.ts';

export const RESULTS_DIR = path.join(import.meta.dirname, 'results');

/** A figure over the measured rounds: their mean, lowest and highest. */
export type Spread = { mean: number; min: number; max: number };

export function spread(values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) {
    return { mean: Number.NaN, min: Number.NaN, max: Number.NaN };
  }
  return { mean: finite.reduce((a, b) => a + b, 0) / finite.length, min: Math.min(...finite), max: Math.max(...finite) };
}

/** What one side (HTTP, or a PostgreSQL-alone script) of a scenario measured over its rounds. */
export type Figures = {
  /** What ran: the wrk or pgbench script. */
  script: string;
  rate: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  cores: { generator: Spread; server?: Spread; postgres: Spread };
  /** Every measured run, as the generator reported it, with the rows it wrote (checks.ts). */
  rounds: Round[];
};

export type Round = LoadResult & { rows?: SeatRows };

export function figures(script: string, rounds: readonly Round[]): Figures {
  const servers = rounds.map((r) => r.cores.server).filter((cores) => cores !== undefined);
  return {
    script,
    rate: spread(rounds.map((r) => r.perSecond)),
    p50Ms: spread(rounds.map((r) => r.p50Ms)),
    p99Ms: spread(rounds.map((r) => r.p99Ms)),
    cores: {
      generator: spread(rounds.map((r) => r.cores.generator)),
      ...(servers.length > 0 ? { server: spread(servers) } : {}),
      postgres: spread(rounds.map((r) => r.cores.postgres)),
    },
    rounds: [...rounds],
  };
}

export type Side = 'http' | 'pg' | 'pgDesign' | 'httpGzip';

export type ScenarioResult = {
  id: ScenarioId;
  title: string;
  sides: Partial<Record<Side, Figures>>;
  /** Share of answers that were 409 (hot seat), per side. */
  conflictShare?: Partial<Record<Side, number>>;
  /** Sides left out, and why. */
  skipped: string[];
};

/** Over the changes every viewer got: the median and 99th percentile time to the last viewer (ms). */
export type Latency = { p50: number; p99: number; changes: number };

export type SseResult = {
  viewers: number;
  connectSeconds: number;
  serverProcesses: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** Per change: from the hold's HTTP answer (the commit is done) to the last viewer's event. */
  toLastMs: Latency;
  /** …and from sending the hold. */
  toLastFromSentMs: Latency;
  missed: number;
  /** CPU of the bench process, which parses every viewer's events, while the changes went out (cores). */
  viewerCores: number;
  staleness?: { viewers: number; serverProcesses: number; toLastMs: Latency; toLastFromSentMs: Latency; missed: number };
  skipped?: string;
};

export type WorkersResult = {
  /** Length of each run. */
  seconds: number;
  /** WEB_CONCURRENCY=1 and =2: processes seen, and figures per scenario. */
  one: { processes: number; hold: Figures; layout500: Figures };
  two: { processes: number; hold: Figures; layout500: Figures };
};

export type Results = {
  format: 1;
  startedAt: string;
  durationSeconds: number;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; postgres: string; pgbench: string; wrk: string };
  /** `baseline`: the checkout measured is another one (--server-dir), recorded to compare later runs with. */
  server: { dir: string; commit: string; baseline: boolean; workers: number | null; processes: number };
  options: { seconds: number; connections: number; viewers: number; only: string[]; rounds: number };
  scenarios: ScenarioResult[];
  sse?: SseResult;
  workers?: WorkersResult;
  checks: { passed: boolean; lines: string[] };
};

function stamp(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}-${two(date.getHours())}${two(date.getMinutes())}`;
}

/** Writes the results; a baseline run (another checkout) is named after that checkout's commit. */
export async function saveResults(results: Results, baseline: boolean): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const name = baseline ? `baseline-${results.server.commit.slice(0, 7)}.json` : `${stamp(new Date(results.startedAt))}.json`;
  const file = path.join(RESULTS_DIR, name);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/** The newest results file whose name matches (dated names sort by time), or undefined. */
export async function newestResults(kind: 'run' | 'baseline'): Promise<{ file: string; results: Results } | undefined> {
  const names = await readdir(RESULTS_DIR).catch(() => [] as string[]);
  const pattern = kind === 'baseline' ? /^baseline-.+\.json$/ : /^\d{4}-\d{2}-\d{2}-\d{4}\.json$/;
  const candidates = names.filter((name) => pattern.test(name)).sort();
  if (kind === 'baseline') {
    // Baselines are named by commit, not time: the newest by its own startedAt.
    const loaded = await Promise.all(candidates.map(async (name) => ({ file: path.join(RESULTS_DIR, name), results: await load(path.join(RESULTS_DIR, name)) })));
    return loaded.sort((a, b) => a.results.startedAt.localeCompare(b.results.startedAt)).at(-1);
  }
  const newest = candidates.at(-1);
  return newest === undefined ? undefined : { file: path.join(RESULTS_DIR, newest), results: await load(path.join(RESULTS_DIR, newest)) };
}

async function load(file: string): Promise<Results> {
  return JSON.parse(await readFile(file, 'utf8')) as Results;
}
