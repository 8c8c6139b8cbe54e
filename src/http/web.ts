import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build` (vite) puts the web app. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths that belong to the server, never to the web app: their misses stay JSON 404s. */
const serverPaths = /^\/(?:api|docs)(?:\/|$)|^\/(?:openapi\.json|metrics|healthz)\/?$/;

/** Vite names files under assets/ by their content hash, so they can be cached for good. */
const IMMUTABLE_ASSETS = '/assets/';
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Boxoffice: web app not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The web app is not built yet</h1>
<p>Run <code>npm run build</code> in the project folder, then reload this page.
The API is running: see <a href="/docs">the API documentation</a>.</p>
</body></html>
`;

/** The file under `root` a URL path names, or undefined when it names nothing there (or tries to leave root). */
async function fileFor(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.split('/').some((segment) => segment === '..')) {
    return undefined;
  }
  const base = path.resolve(root);
  const file = path.resolve(base, `.${decoded}`);
  if (!file.startsWith(base + path.sep)) {
    return undefined;
  }
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() === true ? path.relative(base, file) : undefined;
}

const wantsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

/**
 * Serves the built web app (web/dist) at `/`, without adding routes: the API's
 * routes, its OpenAPI document and its JSON 404/405 answers stay exactly as
 * they are. A GET that no route matched gets the file it names, or, when a
 * browser asks for a page (Accept: text/html), index.html, so that the app's
 * own paths (/shows/7) survive a reload. Anything else falls through to the
 * JSON 404.
 *
 * When the app has not been built, the server says so in one log line and
 * serves the API alone; a browser asking for a page gets a short page saying
 * how to build it. The check is repeated per page request, so a build made
 * while the server runs is picked up without a restart.
 */
export async function registerWeb(app: FastifyInstance, { root = WEB_ROOT }: { root?: string } = {}): Promise<void> {
  const index = path.join(root, 'index.html');
  if (!existsSync(index)) {
    const shown = path.relative(process.cwd(), index);
    app.log.warn(`The web app is not built (${shown.startsWith('..') ? index : shown} is missing); serving the API only. Run "npm run build" to build it.`);
  }
  // serve: false: only reply.sendFile (etags, ranges, content types), no routes of its own.
  // suppressWarning: a missing root is said once, above, in our words.
  await app.register(fastifyStatic, { root, serve: false, index: false, cacheControl: false, suppressWarning: true });

  const send = (reply: FastifyReply, file: string, immutable: boolean): FastifyReply =>
    reply
      .header('cache-control', immutable ? `public, max-age=${YEAR_MS / 1000}, immutable` : 'no-cache')
      .sendFile(file, root, { maxAge: 0, immutable: false, cacheControl: false });

  // Runs before authentication (it is registered before it), so files are served without a session lookup.
  app.addHook('onRequest', async (request, reply) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || request.routeOptions.url !== undefined) {
      return;
    }
    const urlPath = request.url.split('?')[0] ?? '/';
    if (serverPaths.test(urlPath)) {
      return;
    }
    // The root is the app's front door whatever the client accepts (curl sends */*).
    const file = urlPath === '/' ? (existsSync(index) ? 'index.html' : undefined) : await fileFor(root, urlPath);
    if (file !== undefined) {
      // Returning the reply makes Fastify wait until the file has been sent.
      return send(reply, file, urlPath.startsWith(IMMUTABLE_ASSETS));
    }
    if (!wantsHtml(request)) {
      return;
    }
    if (!existsSync(index)) {
      return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(notBuiltPage);
    }
    return send(reply, 'index.html', false);
  });
}
