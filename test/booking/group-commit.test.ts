import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/booking/group-commit.ts';

/**
 * The queue in front of the batch functions (src/booking/group-commit.ts):
 * who goes alone, who waits, who goes together, and what a failed call does.
 * `run` here is a stand-in for the database call whose completion the test
 * controls; the batch functions themselves are tested against PostgreSQL in
 * batched-seat-writes.test.ts.
 */
function controlledRun() {
  const calls: { writes: number[]; finish(): void; fail(error: Error): void }[] = [];
  const run = (writes: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ writes, finish: () => resolve(writes.map((w) => `answer ${w}`)), fail: reject });
    });
  return { calls, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('when nothing is in flight, then a request goes at once, alone', async () => {
    const { calls, run } = controlledRun();
    const commit = createGroupCommit(run, { maxInFlight: 2, maxBatch: 10 });
    const answer = commit.submit(1);
    expect(calls.map((c) => c.writes)).toEqual([[1]]);
    calls[0]!.finish();
    await expect(answer).resolves.toBe('answer 1');
  });

  it('when maxInFlight calls are in flight, then later requests wait and go together in arrival order, at most maxBatch per call', async () => {
    const { calls, run } = controlledRun();
    const commit = createGroupCommit(run, { maxInFlight: 2, maxBatch: 3 });
    const answers = [1, 2, 3, 4, 5, 6, 7].map((w) => commit.submit(w));
    expect(calls.map((c) => c.writes)).toEqual([[1], [2]]);
    expect(commit.stats()).toEqual({ waiting: 5, inFlight: 2 });
    calls[0]!.finish();
    await tick();
    expect(calls.map((c) => c.writes)).toEqual([[1], [2], [3, 4, 5]]);
    calls[1]!.finish();
    await tick();
    expect(calls.map((c) => c.writes)).toEqual([[1], [2], [3, 4, 5], [6, 7]]);
    calls[2]!.finish();
    calls[3]!.finish();
    expect(await Promise.all(answers)).toEqual([1, 2, 3, 4, 5, 6, 7].map((w) => `answer ${w}`));
    await tick();
    expect(commit.stats()).toEqual({ waiting: 0, inFlight: 0 });
  });

  it('when a call of several fails, then each of its requests is tried again alone and only the one that fails alone is rejected', async () => {
    const { calls, run } = controlledRun();
    const commit = createGroupCommit(run, { maxInFlight: 1, maxBatch: 10 });
    const first = commit.submit(1);
    const rest = Promise.allSettled([2, 3, 4].map((w) => commit.submit(w)));
    calls[0]!.finish();
    await first;
    await tick();
    expect(calls[1]!.writes).toEqual([2, 3, 4]);
    calls[1]!.fail(new Error('lock timeout on seat 3'));
    // Alone, one after another: 2 succeeds, 3 fails again, 4 succeeds.
    for (const [index, outcome] of [
      [2, 'finish'],
      [3, 'fail'],
      [4, 'finish'],
    ] as const) {
      await tick();
      const call = calls.at(-1)!;
      expect(call.writes).toEqual([index]);
      if (outcome === 'finish') {
        call.finish();
      } else {
        call.fail(new Error(`lock timeout on seat ${index}`));
      }
    }
    const settled = await rest;
    await tick();
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error('lock timeout on seat 3'));
    expect(commit.stats()).toEqual({ waiting: 0, inFlight: 0 });
  });

  it('when a lone request fails, then it is rejected without a retry', async () => {
    const { calls, run } = controlledRun();
    const commit = createGroupCommit(run, { maxInFlight: 1, maxBatch: 10 });
    const answer = commit.submit(1);
    calls[0]!.fail(new Error('connection lost'));
    await expect(answer).rejects.toThrow('connection lost');
    expect(calls).toHaveLength(1);
  });
});
