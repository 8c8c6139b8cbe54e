import { request as httpRequest, type ClientRequest } from 'node:http';
import { createParser } from 'eventsource-parser';

export type StreamEvent = { event: string; id: string | undefined; data: any; receivedAt: number };

/**
 * A Server-Sent Events viewer over node:http, like a browser's EventSource
 * minus the reconnects: collects every event, and lets a test wait for one.
 */
export type EventStream = {
  status: number;
  contentType: string | undefined;
  events: StreamEvent[];
  /** The raw text received so far (to assert what is never in it). */
  raw(): string;
  /** Resolves with the first event (from the start) matching `match`, or rejects after `timeoutMs`. */
  next(match: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
};

export function openEventStream(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    const waiters = new Set<() => void>();
    let raw = '';
    let req: ClientRequest | undefined = undefined;
    const parser = createParser({
      onEvent: (message) => {
        let data: unknown = message.data;
        try {
          data = JSON.parse(message.data);
        } catch {
          // not JSON: keep the text
        }
        events.push({ event: message.event ?? 'message', id: message.id, data, receivedAt: performance.now() });
        waiters.forEach((wake) => wake());
      },
    });
    req = httpRequest(new URL(path, baseUrl), { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        parser.feed(chunk);
      });
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        contentType: res.headers['content-type'],
        events,
        raw: () => raw,
        next: (match, timeoutMs = 5_000) =>
          new Promise((found, fail) => {
            const check = (): boolean => {
              const hit = events.find(match);
              if (hit !== undefined) {
                waiters.delete(wake);
                clearTimeout(timer);
                found(hit);
                return true;
              }
              return false;
            };
            const wake = (): void => void check();
            const timer = setTimeout(() => {
              waiters.delete(wake);
              fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => [e.event, e.data]))}`));
            }, timeoutMs);
            waiters.add(wake);
            check();
          }),
        close: () => {
          req?.destroy();
          res.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
