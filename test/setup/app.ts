import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { createTestDatabase } from './database.ts';
import { httpClient, type HttpClient } from './http.ts';

export type TestApp = {
  baseUrl: string;
  db: Database;
  databaseUrl: string;
  config: Config;
  http: HttpClient;
  close(): Promise<void>;
};

/** Test defaults: no rate limits, no background sweeper, quiet logs. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({ RATE_LIMITS: 'off', SWEEP_INTERVAL_SECONDS: '0', LOG_LEVEL: 'silent' });
  return Object.freeze({ ...base, ...overrides });
}

/**
 * The real app, exactly as main.ts builds it, on its own database and a free port;
 * on 127.0.0.1 unless `host` says otherwise (0.0.0.0: reachable from this machine's other addresses too).
 */
export async function startTestApp(overrides: Partial<Config> = {}, { host = '127.0.0.1' }: { host?: string } = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig(overrides);
  const app = await buildApp({ config, db: database.db, logger: pino({ level: config.logLevel }) });
  await app.listen({ host, port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    db: database.db,
    databaseUrl: database.url,
    config,
    http: httpClient(baseUrl),
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
