/**
 * Releases every task at the same moment: each task is created and waits on
 * one shared promise, which resolves only when all are ready. Then all send
 * in the same tick over already-open connections.
 */
export async function releaseTogether<T>(tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const running = tasks.map(async (task) => {
    await gate;
    return task();
  });
  release();
  return Promise.all(running);
}

export function countBy<T>(items: readonly T[], key: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = String(key(item));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
