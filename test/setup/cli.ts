import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/boxoffice.js');

export type Finished = { code: number | null; stdout: string; stderr: string };

/**
 * `bin/boxoffice.js …args` as a child process, with DATABASE_URL pointing at
 * the given database, none of the settings of the shell that runs the tests,
 * and `extraEnv`.
 */
export function runCli(args: string[], databaseUrl: string, extraEnv: Record<string, string> = {}, timeoutMs = 30_000): Promise<Finished> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl };
  for (const name of ['DATA_DIR', 'LOG_LEVEL', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'NODE_OPTIONS', 'MAX_SEATS_PER_HALL']) {
    delete env[name];
  }
  Object.assign(env, extraEnv);
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close' waits for stdio to drain, so the output is complete.
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`boxoffice ${args.join(' ')} did not exit within ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every fault test ends here: `boxoffice check` finds the invariants intact (SPEC §8), exit 0. */
export async function expectInvariantsHold(databaseUrl: string): Promise<void> {
  const check = await runCli(['check'], databaseUrl);
  expect(check.code, check.stdout + check.stderr).toBe(0);
}
