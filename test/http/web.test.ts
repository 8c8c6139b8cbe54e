import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerNotFound } from '../../src/http/not-found.ts';
import { registerWeb } from '../../src/http/web.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { httpClient, type HttpClient } from '../setup/http.ts';

/**
 * SPEC §7: the web app is served at `/` by the same server. Files of the build
 * are served as they are; a browser asking for one of the app's own pages
 * gets index.html; everything the server owns (/api, /docs, …) keeps its JSON
 * answers, and no route is added (so the OpenAPI document is unchanged).
 */

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** The pieces of the app that decide what an unmatched request gets, over a build of our own. */
async function serve(root: string): Promise<{ app: FastifyInstance; http: HttpClient }> {
  const app = Fastify() as unknown as FastifyInstance;
  registerNotFound(app);
  await registerWeb(app, { root });
  app.get('/api/ping/', async () => ({ pong: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { app, http: httpClient(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`) };
}

describe('a built web app', () => {
  let dir: string;
  let built: { app: FastifyInstance; http: HttpClient };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-web-'));
    await mkdir(path.join(dir, 'dist/assets'), { recursive: true });
    await writeFile(path.join(dir, 'dist/index.html'), '<!doctype html><title>Boxoffice</title><div id="root"></div>');
    await writeFile(path.join(dir, 'dist/assets/index-abc123.js'), 'console.log("app");');
    await writeFile(path.join(dir, 'dist/favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(path.join(dir, 'secret.txt'), 'outside the build');
    built = await serve(path.join(dir, 'dist'));
  });
  afterAll(async () => {
    built.http.agent.destroy();
    await built.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('when a browser asks for /, then index.html, revalidated on every visit', async () => {
    const reply = await built.http.get('/', { headers: html });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    expect(reply.headers['cache-control']).toBe('no-cache');
    expect(reply.text).toContain('<div id="root">');
  });

  it('when any client (curl: Accept */*) asks for /, then index.html too', async () => {
    const reply = await built.http.get('/', { headers: { accept: '*/*' } });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('<div id="root">');
  });

  it('when a browser asks for one of the app’s pages (a reload of /shows/7), then index.html', async () => {
    for (const page of ['/shows/7', '/login?next=%2Fshows%2F7', '/staff/reports/3', '/confirmation/7KQ2M9XD']) {
      const reply = await built.http.get(page, { headers: html });
      expect(reply.status, page).toBe(200);
      expect(reply.text, page).toContain('<div id="root">');
    }
  });

  it('when a hashed asset is asked for, then the file, cacheable for a year', async () => {
    const reply = await built.http.get('/assets/index-abc123.js');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/javascript/);
    expect(reply.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(reply.text).toBe('console.log("app");');
  });

  it('when another file of the build is asked for, then it is served and revalidated', async () => {
    const reply = await built.http.get('/favicon.svg');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(reply.headers['cache-control']).toBe('no-cache');
  });

  it('when a missing file or a non-page is asked for, then the JSON 404', async () => {
    for (const [url, headers] of [
      ['/assets/missing.js', {}],
      ['/shows/7', { accept: 'application/json' }],
    ] as const) {
      const reply = await built.http.get(url, { headers });
      expect(reply.status, url).toBe(404);
      expect(reply.body, url).toEqual({ detail: 'Not found.' });
    }
  });

  it('when an unknown /api path is asked for by a browser, then still the JSON 404, and API routes still answer', async () => {
    for (const url of ['/api/nope', '/api/hall-layout/', '/api', '/docs/nope']) {
      const reply = await built.http.get(url, { headers: html });
      expect(reply.status, url).toBe(404);
      expect(reply.body, url).toEqual({ detail: 'Not found.' });
    }
    const ping = await built.http.get('/api/ping/', { headers: html });
    expect(ping.body).toEqual({ pong: true });
  });

  it('when a path tries to leave the build folder, then nothing outside it is served', async () => {
    for (const url of ['/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const reply = await built.http.get(url);
      expect(reply.status, url).toBe(404);
      expect(reply.text, url).not.toContain('outside the build');
    }
  });

  it('when a page is posted to, then 404 JSON (the web app is GET only)', async () => {
    const reply = await built.http.post('/shows/7', {}, { headers: html });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ detail: 'Not found.' });
  });
});

describe('a web app that was not built', () => {
  let dir: string;
  let bare: { app: FastifyInstance; http: HttpClient };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'boxoffice-web-'));
    bare = await serve(path.join(dir, 'dist'));
  });
  afterAll(async () => {
    bare.http.agent.destroy();
    await bare.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('when a browser asks for a page, then a 503 page that says how to build it, and the API still answers', async () => {
    const page = await bare.http.get('/', { headers: html });
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('npm run build');
    expect((await bare.http.get('/api/ping/')).body).toEqual({ pong: true });
    expect((await bare.http.get('/api/nope', { headers: html })).status).toBe(404);
  });

  it('when it is built while the server runs, then the next page request serves it', async () => {
    await mkdir(path.join(dir, 'dist'), { recursive: true });
    await writeFile(path.join(dir, 'dist/index.html'), '<!doctype html><title>now built</title>');
    const page = await bare.http.get('/shows/1', { headers: html });
    expect(page.status).toBe(200);
    expect(page.text).toContain('now built');
  });
});

describe('the app as buildApp assembles it', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    app.http.agent.destroy();
    await app.close();
  });

  it('when a browser asks for an unknown API path or the wrong method, then the API’s own JSON answers', async () => {
    const missing = await app.http.get('/api/nope', { headers: html });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: 'Not found.' });
    const wrongMethod = await app.http.get('/api/hold-seat/', { headers: html });
    expect(wrongMethod.status).toBe(405);
  });

  it('when a browser asks for a page, then it gets HTML (the app, or how to build it)', async () => {
    const page = await app.http.get('/shows/1', { headers: html });
    expect([200, 503]).toContain(page.status);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
  });
});
