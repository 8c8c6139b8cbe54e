/**
 * The processes the bench starts, and what /proc says about them: every child
 * is stopped again (also on Ctrl-C or an error), and CPU time and memory are
 * read per process tree, so a server with worker processes or PostgreSQL with
 * its backends is measured as a whole.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** Set by Ctrl-C / SIGTERM: the run unwinds and stops what it started. */
export const interrupted = new AbortController();

export function checkInterrupted(): void {
  interrupted.signal.throwIfAborted();
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

// ─── teardown: everything started is stopped, last started first ───────────

export type Teardown = {
  /** Registers a stop step; the returned function runs it now (once) and forgets it. */
  add(name: string, stop: () => Promise<unknown>): () => Promise<void>;
  run(): Promise<void>;
};

export function createTeardown(): Teardown {
  const steps: { name: string; stop: () => Promise<unknown> }[] = [];
  const runStep = async (step: { name: string; stop: () => Promise<unknown> }): Promise<void> => {
    try {
      await step.stop();
    } catch (error) {
      console.error(`bench: stopping ${step.name} failed: ${describe(error)}`);
    }
  };
  let running: Promise<void> | undefined;
  return {
    add: (name, stop) => {
      const step = { name, stop };
      steps.push(step);
      return async () => {
        const index = steps.indexOf(step);
        if (index >= 0) {
          steps.splice(index, 1);
          await runStep(step);
        }
      };
    },
    run: () =>
      (running ??= (async () => {
        for (const step of steps.splice(0).reverse()) {
          await runStep(step);
        }
      })()),
  };
}

// ─── child processes ────────────────────────────────────────────────────────

export type Child = {
  process: ChildProcess;
  pid: number;
  /** The last few KiB of its stdout and stderr together. */
  output: () => string;
  /** Resolves with the exit code (or the signal's name) once it exited. */
  exited: Promise<number | string>;
};

const OUTPUT_TAIL = 64_000;

export function startChild(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (error) => {
      collect(Buffer.from(describe(error)));
      resolve(describe(error));
    });
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { process: child, pid: child.pid ?? 0, output: () => output, exited };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  const { process: proc } = child;
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) {
    return;
  }
  const killer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  proc.kill('SIGTERM');
  await child.exited;
  clearTimeout(killer);
}

/** Runs a command to its end; rejects with its output when it fails. */
export async function runToEnd(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const child = startChild(command, args, options);
  const stop = (): void => {
    child.process.kill('SIGTERM');
  };
  interrupted.signal.addEventListener('abort', stop, { once: true });
  const code = await child.exited;
  interrupted.signal.removeEventListener('abort', stop);
  checkInterrupted();
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${child.output().trim().slice(-2_000)}`);
  }
  return child.output();
}

// ─── /proc ──────────────────────────────────────────────────────────────────

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

type ProcStat = { pid: number; ppid: number; ticks: number };

/**
 * utime + stime of the process and cutime + cstime of the children it
 * waited for: a tree's sum of these only grows, even while backends or
 * workers come and go (a child's time moves into its parent's c-times).
 */
function parseStat(text: string): ProcStat | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields count from its last ')'.
  const end = text.lastIndexOf(')');
  const fields = text.slice(end + 2).split(' ');
  const pid = Number.parseInt(text, 10);
  const field = (n: number): number => Number(fields[n - 3] ?? Number.NaN);
  const ticks = field(14) + field(15) + field(16) + field(17);
  return Number.isFinite(ticks) ? { pid, ppid: field(4), ticks } : undefined;
}

async function allStats(): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').then(parseStat, () => undefined)));
  return stats.filter((stat) => stat !== undefined);
}

function treeOf(stats: readonly ProcStat[], root: number): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) {
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  }
  const tree: ProcStat[] = [];
  const queue = stats.filter((stat) => stat.pid === root);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    tree.push(next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  return tree;
}

/** CPU seconds used so far by each process tree (root pid → seconds); 0 for a root that is gone. */
export async function cpuSeconds(roots: readonly number[]): Promise<number[]> {
  const stats = await allStats();
  return roots.map((root) => treeOf(stats, root).reduce((sum, stat) => sum + stat.ticks, 0) / TICKS_PER_SECOND);
}

/** The processes of a tree (the root and its descendants). */
export async function treeSize(root: number): Promise<number> {
  return treeOf(await allStats(), root).length;
}

/** Resident memory of a process tree, in KiB (VmRSS of each, summed). */
export async function residentKiB(root: number): Promise<number> {
  const tree = treeOf(await allStats(), root);
  const sizes = await Promise.all(
    tree.map(async ({ pid }) => {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      return Number(/^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1] ?? 0);
    }),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

/** The soft limit on open files of this process (children inherit it). */
export async function openFileLimit(): Promise<number> {
  const limits = await readFile('/proc/self/limits', 'utf8');
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/**
 * CPU of the given process trees over a stretch of time, as cores used
 * (CPU seconds per wall second). `sample` may be called while it runs:
 * a tree that ends before `stop` (the load generator) keeps its last sample.
 */
export type CpuMeter = { sample(): Promise<void>; stop(): Promise<number[]> };

export async function startCpuMeter(roots: readonly number[]): Promise<CpuMeter> {
  const started = performance.now();
  const first = await cpuSeconds(roots);
  const last = [...first];
  const sample = async (): Promise<void> => {
    const now = await cpuSeconds(roots);
    now.forEach((seconds, i) => {
      last[i] = Math.max(last[i] ?? 0, seconds);
    });
  };
  return {
    sample,
    stop: async () => {
      await sample();
      const wall = (performance.now() - started) / 1000;
      return last.map((seconds, i) => (seconds - (first[i] ?? 0)) / wall);
    },
  };
}
