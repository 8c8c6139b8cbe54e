/** Polls `probe` until it yields `expected`, for at most `timeoutMs`; returns how long that took. */
export async function msUntil<T>(probe: () => Promise<T>, expected: T, timeoutMs = 1_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const last = await probe();
    const elapsed = performance.now() - started;
    if (Object.is(last, expected)) {
      return elapsed;
    }
    if (elapsed > timeoutMs) {
      throw new Error(`still ${JSON.stringify(last)} instead of ${JSON.stringify(expected)} after ${Math.round(elapsed)} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
