import cluster, { type Worker } from 'node:cluster';
import pino, { type Logger } from 'pino';
import { ensureStaffUser } from './accounts/index.ts';
import { buildApp } from './app.ts';
import { showtimeSeats, startSweeper } from './booking/index.ts';
import { seedDemoCinema } from './catalog/index.ts';
import { seedDemoPricing } from './pricing/index.ts';
import type { Config } from './config.ts';
import { connectDatabase } from './db/connect.ts';

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'boxoffice' } });
}

const SHUTDOWN_LIMIT_MS = 15_000;

/** Set in the environment of forked workers: the database the primary prepared. */
const WORKER_DATABASE_URL = 'BOXOFFICE_WORKER_DATABASE_URL';

/**
 * `boxoffice start`. With WEB_CONCURRENCY > 1 this process becomes the
 * primary: it owns the database (embedded server, migrations, seed, the
 * sweeper) and forks that many workers, which serve HTTP on the one port
 * (node:cluster hands them connections in turn).
 */
export async function start(config: Config): Promise<void> {
  const workerDatabaseUrl = process.env[WORKER_DATABASE_URL];
  if (cluster.isWorker && workerDatabaseUrl !== undefined) {
    return serve({ ...config, databaseUrl: workerDatabaseUrl }, { worker: true });
  }
  return config.webConcurrency > 1 ? startPrimary(config) : serve(config, { worker: false });
}

/** Runs `steps` once on the first SIGINT/SIGTERM; a second signal (npm forwards Ctrl-C) does not cut it short. */
function onShutdownSignal(log: Logger, steps: (exitCode: number) => Promise<void>): (reason: string, exitCode: number) => Promise<void> {
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string, exitCode: number): Promise<void> => {
    if (shuttingDown !== undefined) {
      log.info({ reason }, 'already shutting down');
      return shuttingDown;
    }
    log.info({ reason }, 'shutting down: no new connections, finishing requests in flight');
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    shuttingDown = steps(exitCode).then(() => {
      log.info('stopped');
      process.exit(exitCode);
    });
    return shuttingDown;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void shutdown(signal, 0));
  }
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });
  return shutdown;
}

/** Embedded server (no DATABASE_URL) → migrate → seed (embedded only) → admin bootstrap. */
async function prepareDatabase(config: Config, log: Logger) {
  const connection = await connectDatabase({ ...config, poolSize: config.databasePoolSize }, log);
  const { db } = connection;
  if (connection.embedded) {
    const { seeded, showtimes } = await seedDemoCinema(db, showtimeSeats);
    if (seeded) {
      await seedDemoPricing(db);
      log.info({ showtimes }, 'seeded the demo cinema "Metro Cineplex"');
    }
  }
  if (config.adminUsername !== undefined && config.adminPassword !== undefined) {
    const admin = await ensureStaffUser(db, config.adminUsername, config.adminPassword);
    log.info({ username: admin.username }, 'staff user from ADMIN_USERNAME is ready');
  }
  return connection;
}

/**
 * One serving process: config → database → app → listen, and the reverse on
 * SIGTERM/SIGINT. A worker leaves the database's setup, the sweeper and the
 * embedded server to its primary.
 */
async function serve(config: Config, { worker }: { worker: boolean }): Promise<void> {
  const log = worker ? createLogger(config).child({ worker: cluster.worker?.id }) : createLogger(config);
  const connection = worker ? await connectDatabase({ ...config, poolSize: config.databasePoolSize }, log) : await prepareDatabase(config, log);
  const app = await buildApp({ config, db: connection.db, logger: log });
  const sweeper = startSweeper(connection.db, worker ? 0 : config.sweepIntervalSeconds, log);

  onShutdownSignal(log, async () => {
    await sweeper.stop();
    await app.close(); // answers requests already received, closes streams
    await connection.close(); // pool, then the embedded database last
  });

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await sweeper.stop();
    await app.close();
    await connection.close();
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      throw new Error(`Port ${config.port} on ${config.host} is already in use; stop the other program or set PORT to a free port.`);
    }
    throw error;
  }
  if (!worker) {
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    log.info(`Boxoffice is running at http://${config.host}:${port}/ (API docs at /docs)`);
  }
}

/**
 * The primary of WEB_CONCURRENCY workers. A worker that dies is replaced; one
 * that cannot start (e.g. the port is taken) stops everything with its
 * reason. On SIGTERM the workers finish their requests first, then the
 * sweeper stops and the database (embedded: last) is closed.
 */
async function startPrimary(config: Config): Promise<void> {
  const log = createLogger(config);
  const connection = await prepareDatabase({ ...config, databasePoolSize: 2 }, log);
  const sweeper = startSweeper(connection.db, config.sweepIntervalSeconds, log);
  let stopping = false;
  const workers = new Set<Worker>();
  const allExited = () =>
    new Promise<void>((resolve) => {
      const check = () => (workers.size === 0 ? resolve() : setTimeout(check, 50).unref());
      check();
    });

  const stopAll = async (): Promise<void> => {
    stopping = true;
    for (const worker of workers) {
      worker.process.kill('SIGTERM');
    }
    await allExited();
    await sweeper.stop();
    await connection.close();
  };
  onShutdownSignal(log, stopAll);

  let listening = 0;
  const started = new Promise<void>((resolve, reject) => {
    const fork = (): void => {
      const worker = cluster.fork({ [WORKER_DATABASE_URL]: connection.url });
      workers.add(worker);
      worker.on('listening', (address) => {
        listening++;
        if (listening === config.webConcurrency) {
          log.info(`Boxoffice is running at http://${config.host}:${address.port}/ (API docs at /docs), ${config.webConcurrency} worker processes`);
          resolve();
        }
      });
      worker.on('exit', (code, signal) => {
        workers.delete(worker);
        if (stopping) {
          return;
        }
        if (listening < config.webConcurrency) {
          // It could not start; its own stderr line says why.
          reject(new Error(`a worker process could not start (exit code ${code ?? signal}); see the line above.`));
          return;
        }
        log.error({ code, signal }, 'a worker process died; starting another');
        fork();
      });
    };
    for (let i = 0; i < config.webConcurrency; i++) {
      fork();
    }
  });
  try {
    await started;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
