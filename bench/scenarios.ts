/**
 * What the bench measures: each scenario's sides, the service over HTTP
 * (a wrk Lua script of bench/wrk/) and PostgreSQL alone (a pgbench script of
 * bench/pgbench/), with what each run must have written and which answers
 * it may get. rounds.ts runs them.
 */
import type { Database } from '../src/db/database.ts';
import type { Expected, RunCheck, SeatRange } from './checks.ts';
import type { Fixture } from './fixture.ts';
import type { LoadResult, Watched } from './load.ts';
import type { Options, ScenarioId } from './options.ts';
import { runPgbench } from './pgbench.ts';
import type { Side } from './results.ts';
import { HOLD_TTL_SECONDS, MAX_SEATS_PER_USER, type Server } from './server.ts';
import { runWrk, type WrkScript } from './wrk.ts';

/** Shares of the release-night mix (the rest are bookings). */
const MIX = { layout: 0.85, hold: 0.12 } as const;

/** What the scenarios need from the running bench; `server` is whichever server the HTTP side uses now. */
export type Bench = {
  options: Options;
  db: Database;
  databaseUrl: string;
  postmasterPid: number;
  fixture: Fixture;
  server: Server;
  /** A fresh path in the bench's temp dir (a file or, with `dir`, a directory). */
  tempPath(dir?: 'dir'): Promise<string>;
  /** pgbench scripts that cannot run here (no pgbench, or their functions are missing), with the reason. */
  unavailable: ReadonlyMap<string, string>;
  /** Every run's check, for the final "checked:" line. */
  checks: RunCheck[];
  log(line: string): void;
};

export type Target = {
  side: Side;
  /** The wrk or pgbench script, as reported. */
  script: string;
  generator: 'wrk' | 'pgbench';
  /** Fresh seats one request uses up; 0 for reads. */
  seatsPerRequest: number;
  /** Showtimes of a range come in multiples of this (the mix's groups of four). */
  showsMultiple?: number;
  /** Measured once, in the first round, for half as long (the gzip layout: a side question, and the bench must stay short). */
  once?: boolean;
  run(range: SeatRange | undefined, seconds: number): Promise<LoadResult>;
  /** The writes a run must have made, from its answers (writing targets only). */
  expected?(result: LoadResult): Expected;
  /** Problems the answers alone show (statuses that must not come back, socket errors). */
  answerProblems(result: LoadResult): string[];
};

// ─── the sides ──────────────────────────────────────────────────────────────

export const count = (result: LoadResult, key: string): number => result.tally[key] ?? 0;

function socketProblems(result: LoadResult): string[] {
  return ['connect', 'read', 'write', 'timeout'].filter((kind) => count(result, `errors:${kind}`) > 0).map((kind) => `${count(result, `errors:${kind}`)} socket ${kind} errors`);
}

/** Tallies of answers (keys matching `answers`) other than the `allowed` ones, e.g. "status:409×3". */
function unexpectedAnswers(result: LoadResult, answers: RegExp, allowed: readonly string[]): string[] {
  const unexpected = Object.entries(result.tally).filter(([key]) => answers.test(key) && !allowed.includes(key));
  return unexpected.length === 0 ? [] : [`unexpected answers ${unexpected.map(([key, n]) => `${key}×${n}`).join(' ')}`];
}

/** For the scripts that tally each answer's status. */
const statusProblems = (result: LoadResult, allowed: readonly number[]): string[] => [
  ...socketProblems(result),
  ...unexpectedAnswers(
    result,
    /^status:/,
    allowed.map((status) => `status:${status}`),
  ),
];

/** For the layout script, which keeps no bodies and so tallies nothing: wrk's own count of non-2xx answers. */
const layoutProblems = (result: LoadResult): string[] => [
  ...socketProblems(result),
  ...(count(result, 'errors:status') > 0 ? [`${count(result, 'errors:status')} answers were not 2xx`] : []),
];

/** Answers wrk's Lua tallied by status ("status:200" …). */
const answered = (result: LoadResult): number =>
  Object.entries(result.tally)
    .filter(([key]) => key.startsWith('status:'))
    .reduce((sum, [, n]) => sum + n, 0);

function rangeSettings(range: SeatRange | undefined): Record<string, number> {
  if (range === undefined) {
    return {};
  }
  return { first_show: range.firstShow, first_seat: range.firstSeat, seats_per_show: range.seatsPerShow, capacity: range.capacity };
}

function wrkSide(bench: Bench, script: WrkScript, settings: Record<string, string | number | Record<string, string>>) {
  return async (range: SeatRange | undefined, seconds: number): Promise<LoadResult> =>
    runWrk({
      baseUrl: bench.server.baseUrl,
      script,
      settings: { ...settings, ...rangeSettings(range) },
      tokens: bench.fixture.users.map((u) => u.token),
      connections: bench.options.connections,
      seconds,
      settingsFile: await bench.tempPath(),
      watched: watched(bench),
    });
}

/** `seatIndex`: for a script that writes fresh seats, the index of client c's n-th seat, as the script computes it. */
function pgbenchSide(bench: Bench, script: string, variables: Record<string, number> = {}, seatIndex?: (client: number, n: number) => number) {
  return async (range: SeatRange | undefined, seconds: number): Promise<LoadResult> =>
    runPgbench({
      url: bench.databaseUrl,
      script,
      variables: {
        ...variables,
        ...rangeSettings(range),
        first_user: bench.fixture.users[0]?.id ?? 0,
        users: bench.fixture.users.length,
        ttl: HOLD_TTL_SECONDS,
        max_seats: MAX_SEATS_PER_USER,
      },
      clients: bench.options.connections,
      seconds,
      logDir: await bench.tempPath('dir'),
      watched: watched(bench),
      ...(seatIndex === undefined ? {} : { seatIndex }),
    });
}

const watched = (bench: Bench): Watched => ({ serverPid: bench.server.pid, postmasterPid: bench.postmasterPid });

/** pgbench finishes (and counts) the transactions in flight at its deadline: its rows must match exactly. */
const pgbenchExpected =
  (kind: 'holds' | 'bookings') =>
  (result: LoadResult): Expected => ({
    holds: kind === 'holds' ? result.requests : 0,
    bookings: kind === 'bookings' ? result.requests : 0,
    unanswered: 0,
  });

const pgbenchProblems = (result: LoadResult): string[] => (count(result, 'failed') > 0 ? [`${count(result, 'failed')} transactions failed`] : []);

/** The fresh seat of hold.sql and its siblings: client c's n-th transaction takes seat index c + clients × n. */
const freshSeatOf =
  (bench: Bench) =>
  (client: number, n: number): number =>
    client + bench.options.connections * n;

function distinctSeatTargets(bench: Bench, write: 'hold' | 'book'): Target[] {
  const success = write === 'hold' ? 200 : 201;
  return [
    {
      side: 'http',
      script: 'wrk distinct-seats.lua',
      generator: 'wrk',
      seatsPerRequest: 1,
      run: wrkSide(bench, 'distinct-seats', { endpoint: `/api/${write}-seat/` }),
      expected: (result) => ({
        holds: write === 'hold' ? count(result, 'status:200') : 0,
        bookings: write === 'book' ? count(result, 'status:201') : 0,
        unanswered: count(result, 'sent') - answered(result),
      }),
      answerProblems: (result) => statusProblems(result, [success]),
    },
    {
      side: 'pg',
      script: `pgbench ${write}.sql`,
      generator: 'pgbench',
      seatsPerRequest: 1,
      run: pgbenchSide(bench, `${write}.sql`, {}, freshSeatOf(bench)),
      expected: pgbenchExpected(write === 'hold' ? 'holds' : 'bookings'),
      answerProblems: pgbenchProblems,
    },
    {
      side: 'pgDesign',
      script: `pgbench ${write}-design.sql`,
      generator: 'pgbench',
      seatsPerRequest: 1,
      run: pgbenchSide(bench, `${write}-design.sql`, {}, freshSeatOf(bench)),
      expected: pgbenchExpected(write === 'hold' ? 'holds' : 'bookings'),
      answerProblems: pgbenchProblems,
    },
  ];
}

function hotSeatTargets(bench: Bench): Target[] {
  const perSeat = 1 / bench.fixture.users.length;
  return [
    {
      side: 'http',
      script: 'wrk hot-seat.lua',
      generator: 'wrk',
      seatsPerRequest: perSeat,
      run: wrkSide(bench, 'hot-seat', { endpoint: '/api/hold-seat/' }),
      expected: (result) => ({
        holds: count(result, 'status:200'),
        bookings: 0,
        unanswered: count(result, 'sent') - answered(result),
      }),
      answerProblems: (result) => statusProblems(result, [200, 409]),
    },
    {
      side: 'pg',
      script: 'pgbench hot-seat.sql',
      generator: 'pgbench',
      seatsPerRequest: perSeat,
      // hot-seat.sql: client c's n-th transaction asks for seat index n.
      run: pgbenchSide(bench, 'hot-seat.sql', {}, (_client, n) => n),
      // pgbench cannot tell a won seat from a lost one: the held rows are the wins (the share of 409 is computed from them).
      expected: () => ({ holds: undefined, bookings: 0, unanswered: 0 }),
      answerProblems: pgbenchProblems,
    },
  ];
}

function layoutTargets(bench: Bench, showId: number): Target[] {
  const path = `/api/hall-layout/${showId}/`;
  return [
    { side: 'http', script: 'wrk layout.lua', generator: 'wrk', seatsPerRequest: 0, run: wrkSide(bench, 'layout', { path }), answerProblems: layoutProblems },
    {
      side: 'pg',
      script: 'pgbench layout.sql',
      generator: 'pgbench',
      seatsPerRequest: 0,
      run: pgbenchSide(bench, 'layout.sql', { show: showId }),
      answerProblems: pgbenchProblems,
    },
    {
      side: 'httpGzip',
      script: 'wrk layout.lua, Accept-Encoding: gzip',
      generator: 'wrk',
      seatsPerRequest: 0,
      once: true,
      run: wrkSide(bench, 'layout', { path, headers: { 'Accept-Encoding': 'gzip' } }),
      answerProblems: layoutProblems,
    },
  ];
}

function mixTargets(bench: Bench): Target[] {
  return [
    {
      side: 'http',
      script: 'wrk mix.lua',
      generator: 'wrk',
      seatsPerRequest: 1 - MIX.layout,
      showsMultiple: 4,
      run: wrkSide(bench, 'mix', { layout_share: MIX.layout, hold_share: MIX.hold }),
      expected: (result) => ({
        holds: count(result, 'hold:200'),
        bookings: count(result, 'book:201'),
        unanswered: count(result, 'sent:hold') + count(result, 'sent:book') + count(result, 'sent:layout') - result.requests,
      }),
      answerProblems: (result) => [...socketProblems(result), ...unexpectedAnswers(result, /^(other|hold|book|layout):/, ['hold:200', 'book:201', 'layout:200'])],
    },
  ];
}

export type Spec = { id: ScenarioId; title: string; targets: Target[] };

export function scenarioSpecs(bench: Bench): Spec[] {
  const { fixture } = bench;
  return [
    { id: 'hold', title: 'hold, distinct seats', targets: distinctSeatTargets(bench, 'hold') },
    { id: 'book', title: 'book, distinct seats', targets: distinctSeatTargets(bench, 'book') },
    { id: 'hot', title: `hot seat (${fixture.users.length} clients on one seat)`, targets: hotSeatTargets(bench) },
    { id: 'layout500', title: `layout, ${fixture.hall500.seats} seats`, targets: layoutTargets(bench, fixture.quietShow500) },
    { id: 'layout2000', title: `layout, ${fixture.hall2000.seats} seats`, targets: layoutTargets(bench, fixture.quietShow2000) },
    { id: 'mix', title: 'release-night mix, 4 shows', targets: mixTargets(bench) },
  ];
}
