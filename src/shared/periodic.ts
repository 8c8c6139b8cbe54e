/**
 * Runs `task` every `intervalSeconds` (0 turns it off), never two at once: a
 * pass still running when the next is due is not doubled. A failure goes to
 * `onError` and the next pass tries again. The timer keeps no process alive;
 * `stop` waits for the pass in progress.
 */
export function runPeriodically(intervalSeconds: number, task: () => Promise<void>, onError: (error: unknown) => void): { stop(): Promise<void> } {
  if (intervalSeconds <= 0) {
    return { stop: () => Promise.resolve() };
  }
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined) {
      return;
    }
    running = task()
      .catch(onError)
      .finally(() => {
        running = undefined;
      });
  }, intervalSeconds * 1000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
