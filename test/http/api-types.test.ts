import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript of the web app's build (web/ has its own tsconfig); its JSDoc types are not read from here.
import { apiTypes, SCHEMA_FILE } from '../../web/api-types.js';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { runCli } from '../setup/cli.ts';

/**
 * The web app's API types are generated, never copied (STYLE.md): from the
 * document the server serves, by `npm run build`. Here they are generated
 * again from a live server's /openapi.json; a route schema changed without a
 * rebuild leaves web/src/api/schema.d.ts stale, and this fails. (CI also
 * fails when the committed file differs from what its build generated.)
 */
describe('the web app API types (web/src/api/schema.d.ts)', () => {
  let app: TestApp;
  let live: unknown;
  beforeAll(async () => {
    app = await startTestApp();
    const reply = await app.http.get('/openapi.json');
    expect(reply.status).toBe(200);
    live = reply.body;
  });
  afterAll(() => app.close());

  it('when the build asks `boxoffice openapi` for the document, then it is the one a running server serves, without any database', async () => {
    // A database URL where nothing listens: the command must not need one.
    const printed = await runCli(['openapi'], 'postgres://nobody@127.0.0.1:1/none');
    expect(printed.code, printed.stderr).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(live);
  });

  it('when the types are generated again from the live document, then they are exactly the committed ones', async () => {
    const generated = (await apiTypes(live)) as string;
    const committed = await readFile(SCHEMA_FILE as string, 'utf8');
    expect(committed === generated, 'web/src/api/schema.d.ts is stale: run `npm run build` and commit it').toBe(true);
  });
});
