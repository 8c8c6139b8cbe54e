import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { httpClient, type HttpClient } from './http.ts';
import { freePort } from '../../src/shared/free-port.ts';

export type ServerProcess = {
  baseUrl: string;
  http: HttpClient;
  pid: number;
  /** SIGTERM, resolving with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no shutdown code runs. */
  crash(): Promise<void>;
  /** null while the process runs. */
  exitCode(): number | null;
  /** What it printed so far (stdout and stderr). */
  output(): string;
};

const root = path.resolve(import.meta.dirname, '../..');


/** A real `boxoffice start` process on its own port, against the given database. */
export async function startServerProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'bin/boxoffice.js'), 'start'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      RATE_LIMITS: 'off',
      LOG_LEVEL: 'warn',
      SWEEP_INTERVAL_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const http = httpClient(baseUrl);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`server process exited with ${child.exitCode}: ${output}`);
    }
    const ok = await http.get('/healthz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) {
      break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server process did not become healthy: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const signal = (name: NodeJS.Signals) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve(child.exitCode);
        return;
      }
      child.once('exit', (code) => resolve(code));
      http.agent.destroy();
      child.kill(name);
    });
  return {
    baseUrl,
    http,
    pid: child.pid ?? 0,
    stop: () => signal('SIGTERM'),
    crash: async () => {
      await signal('SIGKILL');
    },
    exitCode: () => child.exitCode ?? (child.signalCode === null ? null : -1),
    output: () => output,
  };
}
