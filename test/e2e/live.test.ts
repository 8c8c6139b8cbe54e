import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createShow, createUser, showSeatRows } from '../setup/factories.ts';
import { chromiumPath, browserSuite, openShow, screenshot, seat, settledSeat } from './browser.ts';

describe.skipIf(chromiumPath === null)('two viewers of one seat map', () => {
  const suite = browserSuite();

  async function viewer(showId: number): Promise<{ page: Page; userId: number }> {
    const user = await createUser(suite.app.db);
    const context = await suite.open(user);
    const page = await context.newPage();
    await openShow(page, showId);
    return { page, userId: user.id };
  }

  it('when two users click the same seat at once, then exactly one holds it and the other sees why and the seat as held', async () => {
    const { showId } = await createShow(suite.app.db, { rows: 2, seatsPerRow: 6 });
    const [a, b] = await Promise.all([viewer(showId), viewer(showId)]);

    // A barrier in test code: both hold requests wait until both have been sent, then go together.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let arrived = 0;
    for (const { page } of [a, b]) {
      await page.route('**/api/hold-seat/', async (route) => {
        arrived += 1;
        if (arrived === 2) {
          open();
        }
        await gate;
        await route.continue();
      });
    }
    await Promise.all([seat(a.page, 'A', 3).click(), seat(b.page, 'A', 3).click()]);

    // Each page settles on "held by you" or "held"; exactly one of each.
    const finalState = async (page: Page) => {
      await page.getByRole('button', { name: /^Row A, seat 3, .*, (held by you|held)$/ }).and(page.locator(':not([aria-busy])')).waitFor();
      return (await seat(page, 'A', 3).getAttribute('aria-label'))?.endsWith('held by you') === true ? 'winner' : 'loser';
    };
    const outcomes = await Promise.all([finalState(a.page), finalState(b.page)]);
    expect([...outcomes].sort()).toEqual(['loser', 'winner']);
    const winner = outcomes[0] === 'winner' ? a : b;
    const loser = outcomes[0] === 'winner' ? b : a;

    await loser.page.getByRole('alert').getByText('Row A, seat 3: Seat currently held by another user.').waitFor();
    await settledSeat(loser.page, 'A', 3, 'held').waitFor();
    await settledSeat(winner.page, 'A', 3, 'held by you').waitFor();
    const held = (await showSeatRows(suite.app.db, showId)).filter((r) => r.status === 'held');
    expect(held.map((r) => r.locked_by_id)).toEqual([winner.userId]);
    await screenshot(loser.page, 'seat-map-race-loser');
  });

  it('when one user holds and then releases a seat, then another viewer sees it held and available again without reloading', async () => {
    const { showId } = await createShow(suite.app.db, { rows: 2, seatsPerRow: 6 });
    const [a, b] = await Promise.all([viewer(showId), viewer(showId)]);
    let loads = 0;
    b.page.on('load', () => (loads += 1));

    await seat(a.page, 'B', 5).click();
    await settledSeat(a.page, 'B', 5, 'held by you').waitFor();
    await settledSeat(b.page, 'B', 5, 'held').waitFor({ timeout: 5_000 });
    expect((await showSeatRows(suite.app.db, showId)).filter((r) => r.status === 'held').map((r) => r.locked_by_id)).toEqual([a.userId]);
    await screenshot(b.page, 'seat-map-held-by-other');

    await a.page.getByRole('button', { name: 'Release Row B, seat 5' }).click();
    await settledSeat(a.page, 'B', 5, 'available').waitFor();
    await settledSeat(b.page, 'B', 5, 'available').waitFor({ timeout: 5_000 });
    expect((await showSeatRows(suite.app.db, showId)).filter((r) => r.status === 'held')).toEqual([]);
    expect(loads).toBe(0);
  });
});
