/**
 * How a scenario is measured: every side runs once to warm up, then the
 * sides take turns for ROUNDS rounds (HTTP, PG, HTTP, PG), so that whatever
 * else the machine does falls on both. A run that writes gets fresh
 * showtimes made for it beforehand, sized from the rates seen so far, and is
 * checked in SQL right after it ends.
 */
import { sql } from 'kysely';
import type { Database } from '../src/db/database.ts';
import { checkRun, countSeatRows, type SeatRange, type SeatRows } from './checks.ts';
import type { LoadResult } from './load.ts';
import { checkInterrupted } from './processes.ts';
import { figures, type ScenarioResult, type Side } from './results.ts';
import { count, type Bench, type Spec, type Target } from './scenarios.ts';

export const ROUNDS = 2;
/**
 * Warm-up runs: wrk connects at once; pgbench spends about a second of its
 * -T on opening 64 connections (SCRAM authentication), so its warm-up is
 * longer, or its rate would say little about the runs that follow.
 */
const WARMUP_SECONDS = { wrk: 1, pgbench: 3 } as const;
/** Fresh seats for a warm-up: room for this many writes per second. */
const WARMUP_WRITES_PER_SECOND = 5_000;
/**
 * A measured run gets room for a margin over the best rate its side managed
 * so far, and for at least MIN_WRITES_PER_SECOND: a run that outgrows its
 * seats would wrap around to seats already taken, whose quick refusals
 * inflate its rate (its check then fails, saying so). After a warm-up alone
 * the margin is wide (a short warm-up on a busy machine says little); after a
 * measured round a narrower one: on this shared machine one round has run
 * twice as fast as the one before it (1,237 then 2,405 req/s). Fresh
 * showtimes cost little next to a run that has to be thrown away.
 */
const SEAT_MARGIN = { afterWarmUp: 4, afterRound: 3 } as const;
const MIN_WRITES_PER_SECOND = 2_000;

/** A run's result, with the rows it wrote when it wrote (a conflict share is computed from them). */
type Run = { result: LoadResult; rows: SeatRows | undefined };

/** Fresh showtimes for a run of `target` with room for `requests` requests. */
async function freshRange(bench: Bench, target: Target, requests: number): Promise<SeatRange | undefined> {
  if (target.seatsPerRequest === 0) {
    return undefined;
  }
  const { hall500 } = bench.fixture;
  const multiple = target.showsMultiple ?? 1;
  const seats = requests * target.seatsPerRequest;
  const shows = Math.max(multiple, Math.ceil(seats / hall500.seats / multiple) * multiple);
  const firstShow = await bench.fixture.newShowtimes(shows);
  return { firstShow, shows, firstSeat: hall500.firstSeatId, seatsPerShow: hall500.seats, capacity: shows * hall500.seats };
}

/** Room for a measured run of `seconds` of a side whose best rate so far is `best`. */
const measuredRequests = (best: number, margin: number, seconds: number): number => Math.max(margin * best, MIN_WRITES_PER_SECOND) * seconds;

/** A warm-up run (checked like any other); resolves with its rate. */
async function warmUp(bench: Bench, title: string, label: string, target: Target): Promise<number> {
  const seconds = WARMUP_SECONDS[target.generator];
  const range = await freshRange(bench, target, WARMUP_WRITES_PER_SECOND * seconds);
  const run = await runTarget(bench, `${title}, ${label} (warm-up)`, target, range, seconds, 'warm-up');
  progress(bench, title, label, `warm-up: ${Math.round(run.result.perSecond)} req/s`);
  return run.result.perSecond;
}

function progress(bench: Bench, title: string, label: string, what: string): void {
  bench.log(`  ${title.padEnd(36)} ${label.padEnd(44)} ${what}`);
}

/**
 * One run of one side, then its checks (answers, and rows in SQL for a
 * write). A warm-up may complete nothing (pgbench still connecting on a busy
 * machine); a measured run must.
 */
async function runTarget(
  bench: Bench,
  name: string,
  target: Target,
  range: SeatRange | undefined,
  seconds: number,
  phase: 'warm-up' | 'measured' = 'measured',
): Promise<Run> {
  checkInterrupted();
  const result = await target.run(range, seconds);
  const problems = [...(result.requests === 0 && phase === 'measured' ? ['no request completed'] : []), ...target.answerProblems(result)].map((p) => `${name}: ${p}`);
  let rows: SeatRows | undefined;
  if (range !== undefined && target.expected !== undefined) {
    rows = await countSeatRows(bench.db, range, bench.fixture.users.map((u) => u.id));
    const check = checkRun(name, target.expected(result), rows, result.highestIndex, range.capacity);
    check.problems.unshift(...problems);
    bench.checks.push(check);
  } else {
    bench.checks.push({ answered: { holds: 0, bookings: 0 }, rows: { holds: 0, bookings: 0 }, problems });
  }
  return { result, rows };
}

/** Writes the dirty pages out, so every measured run starts from a checkpoint (and its full-page writes). */
async function checkpoint(db: Database): Promise<void> {
  await sql`CHECKPOINT`.execute(db);
}

/** The share of 409 answers: counted by wrk; for pgbench, every request whose seat it did not win. */
function conflictShare(side: Side, runs: readonly Run[]): number {
  const requests = runs.reduce((sum, run) => sum + run.result.requests, 0);
  const conflicts =
    side === 'http'
      ? runs.reduce((sum, run) => sum + count(run.result, 'status:409'), 0)
      : runs.reduce((sum, run) => sum + run.result.requests - (run.rows?.held ?? 0), 0);
  return requests === 0 ? Number.NaN : conflicts / requests;
}

function runnable(bench: Bench, targets: readonly Target[]): { targets: Target[]; skipped: string[] } {
  const reason = (target: Target): string | undefined => bench.unavailable.get(target.script.replace(/^pgbench /, ''));
  return {
    targets: targets.filter((target) => reason(target) === undefined),
    skipped: targets.flatMap((target) => {
      const why = reason(target);
      return why === undefined ? [] : [`${target.script}: ${why}`];
    }),
  };
}

export async function measureScenario(bench: Bench, spec: Spec): Promise<ScenarioResult> {
  const { targets, skipped } = runnable(bench, spec.targets);
  const { seconds } = bench.options;
  const best = new Map<Target, number>();
  const runs = new Map<Target, Run[]>();
  for (const target of targets.filter((t) => t.once !== true)) {
    best.set(target, await warmUp(bench, spec.title, target.script, target));
  }
  for (let round = 1; round <= ROUNDS; round++) {
    const inRound = targets.filter((t) => t.once !== true || round === 1);
    const ranges = new Map<Target, SeatRange | undefined>();
    for (const target of inRound) {
      const margin = round === 1 ? SEAT_MARGIN.afterWarmUp : SEAT_MARGIN.afterRound;
      ranges.set(target, await freshRange(bench, target, measuredRequests(best.get(target) ?? 0, margin, seconds)));
    }
    await checkpoint(bench.db);
    for (const target of inRound) {
      const length = target.once === true ? Math.max(2, Math.round(seconds / 2)) : seconds;
      const run = await runTarget(bench, `${spec.title}, ${target.script}, round ${round}`, target, ranges.get(target), length);
      best.set(target, Math.max(best.get(target) ?? 0, run.result.perSecond));
      runs.set(target, [...(runs.get(target) ?? []), run]);
      progress(bench, spec.title, target.script, `round ${round}: ${Math.round(run.result.perSecond)} req/s`);
    }
  }
  const result: ScenarioResult = { id: spec.id, title: spec.title, sides: {}, skipped };
  for (const [target, targetRuns] of runs) {
    result.sides[target.side] = figures(
      target.script,
      targetRuns.map((run) => (run.rows === undefined ? run.result : { ...run.result, rows: run.rows })),
    );
    if (spec.id === 'hot') {
      result.conflictShare = { ...result.conflictShare, [target.side]: conflictShare(target.side, targetRuns) };
    }
  }
  return result;
}

/**
 * The best rate each scenario's side reached in a measureOnce so far: a one-second warm-up of a
 * server that just started (workers forking, caches cold) says too little to size the run on.
 */
const bestOnce = new Map<string, number>();

/** One side of a scenario, once, on the current server: for the worker comparison. */
export async function measureOnce(bench: Bench, spec: Spec, side: Side, seconds: number, label: string): Promise<LoadResult> {
  const target = spec.targets.find((t) => t.side === side);
  if (target === undefined) {
    throw new Error(`${spec.id} has no ${side} side`);
  }
  const key = `${spec.id} ${side}`;
  const warmUpRate = Math.max(await warmUp(bench, spec.title, label, target), bestOnce.get(key) ?? 0);
  const range = await freshRange(bench, target, measuredRequests(warmUpRate, SEAT_MARGIN.afterWarmUp, seconds));
  await checkpoint(bench.db);
  const run = await runTarget(bench, `${spec.title}, ${label}`, target, range, seconds);
  progress(bench, spec.title, label, `${Math.round(run.result.perSecond)} req/s`);
  bestOnce.set(key, Math.max(bestOnce.get(key) ?? 0, run.result.perSecond));
  return run.result;
}
