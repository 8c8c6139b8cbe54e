/**
 * What a second worker process gains or costs: the distinct-seat hold and the
 * 500-seat layout over HTTP against a server started with WEB_CONCURRENCY=1,
 * then one with WEB_CONCURRENCY=2, taking turns for ROUNDS rounds (a fresh
 * server each time, so neither inherits the other's warm caches; only one
 * runs at a time, so neither pays for the other's listener).
 */
import type { LoadResult } from './load.ts';
import { figures, type WorkersResult } from './results.ts';
import { ROUNDS, measureOnce } from './rounds.ts';
import { scenarioSpecs, type Bench } from './scenarios.ts';
import { startServer } from './server.ts';
import type { Teardown } from './processes.ts';

type Measured = { processes: number; hold: LoadResult[]; layout500: LoadResult[] };

/** Each run is a third as long as a scenario's: the comparison is a side question, and the bench must stay short. */
export async function compareWorkers(bench: Bench, teardown: Teardown): Promise<WorkersResult> {
  const seconds = Math.max(2, Math.round(bench.options.seconds / 3));
  const measured: Record<1 | 2, Measured> = { 1: { processes: 0, hold: [], layout500: [] }, 2: { processes: 0, hold: [], layout500: [] } };
  const specs = scenarioSpecs(bench);
  const spec = (id: 'hold' | 'layout500') => {
    const found = specs.find((s) => s.id === id);
    if (found === undefined) {
      throw new Error(`no ${id} scenario`);
    }
    return found;
  };
  const mainServer = bench.server;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const workers of [1, 2] as const) {
        const server = await startServer({ serverDir: bench.options.serverDir, databaseUrl: bench.databaseUrl, workers, teardown });
        bench.server = server;
        const into = measured[workers];
        into.processes = server.processes;
        try {
          into.hold.push(await measureOnce(bench, spec('hold'), 'http', seconds, `WEB_CONCURRENCY=${workers}, round ${round}`));
          into.layout500.push(await measureOnce(bench, spec('layout500'), 'http', seconds, `WEB_CONCURRENCY=${workers}, round ${round}`));
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    bench.server = mainServer;
  }
  const result = (m: Measured) => ({ processes: m.processes, hold: figures('wrk distinct-seats.lua', m.hold), layout500: figures('wrk layout.lua', m.layout500) });
  return { seconds, one: result(measured[1]), two: result(measured[2]) };
}
