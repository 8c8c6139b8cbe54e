/** `npm run bench -- [options]`: parsed once, checked, frozen. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

export const SCENARIOS = ['hold', 'book', 'hot', 'layout500', 'layout2000', 'mix', 'sse', 'workers'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export type Options = Readonly<{
  seconds: number;
  connections: number;
  viewers: number;
  /** WEB_CONCURRENCY for the server; undefined leaves the server's default. */
  workers: number | undefined;
  only: ReadonlySet<ScenarioId>;
  /** The checkout whose `bin/boxoffice.js start` serves the HTTP half. */
  serverDir: string;
  /** True when --server-dir named another checkout (a baseline). */
  baseline: boolean;
}>;

export const USAGE = `Usage: npm run bench -- [--seconds 10] [--connections 64] [--viewers 10000] [--workers N]
                       [--only ${SCENARIOS.join(',')}] [--no-compare-workers] [--server-dir PATH]`;

function wholeNumber(raw: string | undefined, name: string, min: number, max: number): number | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max}, got "${raw}".`);
  }
  return value;
}

function scenarioList(raw: string | undefined, compareWorkers: boolean): Set<ScenarioId> {
  if (raw === undefined) {
    return new Set(SCENARIOS.filter((id) => compareWorkers || id !== 'workers'));
  }
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`--only takes scenarios from ${SCENARIOS.join(', ')}; unknown: ${unknown.join(', ')}.`);
  }
  return new Set(names as ScenarioId[]);
}

export function parseOptions(argv: readonly string[], ownDir: string): Options {
  const { values } = parseArgs({
    args: [...argv],
    allowNegative: true,
    options: {
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '64' },
      viewers: { type: 'string', default: '10000' },
      workers: { type: 'string' },
      only: { type: 'string' },
      'compare-workers': { type: 'boolean', default: true },
      'server-dir': { type: 'string' },
    },
  });
  const serverDir = path.resolve(values['server-dir'] ?? ownDir);
  if (!existsSync(path.join(serverDir, 'bin/boxoffice.js'))) {
    throw new Error(`--server-dir ${serverDir} has no bin/boxoffice.js.`);
  }
  const connections = wholeNumber(values.connections, 'connections', 2, 1000) ?? 64;
  if (connections % 2 !== 0) {
    throw new Error('--connections must be even (wrk runs two threads, each with half of them).');
  }
  return Object.freeze({
    seconds: wholeNumber(values.seconds, 'seconds', 2, 600) ?? 10,
    connections,
    viewers: wholeNumber(values.viewers, 'viewers', 1, 100_000) ?? 10_000,
    workers: wholeNumber(values.workers, 'workers', 1, 64),
    only: scenarioList(values.only, values['compare-workers']),
    serverDir,
    baseline: serverDir !== path.resolve(ownDir),
  });
}
