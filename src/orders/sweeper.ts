import type { OrdersContext } from './orders.service.ts';
import { sweepOrders } from './orders.service.ts';
import { forgetOldKeys } from './idempotency.ts';

/**
 * The orders' sweep every `intervalSeconds` (0 turns it off): lapsed orders
 * asked about at the provider and closed, refunds still due sent, idempotency
 * keys older than a day forgotten. Several processes may run it at once:
 * every decision is taken with the order row locked.
 */
export function startOrdersSweeper(ctx: OrdersContext, intervalSeconds: number): { stop(): Promise<void> } {
  if (intervalSeconds <= 0) {
    return { stop: () => Promise.resolve() };
  }
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined) {
      return;
    }
    running = (async () => {
      const counts = await sweepOrders(ctx);
      const forgotten = await forgetOldKeys(ctx.db);
      if (counts.expired + counts.settled + counts.refunds + forgotten > 0) {
        ctx.log.info({ ...counts, forgottenKeys: forgotten }, 'swept orders');
      }
    })()
      .catch((error: unknown) => ctx.log.warn({ err: error }, 'sweeping orders failed; will retry'))
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
