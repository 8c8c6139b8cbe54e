/**
 * An audience for the SSE fan-out measurement: many viewers of one show's
 * `GET /api/shows/{id}/events`, over node:http, each with its own
 * eventsource-parser (as test/setup/event-stream.ts reads one stream), that
 * record when each viewer got the `seat` event of each watched seat.
 */
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createParser } from 'eventsource-parser';

export type Audience = {
  readonly size: number;
  /**
   * `arrivals[viewer * watched.length + change]`: performance.now() when that
   * viewer's socket delivered the `seat` event saying watched[change] is held;
   * NaN until then.
   */
  readonly arrivals: Float64Array;
  /** Watched changes received, over all viewers (complete at size × watched.length). */
  received(): number;
  /** `seat` events parsed, watched or not. */
  seatEvents(): number;
  /** Streams that ended or failed after their snapshot without us closing them. */
  dropped(): number;
  /** Closes every stream and socket; idempotent. */
  close(): void;
};

export type AudienceOptions = {
  baseUrl: string;
  showId: number;
  viewers: number;
  /** Seats whose `held` event is timed, in the order they will change. */
  watchedSeats: readonly number[];
  /** Seats every snapshot must list. */
  seatsPerShow: number;
  signal: AbortSignal;
};

/** Streams being opened at once: the server reads a 500-seat snapshot per viewer from a pool of 20. */
const CONNECTING_AT_ONCE = 100;
const SNAPSHOT_TIMEOUT_MS = 30_000;

type SeatData = { seat_id?: unknown; status?: unknown };
type SnapshotData = { show_id?: unknown; seats?: unknown };

/** An event's data as JSON; {} when it is not (which then matches nothing and is counted as missed). */
function parseData(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Connects `viewers` viewers and resolves once every one of them got its
 * snapshot; rejects (having closed whatever it opened) when one does not.
 */
export async function connectAudience(options: AudienceOptions): Promise<Audience> {
  const { baseUrl, showId, viewers, watchedSeats, seatsPerShow, signal } = options;
  const width = watchedSeats.length;
  const changeOf = new Map(watchedSeats.map((seatId, index) => [seatId, index]));
  const arrivals = new Float64Array(viewers * width).fill(Number.NaN);
  // One socket per viewer: a stream never gives its socket back to the agent.
  const agent = new Agent({ keepAlive: true, maxSockets: viewers, maxFreeSockets: 0 });
  const requests = new Set<ClientRequest>();
  const { hostname, port } = new URL(baseUrl);
  let received = 0;
  let seatEvents = 0;
  let dropped = 0;
  let closing = false;

  const close = (): void => {
    closing = true;
    for (const req of requests) {
      req.destroy();
    }
    requests.clear();
    agent.destroy();
  };
  signal.addEventListener('abort', close, { once: true });

  const openViewer = (viewer: number): Promise<void> =>
    new Promise((resolve, reject) => {
      let snapshotSeen = false;
      let chunkArrivedAt = 0;
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      const parser = createParser({
        onEvent: (message) => {
          if (message.event === 'seat') {
            seatEvents++;
            const data: SeatData = parseData(message.data);
            const change = typeof data.seat_id === 'number' ? changeOf.get(data.seat_id) : undefined;
            const slot = viewer * width + (change ?? 0);
            if (change !== undefined && data.status === 'held' && Number.isNaN(arrivals[slot])) {
              arrivals[slot] = chunkArrivedAt;
              received++;
            }
          } else if (message.event === 'snapshot' && !snapshotSeen) {
            const data: SnapshotData = parseData(message.data);
            if (data.show_id !== showId || !Array.isArray(data.seats) || data.seats.length !== seatsPerShow) {
              fail(new Error(`viewer ${viewer}: the snapshot is not the ${seatsPerShow} seats of show ${showId}`));
              return;
            }
            snapshotSeen = true;
            clearTimeout(timer);
            resolve();
          }
        },
      });
      const onResponse = (res: IncomingMessage): void => {
        if (res.statusCode !== 200 || !(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          res.resume();
          fail(new Error(`viewer ${viewer}: HTTP ${res.statusCode} ${res.headers['content-type'] ?? ''}, not an event stream`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          // Every event of this chunk counts as arrived when the chunk did.
          chunkArrivedAt = performance.now();
          parser.feed(chunk);
        });
        const ended = (): void => {
          if (!snapshotSeen) {
            fail(new Error(`viewer ${viewer}: the stream ended before its snapshot`));
          } else if (!closing) {
            dropped++;
          }
        };
        res.on('close', ended);
        res.on('error', () => undefined); // 'close' follows and counts it
      };
      const req = request({ hostname, port, path: `/api/shows/${showId}/events`, headers: { accept: 'text/event-stream' }, agent }, onResponse);
      requests.add(req);
      req.on('close', () => requests.delete(req));
      req.on('error', (error) => {
        if (!snapshotSeen) {
          fail(error);
        } else if (!closing) {
          dropped++;
        }
      });
      const timer = setTimeout(() => req.destroy(new Error(`viewer ${viewer}: no snapshot within ${SNAPSHOT_TIMEOUT_MS} ms`)), SNAPSHOT_TIMEOUT_MS);
      req.end();
    });

  let next = 0;
  const connector = async (): Promise<void> => {
    while (next < viewers && !closing) {
      await openViewer(next++);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONNECTING_AT_ONCE, viewers) }, connector));
    signal.throwIfAborted();
  } catch (error) {
    close();
    throw error;
  }
  return {
    size: viewers,
    arrivals,
    received: () => received,
    seatEvents: () => seatEvents,
    dropped: () => dropped,
    close,
  };
}
