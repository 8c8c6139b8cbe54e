import pino, { type Logger } from 'pino';
import { ensureStaffUser } from './accounts/index.ts';
import { buildApp } from './app.ts';
import { startSweeper } from './booking/index.ts';
import { seedDemoCinema } from './catalog/index.ts';
import type { Config } from './config.ts';
import { connectDatabase } from './db/connect.ts';

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'boxoffice' } });
}

const SHUTDOWN_LIMIT_MS = 15_000;

/**
 * config → database (embedded when no DATABASE_URL) → migrate → seed (embedded
 * only) → admin bootstrap → app → listen, and the reverse on SIGTERM/SIGINT.
 */
export async function start(config: Config): Promise<void> {
  const log = createLogger(config);
  const connection = await connectDatabase(config, log);
  const { db } = connection;

  if (connection.embedded) {
    const { seeded, showtimes } = await seedDemoCinema(db);
    if (seeded) {
      log.info({ showtimes }, 'seeded the demo cinema "Metro Cineplex"');
    }
  }
  if (config.adminUsername !== undefined && config.adminPassword !== undefined) {
    const admin = await ensureStaffUser(db, config.adminUsername, config.adminPassword);
    log.info({ username: admin.username }, 'staff user from ADMIN_USERNAME is ready');
  }

  const app = await buildApp({ config, db, logger: log });
  const sweeper = startSweeper(db, config.sweepIntervalSeconds, log);

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string, exitCode: number): Promise<void> => {
    if (shuttingDown !== undefined) {
      // npm forwards Ctrl-C, so a second signal is normal: it must not cut the first short.
      log.info({ reason }, 'already shutting down');
      return shuttingDown;
    }
    log.info({ reason }, 'shutting down: no new connections, finishing requests in flight');
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    shuttingDown = (async () => {
      await sweeper.stop();
      await app.close(); // answers requests already received, closes streams
      await connection.close(); // pool, then the embedded database last
      log.info('stopped');
      process.exit(exitCode);
    })();
    return shuttingDown;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void shutdown(signal, 0));
  }
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
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
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  log.info(`Boxoffice is running at http://${config.host}:${port}/ (API docs at /docs)`);
}
