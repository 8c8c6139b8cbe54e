import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, type TestUser } from '../setup/factories.ts';
import type { HttpClient } from '../setup/http.ts';
import { listeningBackends, waitForListeners } from '../setup/listener.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';
import { msUntil } from '../setup/poll.ts';

/**
 * Sessions are cached per process (src/accounts/session-cache.ts). Revocation
 * must stay exact: the process that logs out evicts at once, every other
 * process on the NOTIFY of 'boxoffice_sessions_revoked'.
 */
let app: TestApp;
const processes: ServerProcess[] = [];

beforeAll(async () => {
  app = await startTestApp();
  // Until its listener listens, the app caches no session at all: nothing here would be tested.
  await waitForListeners(app.db, 1);
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await app.close();
});

const root = path.resolve(import.meta.dirname, '../..');
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
const me = (user: TestUser, client: HttpClient = app.http) => client.get('/api/auth/me', { token: user.token });
const sessionsOf = (userId: number) => app.db.selectFrom('sessions').select('token_hash').where('user_id', '=', userId).execute();

async function serverProcess(): Promise<ServerProcess> {
  const server = await startServerProcess(app.databaseUrl);
  processes.push(server);
  return server;
}


/**
 * Freezes the PostgreSQL backend of this app's notification listener (SIGSTOP)
 * while `work` runs, so no NOTIFY reaches the app meanwhile: what `work` sees
 * cannot come from a revocation notice. Undefined when the database server is
 * not a local process this test can pause (DATABASE_URL on another host).
 */
async function withNotificationsHeldBack<T>(work: () => Promise<T>): Promise<T | undefined> {
  const pids = await listeningBackends(app.db);
  expect(pids).toHaveLength(1); // only this file's in-process app listens on its database now
  const pid = pids[0]!;
  let command = '';
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  if (!command.startsWith('postgres')) {
    return undefined;
  }
  process.kill(pid, 'SIGSTOP');
  try {
    return await work();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

describe('revoking cached sessions', () => {
  it('when a user logs out, then the same token gets 401 on the next request to the same process at once (no wait)', async (context) => {
    const user = await createUser(app.db);
    expect((await me(user)).status).toBe(200); // cached in this process now
    const replies = await withNotificationsHeldBack(async () => {
      const logout = await app.http.post('/api/auth/logout', undefined, { token: user.token });
      const next = await me(user);
      return { logout, next };
    });
    if (replies === undefined) {
      context.skip('the database server is not a local process, so its notifications cannot be held back');
      return;
    }
    expect(replies.logout.status).toBe(204);
    expect(replies.next.status).toBe(401);
    expect(replies.next.body).toEqual({ detail: expect.any(String) });
    expect(await sessionsOf(user.id)).toEqual([]);
  });

  it('when a user logs out through process A, then process B (which had the token cached) answers 401 within 1 s', async () => {
    const processA = await serverProcess();
    const user = await createUser(app.db);
    const other = await createUser(app.db);
    expect((await me(user)).status).toBe(200); // this app is process B: it has served the token
    expect((await me(other)).status).toBe(200);

    expect((await processA.http.post('/api/auth/logout', undefined, { token: user.token })).status).toBe(204);
    expect(await sessionsOf(user.id)).toEqual([]);
    expect(await msUntil(async () => (await me(user)).status, 401)).toBeLessThanOrEqual(1_000);
    expect((await me(user, processA.http)).status).toBe(401);
    // Only that session ended.
    expect((await me(other)).status).toBe(200);
    expect(await sessionsOf(other.id)).toEqual([{ token_hash: tokenHash(other.token) }]);
  });

  it('when a staff password is reset with `boxoffice create-admin`, then that user\'s old token is refused by a running server within 1 s', async () => {
    const staff = await createUser(app.db, { staff: true });
    const bystander = await createUser(app.db, { staff: true });
    const admin = await app.http.get('/api/admin/showtimes/999999/report', { token: staff.token });
    expect(admin.status).toBe(404); // authorised (staff) and cached; the show just does not exist
    expect((await me(bystander)).status).toBe(200);

    const newPassword = 'a brand new password';
    const exit = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(root, 'bin/boxoffice.js'), 'create-admin', '--username', staff.username, '--password', newPassword], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: app.databaseUrl, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('close', (code) => resolve({ code, output }));
    });
    expect(exit.code, exit.output).toBe(0);
    expect(exit.output).toContain(`Staff user "${staff.username}" (id ${staff.id}) is ready.`);

    expect(await msUntil(async () => (await me(staff)).status, 401)).toBeLessThanOrEqual(1_000);
    expect((await app.http.get('/api/admin/showtimes/999999/report', { token: staff.token })).status).toBe(401);
    expect(await sessionsOf(staff.id)).toEqual([]);
    const row = await app.db.selectFrom('users').select('password_hash').where('id', '=', staff.id).executeTakeFirstOrThrow();
    expect(await verifyPassword(row.password_hash, newPassword)).toBe(true);
    // Another staff user's session is untouched, and the new password logs in.
    expect((await me(bystander)).status).toBe(200);
    expect((await app.http.post('/api/auth/login', { username: staff.username, password: newPassword })).status).toBe(200);
  });
});
