import path from 'node:path';

/** Everything the service reads from the environment, parsed once and frozen. */
export type Config = Readonly<{
  databaseUrl: string | undefined;
  dataDir: string;
  /** No DATA_DIR was set: as root, the embedded cluster may move where the postgres user can reach it. */
  dataDirIsDefault: boolean;
  host: string;
  port: number;
  holdTtlSeconds: number;
  sweepIntervalSeconds: number;
  maxSeatsPerUser: number;
  adminUsername: string | undefined;
  adminPassword: string | undefined;
  logLevel: LogLevel;
  rateLimits: RateLimits;
  /** Server processes (`WEB_CONCURRENCY`); more than 1 runs a primary that forks that many workers. */
  webConcurrency: number;
  /** Connections per server process (`DATABASE_POOL_SIZE`). */
  databasePoolSize: number;
  /** Hold (and, apart, booking) calls in the database at once per process; the rest wait and go together (`SEAT_WRITE_CONCURRENCY`). */
  writeConcurrency: number;
}>;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const logLevels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Requests allowed per window; `enabled: false` is `RATE_LIMITS=off`. */
export type RateLimits = Readonly<{
  enabled: boolean;
  loginPerMinute: number;
  registerPerMinute: number;
  seatWritesPerMinute: number;
}>;

export class ConfigError extends Error {}

/**
 * One server process by default: on the 2-core machine we measure on, shared
 * with PostgreSQL and the load generator, a second process cost holds 13 %
 * and gained layouts 25 % (docs/benchmark.md); set WEB_CONCURRENCY where
 * cores are spare.
 */
const DEFAULT_WEB_CONCURRENCY = 1;

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(`${name} must be a whole number, got "${raw}".`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}.`);
  }
  return value;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (['on', 'true', '1', 'yes'].includes(raw)) {
    return true;
  }
  if (['off', 'false', '0', 'no'].includes(raw)) {
    return false;
  }
  throw new ConfigError(`${name} must be "on" or "off", got "${raw}".`);
}

function databaseUrl(env: Env): string | undefined {
  const raw = env['DATABASE_URL']?.trim();
  if (raw === undefined || raw === '') {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL is not a valid URL; expected postgres://user:password@host:5432/database.');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got "${url.protocol}//".`);
  }
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const logLevel = (env['LOG_LEVEL']?.trim().toLowerCase() || 'info') as LogLevel;
  if (!logLevels.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${logLevels.join(', ')}, got "${env['LOG_LEVEL']}".`);
  }
  const adminUsername = env['ADMIN_USERNAME']?.trim() || undefined;
  const adminPassword = env['ADMIN_PASSWORD'] || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD must be at least 8 characters long.');
  }
  return Object.freeze({
    databaseUrl: databaseUrl(env),
    dataDir: path.resolve(env['DATA_DIR']?.trim() || '.data'),
    dataDirIsDefault: (env['DATA_DIR']?.trim() ?? '') === '',
    host: env['HOST']?.trim() || '127.0.0.1',
    port: integer(env, 'PORT', 3000, 0, 65535),
    holdTtlSeconds: integer(env, 'HOLD_TTL_SECONDS', 300, 1, 86_400),
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS', 30, 0, 86_400),
    maxSeatsPerUser: integer(env, 'MAX_SEATS_PER_USER', 10, 1, 1000),
    adminUsername,
    adminPassword,
    logLevel,
    webConcurrency: integer(env, 'WEB_CONCURRENCY', DEFAULT_WEB_CONCURRENCY, 1, 64),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 20, 1, 1_000),
    writeConcurrency: integer(env, 'SEAT_WRITE_CONCURRENCY', 2, 1, 100),
    rateLimits: Object.freeze({
      enabled: onOff(env, 'RATE_LIMITS', true),
      loginPerMinute: integer(env, 'RATE_LIMIT_LOGIN_PER_MINUTE', 10, 1, 1_000_000),
      registerPerMinute: integer(env, 'RATE_LIMIT_REGISTER_PER_MINUTE', 5, 1, 1_000_000),
      seatWritesPerMinute: integer(env, 'RATE_LIMIT_SEAT_WRITES_PER_MINUTE', 120, 1, 1_000_000),
    }),
  });
}
