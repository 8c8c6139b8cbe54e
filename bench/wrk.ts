/**
 * The service over HTTP, driven by Debian's `wrk` with a Lua script of
 * bench/wrk/ (see lib.lua there for what the scripts share).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cpuWhileRunning, type LoadResult, type Watched } from './load.ts';
import { checkInterrupted, interrupted, startChild } from './processes.ts';

export const WRK = '/usr/bin/wrk';
const WRK_THREADS = 2;
const SCRIPTS = path.join(import.meta.dirname, 'wrk');

export type WrkScript = 'distinct-seats' | 'hot-seat' | 'layout' | 'mix';

type LuaValue = number | string | readonly LuaValue[] | { readonly [key: string]: LuaValue };

/** A Lua literal: the settings file each script's init() reads. */
function lua(value: LuaValue): string {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value) : '0';
  }
  if (typeof value === 'string') {
    return JSON.stringify(value); // a JSON string of printable ASCII is a Lua string too
  }
  if (Array.isArray(value)) {
    return `{ ${value.map((item: LuaValue) => lua(item)).join(', ')} }`;
  }
  return `{ ${Object.entries(value)
    .map(([key, item]) => `[${JSON.stringify(key)}] = ${lua(item)}`)
    .join(', ')} }`;
}

export type WrkRun = {
  baseUrl: string;
  script: WrkScript;
  /** What the script reads as `cfg` (threads and users_per_thread are added). */
  settings: Record<string, LuaValue>;
  tokens: readonly string[];
  connections: number;
  seconds: number;
  /** A fresh file path for the settings. */
  settingsFile: string;
  watched: Watched;
};

type WrkOutput = {
  requests: number;
  duration_us: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latency_us: { p50: number; p99: number };
  tally?: Record<string, number>;
  highest_index: number;
};

function parseOutput(output: string): WrkOutput {
  const line = output.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (line === undefined) {
    throw new Error(`wrk printed no result: ${output.trim().slice(-1_500)}`);
  }
  return JSON.parse(line.slice('BENCH_RESULT '.length)) as WrkOutput;
}

export async function runWrk(run: WrkRun): Promise<LoadResult> {
  const usersPerThread = Math.floor(run.tokens.length / WRK_THREADS);
  await writeFile(
    run.settingsFile,
    `return ${lua({ ...run.settings, tokens: run.tokens, threads: WRK_THREADS, users_per_thread: usersPerThread })}\n`,
  );
  const args = [
    `--threads=${WRK_THREADS}`,
    `--connections=${run.connections}`,
    `--duration=${run.seconds}s`,
    '--timeout=10s',
    `--script=${path.join(SCRIPTS, `${run.script}.lua`)}`,
    `${run.baseUrl}/`,
    '--',
    run.settingsFile,
  ];
  const wrk = startChild(WRK, args);
  const stop = (): void => {
    wrk.process.kill('SIGTERM');
  };
  interrupted.signal.addEventListener('abort', stop, { once: true });
  const { exit, cores } = await cpuWhileRunning(wrk, run.watched);
  interrupted.signal.removeEventListener('abort', stop);
  checkInterrupted();
  if (exit !== 0) {
    throw new Error(`wrk exited with ${exit}: ${wrk.output().trim().slice(-1_500)}`);
  }
  const out = parseOutput(wrk.output());
  const seconds = out.duration_us / 1e6;
  const tally: Record<string, number> = { ...out.tally };
  for (const [kind, count] of Object.entries(out.errors)) {
    if (count > 0) {
      tally[`errors:${kind}`] = count;
    }
  }
  return {
    requests: out.requests,
    seconds,
    perSecond: out.requests / seconds,
    p50Ms: out.latency_us.p50 / 1000,
    p99Ms: out.latency_us.p99 / 1000,
    tally,
    ...(out.highest_index >= 0 ? { highestIndex: out.highest_index } : {}),
    cores,
  };
}
