import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * One LISTEN connection per process, shared by every domain that hears
 * PostgreSQL notifications (seat events, session revocations). When it drops
 * (a database restart), it reconnects with backoff and tells every
 * `onReconnect` handler, since notifications sent while it was away are gone:
 * whatever was kept current by them must be read again.
 */
export type Listener = {
  /** Calls `handler` with the payload of every notification on `channel` (one of those the listener was started with). */
  on(channel: string, handler: (payload: string) => void): void;
  /** Calls `handler` after every reconnect (not the first connect). */
  onReconnect(handler: () => void): void;
  /** True while the connection is up: only then is state fed by notifications current. */
  isListening(): boolean;
  /** Resolves once the connection is up (for tests and startup ordering). */
  ready(): Promise<void>;
  /**
   * Resolves once every notification committed before this call has been
   * handled: a notification of our own is delivered after them, in commit
   * order. A barrier for tests and tools that write outside the service.
   */
  flush(): Promise<void>;
  close(): Promise<void>;
};

const FLUSH_CHANNEL = 'boxoffice_flush';

export type ListenerOptions = {
  /**
   * How often the connection is pinged, and how long a ping may go
   * unanswered before the connection is taken for dead.
   */
  pingIntervalMs: number;
};

/**
 * A LISTEN connection only ever receives, so a connection that died without
 * a FIN or RST (a NAT or firewall forgot it, the database host vanished, a
 * network partition) looks exactly like a quiet one: no error, and every
 * change missed for good. Two guards: TCP keepalive (the kernel notices a
 * peer that stopped answering after some minutes), and our own ping, a
 * `SELECT 1` that must come back within `pingIntervalMs` (a peer whose
 * kernel still ACKs but whose backend is gone or stuck). A failed ping
 * destroys the socket, and the usual reconnect follows: `onReconnect`
 * handlers read their state again, so viewers get a fresh snapshot.
 */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

export function startListener(config: pg.ClientConfig, channels: readonly string[], log: Logger, options: ListenerOptions = { pingIntervalMs: 10_000 }): Listener {
  const handlers = new Map<string, ((payload: string) => void)[]>();
  const reconnectHandlers: (() => void)[] = [];
  const flushes = new Map<string, () => void>();
  let client: pg.Client | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let readyResolve: (() => void) | undefined;
  let readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));
  let everConnected = false;
  let pingTimer: NodeJS.Timeout | undefined;

  const ping = async (): Promise<void> => {
    const current = client;
    if (current === undefined || closed) {
      return;
    }
    let timeout: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      current.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => (timeout = setTimeout(() => resolve(false), options.pingIntervalMs))),
    ]);
    clearTimeout(timeout);
    if (!answered && client === current && !closed) {
      log.warn({ timeoutMs: options.pingIntervalMs }, 'the notification listener did not answer a ping; dropping its connection and reconnecting');
      // end() would wait for the peer to answer our goodbye, which a half-open peer never does.
      current.connection.stream.destroy();
    }
  };
  const schedulePing = (): void => {
    pingTimer = setTimeout(() => {
      void ping().finally(() => {
        if (!closed) {
          schedulePing();
        }
      });
    }, options.pingIntervalMs);
    pingTimer.unref();
  };

  const connect = async (attempt: number): Promise<void> => {
    if (closed) {
      return;
    }
    const next = new pg.Client({ ...config, keepAlive: true, keepAliveInitialDelayMillis: config.keepAliveInitialDelayMillis ?? KEEPALIVE_INITIAL_DELAY_MS });
    next.on('notification', ({ channel, payload = '' }) => {
      if (channel === FLUSH_CHANNEL) {
        flushes.get(payload)?.();
        return;
      }
      for (const handler of handlers.get(channel) ?? []) {
        handler(payload);
      }
    });
    next.on('error', (error) => log.warn({ err: error }, 'the notification listener lost its connection'));
    next.on('end', () => {
      if (client === next) {
        client = undefined;
        readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));
        scheduleReconnect(1);
      }
    });
    try {
      await next.connect();
      await next.query([...channels, FLUSH_CHANNEL].map((channel) => `LISTEN ${channel};`).join(' '));
      if (closed) {
        await next.end();
        return;
      }
      client = next;
      if (everConnected) {
        log.info('the notification listener reconnected; cached state is read again');
        reconnectHandlers.forEach((handler) => handler());
      }
      everConnected = true;
      readyResolve?.();
    } catch (error) {
      await next.end().catch(() => undefined);
      log.warn({ err: error, attempt }, 'the notification listener cannot connect yet; retrying');
      scheduleReconnect(attempt + 1);
    }
  };

  const scheduleReconnect = (attempt: number): void => {
    if (closed) {
      return;
    }
    retryTimer = setTimeout(() => void connect(attempt), Math.min(200 * 2 ** attempt, 5_000));
    retryTimer.unref();
  };

  void connect(0);
  schedulePing();

  return {
    on(channel, handler) {
      if (!channels.includes(channel)) {
        throw new Error(`the listener was not started for channel ${channel}`);
      }
      handlers.set(channel, [...(handlers.get(channel) ?? []), handler]);
    },
    onReconnect(handler) {
      reconnectHandlers.push(handler);
    },
    isListening: () => client !== undefined,
    ready: () => readyPromise,
    async flush() {
      await readyPromise;
      const token = randomUUID();
      const delivered = new Promise<void>((resolve) => flushes.set(token, resolve));
      try {
        await client?.query('SELECT pg_notify($1, $2)', [FLUSH_CHANNEL, token]);
        await delivered;
      } finally {
        flushes.delete(token);
      }
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(pingTimer);
      handlers.clear();
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
