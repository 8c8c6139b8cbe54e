import { constants } from 'node:zlib';
import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/**
 * Large answers (a week of showtimes, the OpenAPI document, the web app's
 * scripts) go compressed to clients that ask, brotli or gzip; answers under
 * 1 KiB are sent as they are (compressing them costs more than it saves).
 * Brotli at quality 4: near gzip's speed, smaller output; quality 11 (the
 * default) would cost tens of milliseconds of CPU per answer. Layouts come
 * compressed from the layout cache already (their Content-Encoding is set,
 * so they pass through), seat writes never are (their answers are a few
 * hundred bytes; the routes say `compress: false`), and event streams are
 * never compressed (their
 * route says `compress: false`): a compressor would hold events back.
 */
export async function registerCompression(app: FastifyInstance): Promise<void> {
  await app.register(compress, {
    global: true,
    threshold: 1024,
    encodings: ['br', 'gzip'],
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
}
