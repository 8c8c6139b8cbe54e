import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { validate as lintDockerfile, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

// Docker is not on the machines this is built on, so the deployment files are
// checked here instead of built: the Dockerfile by the linter of VS Code's
// Docker support (dockerfile-utils) plus the rules we hold it to, compose.yaml
// against the Compose Specification's own JSON schema (compose-spec.json,
// vendored from github.com/compose-spec/compose-spec, schema/compose-spec.json
// at 170098ba, Apache-2.0) and against our configuration parser. The same
// topology runs without containers in test/scale/pgbouncer.test.ts.

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

const strict: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

/** The instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(dockerfile: string): { keyword: string; args: string }[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('when linted, then it has no problem at all', () => {
    expect(lintDockerfile(dockerfile, strict).map((d) => `${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`)).toEqual([]);
  });

  it('control: the linter does flag a broken Dockerfile', () => {
    expect(lintDockerfile('from node:24\nWORKDIR app\nCMD node a.js\nCMD node b.js\n', strict).length).toBeGreaterThanOrEqual(3);
  });

  it('when read, then it builds in one stage and runs Node 24 as a non-root user from the exec form of CMD, with a health check', () => {
    const steps = instructions(dockerfile);
    const stages = steps.filter((s) => s.keyword === 'FROM');
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const finalStage = steps.slice(steps.lastIndexOf(stages.at(-1)!));
    expect(finalStage[0]!.args).toMatch(/^node:24[-.\w]*$/);
    const user = finalStage.filter((s) => s.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    expect(JSON.parse(finalStage.find((s) => s.keyword === 'CMD')!.args)).toEqual(['node', 'bin/boxoffice.js', 'start']);
    expect(finalStage.some((s) => s.keyword === 'HEALTHCHECK' && s.args.includes('/healthz'))).toBe(true);
    // The runtime stage copies what was built, not the build context.
    expect(finalStage.filter((s) => s.keyword === 'COPY').every((s) => s.args.startsWith('--from='))).toBe(true);
  });

  it('when the build context is listed, then node_modules, the data folder and git stay out of it', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', '.data']));
  });
});

describe('compose.yaml', () => {
  const compose = parseYaml(read('compose.yaml')) as {
    services: Record<string, { environment?: Record<string, string>; deploy?: { replicas?: number }; command?: string[]; image?: string; build?: string }>;
  };
  // The schema names draft-07 by an address Ajv does not know it by; its formats are not ours to check.
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false, validateFormats: false });
  const validCompose = ajv.compile(JSON.parse(read('test/deploy/compose-spec.json')) as object);

  it('when checked against the Compose Specification, then it is valid', () => {
    const valid = validCompose(compose);
    expect(validCompose.errors ?? [], ajv.errorsText(validCompose.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('control: the schema does refuse a malformed file', () => {
    expect(validCompose({ services: { app: { deploy: { replicas: 'three' }, ports: 8080 } } })).toBe(false);
    expect(validCompose({ services: { app: { image: 'x', enviroment: { A: '1' } } } })).toBe(false);
  });

  it('when read, then PostgreSQL, PgBouncer in transaction pooling, a one-shot migration, three app replicas and a proxy', () => {
    const { postgres, pgbouncer, migrate, app, proxy } = compose.services;
    expect(postgres?.image).toMatch(/^postgres:/);
    expect(pgbouncer?.environment?.['POOL_MODE']).toBe('transaction');
    expect(migrate?.command).toEqual(['node', 'bin/boxoffice.js', 'migrate']);
    expect(new URL(migrate!.environment!['DATABASE_URL']!).hostname).toBe('postgres');
    expect(app?.deploy?.replicas).toBe(3);
    expect(new URL(app!.environment!['DATABASE_URL']!).hostname).toBe('pgbouncer');
    expect(new URL(app!.environment!['LISTEN_DATABASE_URL']!).hostname).toBe('postgres');
    expect(proxy).toBeDefined();
  });

  it("when the app replicas' environment is parsed by the server's own configuration, then it is accepted", () => {
    const environment = compose.services['app']!.environment!;
    const config = loadConfig({ ...environment, HOST: '0.0.0.0' });
    expect(config.databaseUrl).toBe(environment['DATABASE_URL']);
    expect(config.listenDatabaseUrl).toBe(environment['LISTEN_DATABASE_URL']);
  });
});
