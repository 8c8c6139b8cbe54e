import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { openEventStream } from '../setup/event-stream.ts';
import { createShow } from '../setup/factories.ts';

/**
 * Large answers go compressed to clients that ask (src/http/compression.ts);
 * small ones and event streams never are.
 */
let app: TestApp;
let showId: number;

beforeAll(async () => {
  app = await startTestApp();
  showId = (await createShow(app.db)).showId;
});
afterAll(() => app.close());

type Raw = { status: number; encoding: string | undefined; body: Buffer };

/** One GET with the given Accept-Encoding; the body as it came over the wire. */
function rawGet(path: string, acceptEncoding: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, app.baseUrl), { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const decoded = (raw: Raw): string =>
  (raw.encoding === 'br' ? brotliDecompressSync(raw.body) : raw.encoding === 'gzip' ? gunzipSync(raw.body) : raw.body).toString('utf8');

describe('compressed answers', () => {
  it.each(['br', 'gzip'])('when a client accepts %s, then the OpenAPI document comes compressed with it and reads the same', async (encoding) => {
    const plain = await rawGet('/openapi.json', 'identity');
    const packed = await rawGet('/openapi.json', `${encoding}, deflate`);
    expect(plain.encoding).toBeUndefined();
    expect(packed.status).toBe(200);
    expect(packed.encoding).toBe(encoding);
    expect(packed.body.length).toBeLessThan(plain.body.length / 3);
    expect(JSON.parse(decoded(packed))).toEqual(JSON.parse(plain.body.toString('utf8')));
  });

  it("when an answer is small, then it is sent as it is: compressing it would cost more than it saves", async () => {
    const reply = await rawGet('/healthz', 'br, gzip');
    expect(reply.status).toBe(200);
    expect(reply.encoding).toBeUndefined();
    expect(JSON.parse(reply.body.toString('utf8'))).toEqual({ status: 'ok' });
  });

  it('when a client accepting gzip and br opens an event stream, then it is not compressed: the snapshot arrives at once as text', async () => {
    const stream = await openEventStream(app.baseUrl, `/api/shows/${showId}/events`, { 'accept-encoding': 'br, gzip' });
    try {
      expect(stream.status).toBe(200);
      const snapshot = await stream.next((event) => event.event === 'snapshot', 3_000);
      expect(snapshot.data.show_id).toBe(showId);
    } finally {
      stream.close();
    }
  });
});
