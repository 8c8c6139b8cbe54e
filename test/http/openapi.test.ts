import { channel } from 'node:diagnostics_channel';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance, RouteOptions } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { testConfig } from '../setup/app.ts';
import { createTestDatabase, type TestDatabase } from '../setup/database.ts';
import { httpClient, type HttpClient } from '../setup/http.ts';

/**
 * SPEC §6: GET /openapi.json is a valid OpenAPI 3.1 document generated from
 * the route schemas, it documents every route the app serves (so a new route
 * without a schema fails here), and GET /docs serves the interactive UI.
 */

type Operation = {
  tags?: string[];
  summary?: string;
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: unknown;
  security?: Record<string, string[]>[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: any }> }>;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
};

// Served by the app but not part of the API: the docs UI's assets, the document itself, the scrape endpoint.
const notApi = (url: string) => url === '/docs' || url.startsWith('/docs/') || url === '/openapi.json' || url === '/metrics';

let database: TestDatabase;
let app: FastifyInstance;
let http: HttpClient;
let routes: { method: string; url: string }[];
let doc: Document;

beforeAll(async () => {
  // Fastify announces each new instance on this channel before any plugin runs, so an
  // onRoute hook added here sees every route buildApp registers, without a test seam in src/.
  const registered: RouteOptions[] = [];
  const initialization = channel('fastify.initialization');
  const watch = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => void registered.push(route));
  };
  initialization.subscribe(watch);
  database = await createTestDatabase();
  try {
    app = await buildApp({ config: testConfig(), db: database.db, logger: pino({ level: 'silent' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
  } finally {
    initialization.unsubscribe(watch);
  }
  const all = registered.flatMap((route) => (Array.isArray(route.method) ? route.method : [route.method]).map((method) => ({ method, url: route.url })));
  // Fastify adds a HEAD twin to every GET route; it is the same operation.
  routes = all.filter(({ method, url }) => !notApi(url) && !(method === 'HEAD' && all.some((r) => r.method === 'GET' && r.url === url)));
  const address = app.server.address();
  http = httpClient(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`);
  const reply = await http.get('/openapi.json');
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  doc = reply.body;
});
afterAll(async () => {
  http.agent.destroy();
  await app.close();
  await database.drop();
});

/** Fastify's `/api/showtimes/:id` is OpenAPI's `/api/showtimes/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function operations(): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
}

describe('GET /openapi.json', () => {
  it('then it is a valid OpenAPI 3.1 document whose $refs resolve', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator({ strict: false });
    const result = await validator.validate(doc);
    expect(result.errors, JSON.stringify(result.errors, null, 2)).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('when the routes are collected, then the known ones are among them (the collection works)', () => {
    const names = routes.map((r) => `${r.method} ${r.url}`);
    expect(names).toEqual(expect.arrayContaining(['GET /healthz', 'GET /api/hall-layout/:show_id/', 'POST /api/hold-seat/', 'POST /api/book-seat/']));
    expect(routes.length).toBeGreaterThan(10);
  });

  it('then every registered route is documented with its method, and nothing else is', () => {
    const documented = operations().map(({ method, path }) => `${method} ${path}`).sort();
    const served = routes.map(({ method, url }) => `${method} ${openApiPath(url)}`).sort();
    expect(served.filter((route) => !documented.includes(route)), 'routes missing from the document').toEqual([]);
    expect(documented.filter((route) => !served.includes(route)), 'documented operations no route serves').toEqual([]);
  });

  it('then every operation has a summary, a tag and a 2xx answer with a schema (204: none)', () => {
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op.summary, where).toEqual(expect.any(String));
      expect(op.tags?.length, where).toBeGreaterThan(0);
      const success = Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status));
      expect(success.length, `${where} has no 2xx`).toBeGreaterThan(0);
      for (const status of success) {
        if (status !== '204') {
          // JSON, or another media type for a route that streams (SSE).
          const schemas = Object.values(op.responses[status]?.content ?? {}).map((media) => media.schema);
          expect(schemas.length > 0 && schemas.every((schema) => schema !== undefined), `${where} ${status} has no schema`).toBe(true);
        }
      }
    }
  });

  it('then every operation documents the errors its shape implies, each as {detail}', () => {
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      const statuses = Object.keys(op.responses);
      const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
      const expected = ['503'];
      if (op.requestBody !== undefined) {
        expected.push('400', '413', '415');
      }
      if ((op.parameters ?? []).length > 0) {
        expected.push('400');
      }
      if (pathParams.length > 0) {
        expected.push('404');
      }
      // Required authentication ({} among the alternatives means anonymous is fine too).
      if (op.security !== undefined && !op.security.some((alternative) => Object.keys(alternative).length === 0)) {
        expected.push('401');
      }
      expect(statuses, where).toEqual(expect.arrayContaining(expected));

      for (const status of statuses.filter((s) => /^[45]\d\d$/.test(s))) {
        const schema = op.responses[status]?.content?.['application/json']?.schema;
        expect(schema, `${where} ${status}`).toMatchObject({ type: 'object', required: expect.arrayContaining(['detail']) });
        expect(schema.properties.detail, `${where} ${status}`).toMatchObject({ type: 'string' });
        expect(op.responses[status]?.description, `${where} ${status}`).not.toBe('Default Response');
      }
    }
  });

  it('then every {parameter} of a path is declared as a required path parameter, and every security scheme exists', () => {
    for (const { method, path, op } of operations()) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual(inPath.sort());
      expect(declared.every((p) => p.required === true), `${method} ${path}`).toBe(true);
      for (const name of (op.security ?? []).flatMap((alternative) => Object.keys(alternative))) {
        expect(doc.components.securitySchemes[name], `${method} ${path}: ${name}`).toBeDefined();
      }
    }
  });
});

describe('GET /docs', () => {
  it('then the interactive UI is served, reading the same document', async () => {
    const page = await http.get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui');
    const initializer = await http.get('/docs/static/swagger-initializer.js');
    expect(initializer.status).toBe(200);
    const uiDocument = await http.get('/docs/json');
    expect(uiDocument.body).toEqual(doc);
  });
});
