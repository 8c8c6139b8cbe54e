import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';

/** Everything the service reads from the environment, parsed once and frozen. */
export type Config = Readonly<{
  databaseUrl: string | undefined;
  /**
   * The seat-event listener's own connection (`LISTEN_DATABASE_URL`, default
   * DATABASE_URL): straight to PostgreSQL when DATABASE_URL goes through
   * PgBouncer in transaction pooling, which cannot carry a LISTEN.
   */
  listenDatabaseUrl: string | undefined;
  /** A streaming replica for catalog listings and staff reports (`READ_DATABASE_URL`); never for a seat decision. */
  readDatabaseUrl: string | undefined;
  /** Reads go back to the primary while the replica is further behind than this (`REPLICA_MAX_LAG_SECONDS`). */
  replicaMaxLagSeconds: number;
  dataDir: string;
  /** No DATA_DIR was set: as root, the embedded cluster may move where the postgres user can reach it. */
  dataDirIsDefault: boolean;
  host: string;
  port: number;
  holdTtlSeconds: number;
  sweepIntervalSeconds: number;
  maxSeatsPerUser: number;
  /** Seats one hall may have (`MAX_SEATS_PER_HALL`): bounds what one staff request or import writes and what one layout read sends. */
  maxSeatsPerHall: number;
  adminUsername: string | undefined;
  adminPassword: string | undefined;
  logLevel: LogLevel;
  rateLimits: RateLimits;
  /**
   * Proxies whose X-Forwarded-For/-Proto/-Host are believed (`TRUST_PROXY`), as Fastify's
   * `trustProxy` takes it: false (none), true (any peer), or addresses/CIDRs.
   */
  trustProxy: boolean | string[];
  /** Failed logins allowed per window, per username and per client address (off with `RATE_LIMITS=off`). */
  loginLimits: LoginLimits;
  /** Password hashes computed at once per process, and how many more may wait (`PASSWORD_HASHING_*`). */
  passwordHashing: Readonly<{ concurrency: number; queue: number }>;
  /** Server processes (`WEB_CONCURRENCY`); more than 1 runs a primary that forks that many workers. */
  webConcurrency: number;
  /** Connections per server process (`DATABASE_POOL_SIZE`). */
  databasePoolSize: number;
  /** Hold (and, apart, booking) calls in the database at once per process; the rest wait and go together (`SEAT_WRITE_CONCURRENCY`). */
  writeConcurrency: number;
  /** How long a client may take to send one request, and its headers, before a 408 (`REQUEST_TIMEOUT_SECONDS`, `HEADERS_TIMEOUT_SECONDS`). */
  requestTimeoutSeconds: number;
  headersTimeoutSeconds: number;
  /** How long an idle keep-alive connection stays open (`KEEP_ALIVE_TIMEOUT_SECONDS`). */
  keepAliveTimeoutSeconds: number;
  /** Open connections per server process (`MAX_CONNECTIONS`); one more is closed at once. Event streams count. */
  maxConnections: number;
  /** When set, GET /metrics needs `Authorization: Bearer <it>` (`METRICS_TOKEN`); unset, only loopback clients may read it. */
  metricsToken: string | undefined;
  /** Open event streams per process (`SSE_MAX_STREAMS`); above it a new one gets 503. */
  sseMaxStreams: number;
  /** Open event streams per client address (`SSE_MAX_STREAMS_PER_CLIENT`); above it a new one gets 429. */
  sseMaxStreamsPerClient: number;
  /** An event stream is ended after about this long (`SSE_MAX_LIFETIME_SECONDS`, minus up to 20 % jitter); EventSource reconnects. */
  sseMaxLifetimeSeconds: number;
  /** Checkout (docs/checkout.md): which provider takes payments, and how long a checkout keeps its seats. */
  payments: Payments;
  /** The LISTEN connection is pinged this often and dropped when a ping is unanswered this long (`LISTENER_PING_SECONDS`). */
  listenerPingSeconds: number;
}>;

export type Payments = Readonly<{
  /** `PAYMENT_PROVIDER`: `test` (the built-in test provider, the default) or `stripe` (the default when STRIPE_SECRET_KEY is set). */
  provider: 'test' | 'stripe';
  /** `PAYMENT_WINDOW_SECONDS`: a checkout's seats are held this long (never past the showtime's start). */
  windowSeconds: number;
  /** `TEST_PROVIDER_LATE_SECONDS`: how long the test provider's "late" card stays processing. */
  testLateSeconds: number;
  /** `TEST_PROVIDER_WEBHOOK_SECRET`: what the test provider signs its webhooks with (random per process by default). */
  testWebhookSecret: string;
  stripe: Readonly<{ secretKey: string; publishableKey: string; webhookSecret: string; apiBase?: string }> | undefined;
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

/** Failed logins counted in a window that starts at the first failure; all processes share the counts. */
export type LoginLimits = Readonly<{
  failuresPerUsername: number;
  failuresPerAddress: number;
  windowSeconds: number;
}>;

export class ConfigError extends Error {}

/**
 * One server process by default: on the 2-core machine we measure on, shared
 * with PostgreSQL and the load generator, a second process cost holds 13 %
 * and gained layouts 25 % (docs/benchmark.md); set WEB_CONCURRENCY where
 * cores are spare.
 */
const DEFAULT_WEB_CONCURRENCY = 1;

/**
 * The largest cinema auditoriums seat a few thousand; a hall beyond that is a
 * mistake or an attack (a 20,000-seat layout is 3.4 MB and 178 ms of the event
 * loop per anonymous read). SPEC §8.
 */
export const DEFAULT_MAX_SEATS_PER_HALL = 5_000;

/**
 * Open connections per process: room for the 10,000 event-stream viewers one
 * process is asked to carry (each stream is a connection) and as many again
 * for ordinary requests. Each costs a file descriptor: raise `ulimit -n` to match.
 */
export const DEFAULT_MAX_CONNECTIONS = 20_000;

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

function databaseUrl(env: Env, name: 'DATABASE_URL' | 'LISTEN_DATABASE_URL' | 'READ_DATABASE_URL'): string | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL; expected postgres://user:password@host:5432/database.`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must start with postgres:// or postgresql://, got "${url.protocol}//".`);
  }
  return raw;
}

/** Named ranges proxy-addr (Fastify's trustProxy) understands. */
const proxyRangeNames = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `TRUST_PROXY`: off (default), `true` (any peer: only when nothing but the
 * proxy can reach the port), or a comma-separated list of addresses, CIDRs and
 * `loopback`/`linklocal`/`uniquelocal`. No hop count: Fastify 5 ignores the
 * forwarded protocol and host for one (it cannot tell the proxy from a client).
 */
function trustProxy(env: Env): boolean | string[] {
  const raw = env['TRUST_PROXY']?.trim() ?? '';
  const lower = raw.toLowerCase();
  if (['', 'off', 'false', 'no', '0'].includes(lower)) {
    return false;
  }
  if (['on', 'true', 'yes'].includes(lower)) {
    return true;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    const bitsValid = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (!proxyRangeNames.includes(entry.toLowerCase()) && (family === 0 || !bitsValid || extra !== undefined)) {
      throw new ConfigError(
        `TRUST_PROXY must be "true" or a comma-separated list of proxy addresses/CIDRs (e.g. 10.0.0.0/8,::1 or loopback), got "${entry}".`,
      );
    }
  }
  return entries.map((entry) => (proxyRangeNames.includes(entry.toLowerCase()) ? entry.toLowerCase() : entry));
}

function payments(env: Env): Payments {
  const secretKey = env['STRIPE_SECRET_KEY']?.trim() || undefined;
  const raw = env['PAYMENT_PROVIDER']?.trim().toLowerCase() || (secretKey === undefined ? 'test' : 'stripe');
  if (raw !== 'test' && raw !== 'stripe') {
    throw new ConfigError(`PAYMENT_PROVIDER must be "test" or "stripe", got "${env['PAYMENT_PROVIDER']}".`);
  }
  const webhookSecret = env['STRIPE_WEBHOOK_SECRET']?.trim() || undefined;
  const publishableKey = env['STRIPE_PUBLISHABLE_KEY']?.trim() || undefined;
  if (raw === 'stripe' && (secretKey === undefined || webhookSecret === undefined || publishableKey === undefined)) {
    throw new ConfigError(
      'PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY (sk_…), STRIPE_PUBLISHABLE_KEY (pk_…, for the payment form) and STRIPE_WEBHOOK_SECRET (whsec_…, from the webhook endpoint in Stripe\'s dashboard).',
    );
  }
  const apiBase = env['STRIPE_API_BASE']?.trim() || undefined;
  if (apiBase !== undefined && !/^https?:\/\/[^/]+\/?$/.test(apiBase)) {
    throw new ConfigError(`STRIPE_API_BASE must be a scheme and host such as https://api.stripe.com, got "${apiBase}".`);
  }
  return Object.freeze({
    provider: raw,
    windowSeconds: integer(env, 'PAYMENT_WINDOW_SECONDS', 600, 10, 7_200),
    testLateSeconds: integer(env, 'TEST_PROVIDER_LATE_SECONDS', 20, 1, 3_600),
    testWebhookSecret: env['TEST_PROVIDER_WEBHOOK_SECRET']?.trim() || randomBytes(32).toString('hex'),
    stripe:
      raw === 'stripe' && secretKey !== undefined && webhookSecret !== undefined && publishableKey !== undefined
        ? Object.freeze({ secretKey, publishableKey, webhookSecret, ...(apiBase === undefined ? {} : { apiBase }) })
        : undefined,
  });
}

export function loadConfig(env: Env = process.env): Config {
  const logLevel = (env['LOG_LEVEL']?.trim().toLowerCase() || 'info') as LogLevel;
  if (!logLevels.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${logLevels.join(', ')}, got "${env['LOG_LEVEL']}".`);
  }
  const requestTimeoutSeconds = integer(env, 'REQUEST_TIMEOUT_SECONDS', 30, 1, 3_600);
  const headersTimeoutSeconds = integer(env, 'HEADERS_TIMEOUT_SECONDS', Math.min(10, requestTimeoutSeconds), 1, 3_600);
  if (headersTimeoutSeconds > requestTimeoutSeconds) {
    throw new ConfigError(`HEADERS_TIMEOUT_SECONDS (${headersTimeoutSeconds}) must not be more than REQUEST_TIMEOUT_SECONDS (${requestTimeoutSeconds}).`);
  }
  const metricsToken = env['METRICS_TOKEN']?.trim() || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 characters long (e.g. the output of "openssl rand -hex 32").');
  }
  const adminUsername = env['ADMIN_USERNAME']?.trim() || undefined;
  const adminPassword = env['ADMIN_PASSWORD'] || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD must be at least 8 characters long.');
  }
  const primaryUrl = databaseUrl(env, 'DATABASE_URL');
  const listenUrl = databaseUrl(env, 'LISTEN_DATABASE_URL');
  const readUrl = databaseUrl(env, 'READ_DATABASE_URL');
  for (const [name, value] of [['LISTEN_DATABASE_URL', listenUrl], ['READ_DATABASE_URL', readUrl]] as const) {
    if (value !== undefined && primaryUrl === undefined) {
      throw new ConfigError(`${name} is only used with DATABASE_URL (the embedded PostgreSQL has no replica and needs no direct URL); set DATABASE_URL too, or unset ${name}.`);
    }
  }
  return Object.freeze({
    databaseUrl: primaryUrl,
    listenDatabaseUrl: listenUrl,
    readDatabaseUrl: readUrl,
    replicaMaxLagSeconds: integer(env, 'REPLICA_MAX_LAG_SECONDS', 5, 1, 3_600),
    dataDir: path.resolve(env['DATA_DIR']?.trim() || '.data'),
    dataDirIsDefault: (env['DATA_DIR']?.trim() ?? '') === '',
    host: env['HOST']?.trim() || '127.0.0.1',
    port: integer(env, 'PORT', 3000, 0, 65535),
    holdTtlSeconds: integer(env, 'HOLD_TTL_SECONDS', 300, 1, 86_400),
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS', 30, 0, 86_400),
    maxSeatsPerUser: integer(env, 'MAX_SEATS_PER_USER', 10, 1, 1000),
    maxSeatsPerHall: integer(env, 'MAX_SEATS_PER_HALL', DEFAULT_MAX_SEATS_PER_HALL, 1, 100_000),
    adminUsername,
    adminPassword,
    logLevel,
    webConcurrency: integer(env, 'WEB_CONCURRENCY', DEFAULT_WEB_CONCURRENCY, 1, 64),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 20, 1, 1_000),
    writeConcurrency: integer(env, 'SEAT_WRITE_CONCURRENCY', 2, 1, 100),
    requestTimeoutSeconds,
    headersTimeoutSeconds,
    keepAliveTimeoutSeconds: integer(env, 'KEEP_ALIVE_TIMEOUT_SECONDS', 72, 1, 3_600),
    maxConnections: integer(env, 'MAX_CONNECTIONS', DEFAULT_MAX_CONNECTIONS, 1, 1_000_000),
    metricsToken,
    sseMaxStreams: integer(env, 'SSE_MAX_STREAMS', 20_000, 1, 1_000_000),
    sseMaxStreamsPerClient: integer(env, 'SSE_MAX_STREAMS_PER_CLIENT', 20, 1, 1_000_000),
    sseMaxLifetimeSeconds: integer(env, 'SSE_MAX_LIFETIME_SECONDS', 3_600, 1, 604_800),
    listenerPingSeconds: integer(env, 'LISTENER_PING_SECONDS', 10, 1, 3_600),
    payments: payments(env),
    trustProxy: trustProxy(env),
    loginLimits: Object.freeze({
      failuresPerUsername: integer(env, 'LOGIN_FAILURES_PER_USERNAME', 10, 1, 1_000_000),
      failuresPerAddress: integer(env, 'LOGIN_FAILURES_PER_ADDRESS', 100, 1, 1_000_000),
      windowSeconds: integer(env, 'LOGIN_FAILURE_WINDOW_SECONDS', 900, 1, 86_400),
    }),
    passwordHashing: Object.freeze({
      concurrency: integer(env, 'PASSWORD_HASHING_CONCURRENCY', 2, 1, 64),
      queue: integer(env, 'PASSWORD_HASHING_QUEUE', 32, 0, 100_000),
    }),
    rateLimits: Object.freeze({
      enabled: onOff(env, 'RATE_LIMITS', true),
      loginPerMinute: integer(env, 'RATE_LIMIT_LOGIN_PER_MINUTE', 60, 1, 1_000_000),
      registerPerMinute: integer(env, 'RATE_LIMIT_REGISTER_PER_MINUTE', 5, 1, 1_000_000),
      seatWritesPerMinute: integer(env, 'RATE_LIMIT_SEAT_WRITES_PER_MINUTE', 120, 1, 1_000_000),
    }),
  });
}
