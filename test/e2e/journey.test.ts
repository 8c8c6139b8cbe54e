import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { bookingRows, createShow, createUser, showSeatRows } from '../setup/factories.ts';
import { chromiumPath, browserSuite, focusedName, screenshot, seat, seatName, settledSeat, showDay } from './browser.ts';

const euros = (minor: number) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(minor / 100);

/** Presses Tab (or Shift+Tab) until the focused element's name is `name`. */
async function tabTo(page: Page, name: string | RegExp, key = 'Tab'): Promise<void> {
  const matches = (text: string) => (typeof name === 'string' ? text === name : name.test(text));
  for (let i = 0; i < 40 && !matches(await focusedName(page)); i++) {
    await page.keyboard.press(key);
  }
  expect(await focusedName(page)).toMatch(typeof name === 'string' ? new RegExp(`^${name}$`) : name);
}

describe.skipIf(chromiumPath === null)('booking in the browser', () => {
  const suite = browserSuite();

  async function showPrice(showId: number): Promise<number> {
    const row = await suite.app.db.selectFrom('showtimes').select('price_amount').where('id', '=', showId).executeTakeFirstOrThrow();
    return row.price_amount;
  }

  it('when a logged-out visitor clicks a seat, then login leads back to the same show with that seat held', async () => {
    const { showId } = await createShow(suite.app.db, { rows: 2, seatsPerRow: 5 });
    const user = await createUser(suite.app.db);
    const context = await suite.open();
    const page = await context.newPage();
    await page.goto(`/shows/${showId}`);
    await seat(page, 'A', 2).click();
    await expect.poll(() => page.getByLabel('Username').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await settledSeat(page, 'A', 2, 'held by you').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/shows/${showId}`);
    const held = (await showSeatRows(suite.app.db, showId)).filter((r) => r.status === 'held');
    expect(held).toEqual([expect.objectContaining({ locked_by_id: user.id })]);
  });

  it('when a user logs in, holds two seats and pays for them, then the confirmation and My bookings show the reference, seats and total', async () => {
    const { showId } = await createShow(suite.app.db, { rows: 3, seatsPerRow: 6 });
    const user = await createUser(suite.app.db);
    const price = await showPrice(showId);
    const context = await suite.open();
    const page = await context.newPage();

    // Log in from the header, on the schedule day of the show.
    await page.goto(`/?date=${await showDay(suite.app.db, showId)}`);
    await page.getByRole('link', { name: 'Log in' }).click();
    await expect.poll(() => page.getByLabel('Username').isVisible()).toBe(true);
    await screenshot(page, 'login');
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();

    // Schedule → the showtime.
    const showtimeLink = page.locator(`a[href="/shows/${showId}"]`);
    await showtimeLink.waitFor();
    await expect.poll(() => page.getByRole('heading', { name: 'Test Movie' }).count()).toBeGreaterThan(0);
    await screenshot(page, 'schedule');
    await showtimeLink.click();
    await page.getByRole('group', { name: /^Seat map of Hall 1/ }).waitFor();

    // Two seats: each turns "held by you"; the summary lists both and the total.
    await seat(page, 'B', 3).click();
    await seat(page, 'B', 4).click();
    await settledSeat(page, 'B', 3, 'held by you').waitFor();
    await settledSeat(page, 'B', 4, 'held by you').waitFor();
    const summary = page.getByRole('complementary', { name: 'Your seats' });
    await expect.poll(() => summary.getByText('Row B, seat 3', { exact: true }).isVisible()).toBe(true);
    await expect.poll(() => summary.getByText('Row B, seat 4', { exact: true }).isVisible()).toBe(true);
    expect(await summary.locator('.summary-total').innerText()).toContain(euros(2 * price));
    await page.getByRole('timer').waitFor();
    expect((await showSeatRows(suite.app.db, showId)).filter((r) => r.status === 'held' && r.locked_by_id === user.id)).toHaveLength(2);
    await screenshot(page, 'seat-map-held');

    // Continue → tickets (Adult for both) → Pay → the test provider's card → confirmation.
    await page.getByRole('button', { name: 'Continue with 2 seats' }).click();
    await page.getByRole('button', { name: `Pay ${euros(2 * price)}` }).click();
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: `Pay ${euros(2 * price)}` }).click();
    await page.getByRole('heading', { name: 'You’re booked!' }).waitFor({ timeout: 15_000 });
    await page.getByText('Booking reference', { exact: true }).waitFor();
    const reference = (await page.locator('.ticket-code').innerText()).trim();
    const rows = await bookingRows(suite.app.db, showId);
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.user_id === user.id)).toBe(true);
    const stored = await suite.app.db.selectFrom('bookings').select(['reference', 'price_amount']).where('showtime_id', '=', showId).execute();
    expect(new Set(stored.map((b) => b.reference))).toEqual(new Set([reference]));
    expect(stored.reduce((sum, b) => sum + b.price_amount, 0)).toBe(2 * price);
    const ticket = await page.locator('.ticket').innerText();
    expect(ticket).toContain('Row B, seat 3');
    expect(ticket).toContain('Row B, seat 4');
    expect(ticket).toContain(euros(2 * price));
    expect((await showSeatRows(suite.app.db, showId)).filter((r) => r.status === 'booked')).toHaveLength(2);
    await screenshot(page, 'confirmation');

    // My bookings.
    await page.getByRole('link', { name: 'My bookings' }).first().click();
    const card = page.locator('.booking-card', { hasText: reference });
    await card.waitFor();
    const cardText = await card.innerText();
    expect(cardText).toContain('Row B, seat 3');
    expect(cardText).toContain('Row B, seat 4');
    expect(cardText).toContain(euros(2 * price));
    await screenshot(page, 'my-bookings');
  });

  it('when a user books and pays with the keyboard only, then Tab, arrow keys, Space and Enter reach the confirmation', async () => {
    const { showId } = await createShow(suite.app.db, { rows: 3, seatsPerRow: 6 });
    const user = await createUser(suite.app.db);
    const context = await suite.open();
    const page = await context.newPage();

    await page.goto(`/login?next=${encodeURIComponent(`/shows/${showId}`)}`);
    await page.getByLabel('Username').focus();
    await page.keyboard.type(user.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.getByRole('group', { name: /^Seat map of Hall 1/ }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();

    // Tab until a seat has focus (the map has one tab stop, on the first available seat).
    for (let i = 0; i < 40 && !/^Row /.test(await focusedName(page)); i++) {
      await page.keyboard.press('Tab');
    }
    expect(await focusedName(page)).toMatch(seatName('A', 1, 'available'));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await focusedName(page)).toMatch(seatName('B', 3, 'available'));
    await page.keyboard.press('Enter');
    await settledSeat(page, 'B', 3, 'held by you').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press(' ');
    await settledSeat(page, 'B', 4, 'held by you').waitFor();

    // Tab on to "Continue with 2 seats", Enter; on to "Pay", Enter.
    await tabTo(page, 'Continue with 2 seats');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /^Pay € ?\d/ }).and(page.locator(':enabled')).waitFor();
    await tabTo(page, /^Pay /);
    await page.keyboard.press('Enter');
    // The payment form: a test card's button fills the number; back to "Pay" and Enter.
    await page.getByLabel('Card number').waitFor();
    await tabTo(page, /^Use test card 4242 4242 4242 4242/);
    await page.keyboard.press('Enter');
    await tabTo(page, /^Pay /, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'You’re booked!' }).waitFor({ timeout: 15_000 });
    await page.getByText('Booking reference', { exact: true }).waitFor();
    const rows = await bookingRows(suite.app.db, showId);
    expect(rows.map((r) => r.user_id)).toEqual([user.id, user.id]);
  });
});
