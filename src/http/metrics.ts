import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { poolStats, type Database } from '../db/database.ts';
import type { ReadDatabase } from '../db/replica.ts';
import { AppError } from '../shared/errors.ts';

/** The label of requests no route matched (404, 405): raw URLs would make one time series per typo. */
export const UNMATCHED_ROUTE = 'unmatched';

export const metricsErrors = {
  tokenMissing: 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>" to read /metrics.',
  notLoopback: '/metrics is served only to this machine (127.0.0.1 or ::1) when METRICS_TOKEN is unset; set METRICS_TOKEN to scrape it from elsewhere.',
} as const;

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Both hashed to one length first, so the comparison takes the same time whatever the guess. */
function hasToken(request: FastifyRequest, token: string): boolean {
  const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * The peer is this machine and no proxy relayed the request: a reverse proxy
 * on the same host connects from loopback too, but adds X-Forwarded-For or
 * Forwarded (behind one that does not, set METRICS_TOKEN). The socket's own
 * address, never request.ip, which TRUST_PROXY may take from a header.
 */
function fromLoopbackDirectly(request: FastifyRequest): boolean {
  const peer = request.raw.socket.remoteAddress ?? '';
  const loopback = peer === '::1' || /^(?:::ffff:)?127\./.test(peer);
  return loopback && request.headers['x-forwarded-for'] === undefined && request.headers.forwarded === undefined;
}

/** What the domains report after their transaction committed (STYLE §6); nothing here knows a domain. */
export type Metrics = {
  seatsHeld(count: number): void;
  seatsBooked(count: number): void;
  /** One call of a seat function: how many requests it carried (group commit). */
  seatWriteBatch(kind: 'hold' | 'book', size: number): void;
  /** How a checkout ended: paid (in its window, or late), refunded (paid for seats that were gone), expired, cancelled. */
  orderOutcome(outcome: 'paid' | 'late_paid' | 'refunded' | 'expired' | 'cancelled'): void;
};

/**
 * GET /metrics in the Prometheus text format, from a registry of this app's
 * own: tests build several apps in one process, and prom-client's global
 * registry would mix their numbers and refuse the second registration.
 */
export async function registerMetrics(app: FastifyInstance, { db, readDb, token }: { db: Database; readDb?: ReadDatabase; token: string | undefined }): Promise<Metrics> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer, by route pattern and status.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const holds = new Counter({
    name: 'boxoffice_holds_total',
    help: 'Seats held by successful hold requests (a re-hold of a seat one already holds counts again).',
    registers: [registry],
  });
  const bookings = new Counter({
    name: 'boxoffice_bookings_total',
    help: 'Seats booked (a retried booking answered 200 books nothing and counts nothing).',
    registers: [registry],
  });
  const conflicts = new Counter({
    name: 'boxoffice_conflicts_total',
    help: 'Requests answered 409, by the machine-readable reason of the error (held, booked, sales_closed, cancelled, seat_limit).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const orderOutcomes = new Counter({
    name: 'boxoffice_orders_total',
    help: 'Checkouts that ended, by outcome: paid, late_paid (after the window, seats still free), refunded (paid for seats that were gone), expired, cancelled.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'boxoffice_seat_write_batch_size',
    help: 'Requests per call of the hold or book function: 1 when idle, more when requests waited and went together (group commit).',
    labelNames: ['kind'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [registry],
  });
  new Gauge({
    name: 'boxoffice_db_pool_connections',
    help: 'Database pool connections: total open, idle, and requests waiting for one.',
    labelNames: ['state'] as const,
    registers: [registry],
    // Read at scrape time, so an outage shows in the next scrape without any query.
    collect() {
      const stats = poolStats(db);
      if (stats !== undefined) {
        this.set({ state: 'total' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      }
    },
  });

  if (readDb?.configured === true) {
    new Gauge({
      name: 'boxoffice_replica_lag_seconds',
      help: 'How far the read replica (READ_DATABASE_URL) is behind the primary, as last measured; NaN while it cannot be measured (replica unreachable).',
      registers: [registry],
      collect() {
        this.set(readDb.lagSeconds() ?? Number.NaN);
      },
    });
    new Gauge({
      name: 'boxoffice_replica_in_use',
      help: '1 while catalog reads go to the read replica, 0 while they go to the primary (replica unreachable or behind REPLICA_MAX_LAG_SECONDS).',
      registers: [registry],
      collect() {
        this.set(readDb.usingReplica() ? 1 : 0);
      },
    });
  }

  app.addHook('onResponse', async (request, reply) => {
    requestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  // A 409 is thrown after its transaction rolled back: nothing was written, the refusal itself is the event.
  app.addHook('onError', async (_request, _reply, error) => {
    if (error instanceof AppError && error.status === 409 && error.code !== undefined) {
      conflicts.inc({ reason: error.code });
    }
  });
  app.addHook('onClose', async () => {
    registry.clear();
  });

  // Metrics name routes, counts and process internals: not for every visitor (docs/operations.md).
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (token !== undefined && !hasToken(request, token)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new AppError(401, metricsErrors.tokenMissing);
    }
    if (token === undefined && !fromLoopbackDirectly(request)) {
      throw new AppError(403, metricsErrors.notLoopback);
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  return {
    seatsHeld: (count) => holds.inc(count),
    seatsBooked: (count) => bookings.inc(count),
    seatWriteBatch: (kind, size) => batchSize.observe({ kind }, size),
    orderOutcome: (outcome) => orderOutcomes.inc({ outcome }),
  };
}
