import { Agent, request as httpRequest } from 'node:http';

export type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: any; text: string };

export type RequestOptions = { token?: string; headers?: Record<string, string>; rawBody?: string };

/**
 * A small HTTP client over node:http with its own keep-alive agent, so that
 * concurrency tests can open their connections first and then release every
 * request in the same tick.
 */
export function httpClient(baseUrl: string, agent = new Agent({ keepAlive: true, maxSockets: 256 })) {
  function send(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<Reply> {
    const payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined && headers['content-type'] === undefined) {
      headers['content-type'] = 'application/json';
    }
    if (options.token !== undefined) {
      headers['authorization'] = `Bearer ${options.token}`;
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest(new URL(path, baseUrl), { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = undefined;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (payload !== undefined) {
        req.write(payload);
      }
      req.end();
    });
  }
  return {
    agent,
    send,
    get: (path: string, options?: RequestOptions) => send('GET', path, undefined, options),
    post: (path: string, body?: unknown, options?: RequestOptions) => send('POST', path, body, options),
    /** Opens `count` keep-alive connections, so a burst that follows needs no handshakes. */
    warm: async (count: number) => {
      await Promise.all(Array.from({ length: count }, () => send('GET', '/healthz')));
    },
  };
}

export type HttpClient = ReturnType<typeof httpClient>;
