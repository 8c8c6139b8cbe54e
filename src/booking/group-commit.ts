/**
 * Group commit (README.md, "Group commit"): at most `maxInFlight` calls of
 * `run` at a time; requests that arrive meanwhile wait, and the next call
 * takes all of them (up to `maxBatch`) together. An idle service sends each
 * request at once, alone; a busy one pays one round trip, one transaction and
 * one disk flush for many requests instead of one each.
 *
 * `run` answers each write of its batch, in order. When a call of several
 * fails as a whole (a lock timeout on one request's seat, a broken
 * connection), nothing of it was committed, so each of its requests is tried
 * again alone: one request's failure is never another's.
 */
export type GroupCommit<W, A> = {
  submit(write: W): Promise<A>;
  /** Requests waiting for a call, and calls in the database (metrics, tests). */
  stats(): { waiting: number; inFlight: number };
};

export type GroupCommitOptions = { maxInFlight: number; maxBatch: number; onBatch?: (size: number) => void };

type Waiting<W, A> = { write: W; resolve: (answer: A) => void; reject: (error: unknown) => void };

export function createGroupCommit<W, A>(run: (writes: W[]) => Promise<A[]>, options: GroupCommitOptions): GroupCommit<W, A> {
  const queue: Waiting<W, A>[] = [];
  let inFlight = 0;

  const call = async (batch: Waiting<W, A>[]): Promise<void> => {
    options.onBatch?.(batch.length);
    const answers = await run(batch.map((w) => w.write));
    if (answers.length !== batch.length) {
      throw new Error(`a batch of ${batch.length} seat writes came back with ${answers.length} answers`);
    }
    batch.forEach((waiting, i) => waiting.resolve(answers[i] as A));
  };

  const settle = async (batch: Waiting<W, A>[]): Promise<void> => {
    try {
      await call(batch);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const waiting of batch) {
        await call([waiting]).catch(waiting.reject);
      }
    }
  };

  const pump = (): void => {
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      inFlight++;
      void settle(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return {
    submit: (write) =>
      new Promise<A>((resolve, reject) => {
        queue.push({ write, resolve, reject });
        pump();
      }),
    stats: () => ({ waiting: queue.length, inFlight }),
  };
}
