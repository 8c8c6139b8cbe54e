import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ensureStaffUser, usernamePattern } from './accounts/index.ts';
import { checkInvariants, showtimeSeats, sweepExpiredHolds } from './booking/index.ts';
import { createPaymentProvider, sweepOrders } from './orders/index.ts';
import { importCinema, planCinemaImport, seedDemoCinema, type ImportSummary } from './catalog/index.ts';
import { seedDemoPricing } from './pricing/index.ts';
import { buildApp } from './app.ts';
import { loadConfig, type Config } from './config.ts';
import { connectDatabase, type Connection } from './db/connect.ts';
import { createDatabase, createPool } from './db/database.ts';
import { start } from './main.ts';

const help = `Usage: boxoffice <command> [options]

Commands:
  start                      run the API and web app (default)
  migrate                    bring the database schema up to date
  seed                       add the demo cinema (only to a database without venues)
  create-admin --username U --password P
                             create a staff user, or reset its password
  sweep                      close lapsed checkouts (asking the provider), send due refunds, release expired holds, once
  check                      verify the booking invariants in SQL; exits 1 on any violation
  import --file cinema.json  add a whole venue (halls, seat maps, movies, showtimes) from
                             one JSON file, all or nothing; see docs/import.md
  openapi                    print the API's OpenAPI document (what /openapi.json serves);
                             needs no database
  help                       show this text

Configuration comes from the environment (DATABASE_URL, DATA_DIR, PORT, ...);
see docs/configuration.md. Without DATABASE_URL the embedded PostgreSQL under DATA_DIR is used.`;

class UsageError extends Error {}

/** A file the user named, as text; a missing or unreadable one is one plain sentence. */
async function readUserFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new Error(`Cannot read ${file}: ${why}.`);
  }
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const importedLine = (s: ImportSummary) =>
  `Imported "${s.venue}": ${count(s.halls, 'hall')} (${count(s.seats, 'seat')}), ${count(s.movies, 'movie')}, ${count(s.showtimes, 'showtime')}.`;

async function withDatabase(config: Config, task: (connection: Connection) => Promise<string>): Promise<void> {
  // Quiet logs for one-shot commands: their result is the line they print.
  const log = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const connection = await connectDatabase({ ...config, poolSize: 4 }, log);
  try {
    console.log(await task(connection));
  } finally {
    await connection.close();
  }
}

/**
 * The document /openapi.json serves, without a database: it is built from the
 * route schemas alone. The app is built exactly as the server builds it, with
 * the default configuration (not this shell's environment, so the document is
 * the same everywhere) and a pool that is never asked for a connection; only
 * its notification listener tries one, to a port where nothing listens, and
 * is closed with the app.
 */
async function openApiDocument(): Promise<unknown> {
  const config = loadConfig({ LOG_LEVEL: 'silent', SWEEP_INTERVAL_SECONDS: '0' });
  const db = createDatabase(createPool('postgres://boxoffice@127.0.0.1:1/boxoffice', { max: 1 }));
  const app = await buildApp({ config, db, logger: pino({ level: 'silent' }) });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
    await db.destroy();
  }
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        username: { type: 'string' },
        password: { type: 'string' },
        file: { type: 'string' },
      },
    });
  } catch (error) {
    // An unknown or incomplete option is a usage error (exit 2) like an unknown command;
    // keep only Node's first sentence, the rest is about positional arguments.
    const message = (error instanceof Error ? error.message : String(error)).split('. ')[0]?.replace(/\.$/, '');
    throw new UsageError(`${message}; run "boxoffice --help" for usage.`);
  }
}

async function run(argv: string[]): Promise<void> {
  const { positionals, values } = parseCommandLine(argv);
  const command = values.help === true ? 'help' : (positionals[0] ?? 'start');
  if (command === 'help') {
    console.log(help);
    return;
  }
  if (command === 'openapi') {
    // The web app's client types are generated from this (npm run build).
    console.log(JSON.stringify(await openApiDocument(), null, 2));
    return;
  }
  const config = loadConfig();
  switch (command) {
    case 'start':
      return start(config);
    case 'migrate':
      return withDatabase(config, async () => 'The database schema is up to date.');
    case 'seed':
      return withDatabase(config, async ({ db }) => {
        const { seeded, showtimes } = await seedDemoCinema(db, showtimeSeats);
        if (seeded) {
          await seedDemoPricing(db);
        }
        return seeded ? `Seeded the demo cinema with ${showtimes} showtimes.` : 'The database already has venues; nothing seeded.';
      });
    case 'create-admin': {
      const { username, password } = values;
      if (username === undefined || password === undefined) {
        throw new UsageError('create-admin needs --username and --password.');
      }
      if (!new RegExp(usernamePattern).test(username)) {
        throw new UsageError('--username must be 3–150 letters, digits and @.+-_.');
      }
      if (password.length < 8) {
        throw new UsageError('--password must be at least 8 characters long.');
      }
      return withDatabase(config, async ({ db }) => {
        const admin = await ensureStaffUser(db, username, password);
        return `Staff user "${admin.username}" (id ${admin.id}) is ready.`;
      });
    }
    case 'check': {
      let violated = false;
      await withDatabase(config, async ({ db }) => {
        const report = await checkInvariants(db);
        violated = report.some((line) => line.violations > 0);
        const lines = report.map((line) => `${line.violations === 0 ? 'ok  ' : 'FAIL'} ${line.name}: ${line.violations}`);
        return [...lines, violated ? 'Invariants violated.' : 'All invariants hold.'].join('\n');
      });
      if (violated) {
        process.exitCode = 1;
      }
      return;
    }
    case 'sweep':
      return withDatabase(config, async ({ db }) => {
        // Orders first: a lapsed checkout is asked about at the provider before its seats go back.
        const log = pino({ level: 'warn' });
        const { provider } = await createPaymentProvider(config.payments, db, log);
        const orders = await sweepOrders({ db, provider, paymentWindowSeconds: config.payments.windowSeconds, log, onSeatChanges: () => undefined });
        const released = await sweepExpiredHolds(db);
        return `Expired ${orders.expired} unpaid orders, confirmed ${orders.settled} paid late, sent ${orders.refunds} refunds; released ${released} expired holds.`;
      });
    case 'import': {
      if (values.file === undefined) {
        throw new UsageError('import needs --file, e.g. boxoffice import --file examples/cinema.json.');
      }
      // Everything that needs no database is checked first, so a bad file fails fast and alone.
      const plan = planCinemaImport(await readUserFile(values.file), values.file, config.maxSeatsPerHall);
      return withDatabase(config, async ({ db }) => importedLine(await importCinema(db, showtimeSeats, plan)));
    }
    default:
      throw new UsageError(`Unknown command "${command}"; run "boxoffice --help" for the list.`);
  }
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  // Startup failures are one clear line, not a stack trace.
  console.error(`boxoffice: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof UsageError ? 2 : 1);
}
