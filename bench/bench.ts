/**
 * Boxoffice benchmark (issue #9, "The benchmark must be trustworthy"):
 * `npm run bench -- [--seconds 10] [--connections 64] [--viewers 10000]
 * [--workers N] [--only hold,book,…] [--no-compare-workers] [--server-dir PATH]`.
 *
 * Starts its own embedded PostgreSQL and a real `boxoffice start` process,
 * drives the service over HTTP with Debian's wrk (bench/wrk/*.lua) and
 * PostgreSQL alone with pgbench (bench/pgbench/*.sql: the service's own
 * one-round-trip statements, and the design's multi-statement transactions
 * for reference), the two taking turns; then SSE fan-out and staleness, and
 * one worker process against two. Every write is checked in SQL; a failed
 * check fails the bench. Results go to bench/results/*.json, from which
 * `npm run bench:report` writes docs/benchmark-results.md. Everything it
 * starts it stops again, also on Ctrl-C or an error.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createDatabase, createPool, type Database } from '../src/db/database.ts';
import { countAllBookings, type RunCheck } from './checks.ts';
import { createFixture, migrate, startPostgres } from './fixture.ts';
import { parseOptions, USAGE, type Options } from './options.ts';
import { havePgbench, PGBENCH, PGBENCH_MISSING } from './pgbench.ts';
import { createTeardown, describe, interrupted, runToEnd, type Teardown } from './processes.ts';
import { newestResults, saveResults, type Results, type ScenarioResult } from './results.ts';
import { ROUNDS, measureScenario } from './rounds.ts';
import { scenarioSpecs, type Bench } from './scenarios.ts';
import { startServer } from './server.ts';
import { checkScriptsMatchService } from './sql-drift.ts';
import { measureSse } from './sse.ts';
import { machineLines, renderText, reportSections } from './table.ts';
import { compareWorkers } from './workers.ts';
import { WRK } from './wrk.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

const began = performance.now();

/** Progress on stderr, each line with the seconds since the start. */
const log = (line: string): void => {
  const seconds = Math.round((performance.now() - began) / 1000);
  process.stderr.write(`[${String(seconds).padStart(4)} s] ${line.replace(/^\n/, '')}\n`);
};

/** What the checkout being measured says about itself: its commit, and whether its files differ from it. */
async function commitOf(dir: string): Promise<string> {
  try {
    const commit = (await runToEnd('git', ['-C', dir, 'rev-parse', 'HEAD'])).trim();
    const changed = (await runToEnd('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'])).trim() !== '';
    return changed ? `${commit} with uncommitted changes` : commit;
  } catch {
    return 'unknown';
  }
}

/** pgbench scripts that need a function or column the measured schema may lack (a baseline's). */
const SCRIPT_NEEDS: Record<string, { sql: string; what: string }> = {
  'hold.sql': { sql: `SELECT to_regproc('booking_hold_batch') IS NOT NULL AS ok`, what: 'booking_hold_batch() does not exist in this schema' },
  'hot-seat.sql': { sql: `SELECT to_regproc('booking_hold_batch') IS NOT NULL AS ok`, what: 'booking_hold_batch() does not exist in this schema' },
  'book.sql': { sql: `SELECT to_regproc('booking_book_batch') IS NOT NULL AS ok`, what: 'booking_book_batch() does not exist in this schema' },
  'layout.sql': {
    sql: `SELECT EXISTS (SELECT FROM information_schema.columns WHERE table_name = 'show_seats' AND column_name = 'version') AS ok`,
    what: 'show_seats.version does not exist in this schema',
  },
};

async function unavailableScripts(db: Database): Promise<Map<string, string>> {
  const scripts = ['hold.sql', 'book.sql', 'hold-design.sql', 'book-design.sql', 'hot-seat.sql', 'layout.sql'];
  if (!havePgbench()) {
    return new Map(scripts.map((script) => [script, 'pgbench not found']));
  }
  const unavailable = new Map<string, string>();
  for (const [script, need] of Object.entries(SCRIPT_NEEDS)) {
    const { rows } = await sql.raw<{ ok: boolean }>(need.sql).execute(db);
    if (rows[0]?.ok !== true) {
      unavailable.set(script, need.what);
    }
  }
  return unavailable;
}

async function machine(db: Database): Promise<Results['machine']> {
  const { rows } = await sql<{ version: string }>`SELECT current_setting('server_version') AS version`.execute(db);
  const version = async (command: string, args: string[]): Promise<string> =>
    (await runToEnd('sh', ['-c', `"$0" "$@" 2>&1 || true`, command, ...args]).catch(() => 'missing')).split('\n')[0]?.trim() ?? '';
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: rows[0]?.version ?? 'unknown',
    pgbench: havePgbench() ? await version(PGBENCH, ['--version']) : 'pgbench missing',
    wrk: (await version(WRK, ['--version'])).replace(/ Copyright.*/, ''),
  };
}

/** The "checked: …" lines over every run, plus the whole database's bookings; passed when nothing is wrong. */
async function verdict(db: Database, checks: readonly RunCheck[]): Promise<Results['checks']> {
  const sum = (pick: (c: RunCheck) => number): number => checks.reduce((total, c) => total + pick(c), 0);
  const all = await countAllBookings(db);
  const problems = checks.flatMap((c) => c.problems);
  if (all.bookedTwice > 0) {
    problems.push(`${all.bookedTwice} seats have more than one Booking row`);
  }
  if (all.bookings !== all.bookedSeats || all.orphanBookings > 0) {
    problems.push(`${all.bookings} Booking rows for ${all.bookedSeats} booked seats (${all.orphanBookings} bookings of seats not booked)`);
  }
  const n = (value: number): string => value.toLocaleString('en-US');
  const beyond = (answered: number, rows: number): string =>
    rows > answered ? ` (${n(rows - answered)} more: requests wrk left unanswered at its deadline, which the server committed all the same)` : '';
  const holds = { answered: sum((c) => c.answered.holds), rows: sum((c) => c.rows.holds) };
  const bookings = { answered: sum((c) => c.answered.bookings), rows: sum((c) => c.rows.bookings) };
  const lines = [
    `checked: ${n(holds.answered)} holds answered 200 → ${n(holds.rows)} seats held by bench users${beyond(holds.answered, holds.rows)}`,
    `checked: ${n(bookings.answered)} bookings answered 201 → ${n(bookings.rows)} Booking rows${beyond(bookings.answered, bookings.rows)}`,
    `checked: ${n(all.bookings)} Booking rows for ${n(all.bookedSeats)} booked seats, ${n(all.bookedTwice)} seats booked twice; ` +
      (problems.length === 0 ? 'nothing lost' : `${problems.length} problems:`),
    ...problems.map((p) => `FAILED: ${p}`),
  ];
  return { passed: problems.length === 0, lines };
}

async function tempPaths(teardown: Teardown): Promise<Bench['tempPath']> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-bench-run-'));
  teardown.add('bench temp files', () => rm(dir, { recursive: true, force: true }));
  let next = 0;
  return async (kind) => {
    const file = path.join(dir, String(next++));
    if (kind === 'dir') {
      await mkdir(file);
    }
    return file;
  };
}

async function runScenarios(bench: Bench, teardown: Teardown): Promise<Pick<Results, 'scenarios' | 'sse' | 'workers'>> {
  const { only } = bench.options;
  const sse = only.has('sse') ? await measureSse(bench) : undefined;
  const scenarios: ScenarioResult[] = [];
  for (const spec of scenarioSpecs(bench).filter((s) => only.has(s.id))) {
    log(`bench: ${spec.title}`);
    scenarios.push(await measureScenario(bench, spec));
  }
  let workers: Results['workers'];
  if (only.has('workers')) {
    log('bench: one worker process against two');
    await bench.server.stop(); // only one server at a time: an idle one would still hear every seat event
    workers = await compareWorkers(bench, teardown);
  }
  return { scenarios, ...(sse === undefined ? {} : { sse }), ...(workers === undefined ? {} : { workers }) };
}

async function run(options: Options, teardown: Teardown): Promise<number> {
  const startedAt = new Date();
  const drift = await checkScriptsMatchService();
  if (drift.length > 0) {
    throw new Error(drift.join('\n'));
  }
  log(`bench: starting PostgreSQL, migrating with ${options.serverDir === ROOT ? 'this checkout' : options.serverDir}, making the cinema …`);
  const postgres = await startPostgres(teardown);
  await migrate(options.serverDir, postgres.url);
  const db = createDatabase(createPool(postgres.url, { max: 4, applicationName: 'boxoffice-bench' }));
  teardown.add('bench connections', () => db.destroy());
  const fixture = await createFixture(db, options.connections);
  const unavailable = await unavailableScripts(db);
  if (!havePgbench()) {
    console.log(PGBENCH_MISSING);
  }
  const server = await startServer({ serverDir: options.serverDir, databaseUrl: postgres.url, workers: options.workers, teardown });
  const bench: Bench = {
    options,
    db,
    databaseUrl: postgres.url,
    postmasterPid: await postgres.postmasterPid(),
    fixture,
    server,
    tempPath: await tempPaths(teardown),
    unavailable,
    checks: [],
    log,
  };
  log(`bench: server at ${server.baseUrl} (${server.processes} process(es)); measuring`);
  const measured = await runScenarios(bench, teardown);
  const results: Results = {
    format: 1,
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: await machine(db),
    server: {
      dir: options.serverDir,
      commit: await commitOf(options.serverDir),
      baseline: options.baseline,
      workers: options.workers ?? null,
      processes: server.processes,
    },
    options: { seconds: options.seconds, connections: options.connections, viewers: options.viewers, only: [...options.only], rounds: ROUNDS },
    ...measured,
    checks: await verdict(db, bench.checks),
  };
  const file = await saveResults(results, options.baseline);
  const baseline = options.baseline ? undefined : (await newestResults('baseline'))?.results;
  console.log(['', ...machineLines(results), renderText(reportSections(results, baseline)), '', `results: ${path.relative(ROOT, file)}`].join('\n'));
  return results.checks.passed ? 0 : 1;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2), ROOT);
  } catch (error) {
    console.error(`bench: ${describe(error)}\n${USAGE}`);
    return 2;
  }
  if (!existsSync(WRK)) {
    console.error('wrk not found: apt-get install -y wrk');
    return 1;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // npm forwards Ctrl-C as well, so the same signal may come twice: act once.
    process.on(signal, () => {
      if (!interrupted.signal.aborted) {
        log(`\nbench: ${signal}, stopping everything it started …`);
        interrupted.abort();
      }
    });
  }
  const teardown = createTeardown();
  const started = performance.now();
  let exitCode: number;
  try {
    exitCode = await run(options, teardown);
  } catch (error) {
    exitCode = interrupted.signal.aborted ? 130 : 1;
    if (exitCode === 1) {
      console.error(`bench failed: ${describe(error)}`);
    }
  } finally {
    await teardown.run();
  }
  log(`bench: done in ${((performance.now() - started) / 1000).toFixed(0)} s, everything it started is stopped`);
  return exitCode;
}

process.exit(await main());
