import type { Money, SeatKind } from './api/types.ts';

/** One locale for the whole app, so that the names screen readers (and tests) hear are the same everywhere. */
export const LOCALE = 'en-GB';

const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: string): Intl.NumberFormat {
  let format = moneyFormats.get(currency);
  if (format === undefined) {
    format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency });
    moneyFormats.set(currency, format);
  }
  return format;
}

/** Digits after the decimal point of a currency's minor unit (2 for EUR, 0 for JPY). */
export const minorDigits = (currency: string): number => moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;

/** {amount: 1250, currency: "EUR"} → "€12.50". */
export const formatMoney = (money: Money): string => moneyFormat(money.currency).format(money.amount / 10 ** minorDigits(money.currency));

export function sumMoney(prices: readonly Money[], fallbackCurrency = 'EUR'): Money {
  return { amount: prices.reduce((total, price) => total + price.amount, 0), currency: prices[0]?.currency ?? fallbackCurrency };
}

/** "12.50" in a currency → minor units, or undefined when it is not an amount. */
export function parseAmount(text: string, currency: string): number | undefined {
  const cleaned = text.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(cleaned)) {
    return undefined;
  }
  const digits = minorDigits(currency);
  const [whole = '0', fraction = ''] = cleaned.split('.');
  if (fraction.length > digits) {
    return undefined;
  }
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
function dateTimeFormat(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let format = dateTimeFormats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(LOCALE, { ...options, timeZone });
    dateTimeFormats.set(key, format);
  }
  return format;
}

/** "18:30" on the venue's clocks. */
export const formatTime = (iso: string, timeZone: string): string => dateTimeFormat(timeZone, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

/** "Wed 25 Nov" on the venue's clocks. */
export const formatDay = (iso: string, timeZone: string): string =>
  dateTimeFormat(timeZone, { weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(iso));

/** "Wednesday 25 November 2026, 18:30" on the venue's clocks. */
export const formatLongDateTime = (iso: string, timeZone: string): string =>
  dateTimeFormat(timeZone, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(
    new Date(iso),
  );

/** The browser's own short date and time, for things that are not on a venue's clocks (when you booked). */
export const formatLocalDateTime = (iso: string): string =>
  new Intl.DateTimeFormat(LOCALE, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

/** "2 h 6 min". */
export function formatDuration(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return hours === 0 ? `${rest} min` : rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** "4:05" for a countdown. */
export function formatCountdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** YYYY-MM-DD of a Date on the browser's clocks. */
export function dateKey(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

/** The next `count` calendar days from today, on the browser's clocks. */
export function upcomingDays(count: number, today = new Date()): string[] {
  return Array.from({ length: count }, (_, i) => dateKey(new Date(today.getFullYear(), today.getMonth(), today.getDate() + i)));
}

/** "Today", "Tomorrow", else "Fri 27 Nov" for a YYYY-MM-DD key. */
export function dayLabel(key: string, today = new Date()): string {
  const [todayKey, tomorrowKey] = upcomingDays(2, today);
  if (key === todayKey) {
    return 'Today';
  }
  if (key === tomorrowKey) {
    return 'Tomorrow';
  }
  return dayDate(key);
}

/** "Fri 27 Nov" for a YYYY-MM-DD key. */
export function dayDate(key: string): string {
  const [year, month, day] = key.split('-').map(Number);
  return new Intl.DateTimeFormat(LOCALE, { weekday: 'short', day: 'numeric', month: 'short' }).format(
    new Date(year ?? 1970, (month ?? 1) - 1, day ?? 1),
  );
}

export const kindLabel: Record<SeatKind, string> = { standard: 'standard', premium: 'premium', wheelchair: 'wheelchair space' };

/** The accessible name of a seat: "Row F, seat 7, premium, €12.50, available". */
export function seatName(seat: { row: string; number: number; kind: SeatKind; price?: Money }, state?: string): string {
  const parts = [`Row ${seat.row}`, `seat ${seat.number}`, seat.kind];
  if (seat.price !== undefined) {
    parts.push(formatMoney(seat.price));
  }
  if (state !== undefined) {
    parts.push(state);
  }
  return parts.join(', ');
}

/** "Row F, seat 7" for lists. */
export const seatLabel = (seat: { row: string; number: number }): string => `Row ${seat.row}, seat ${seat.number}`;

/**
 * The instant at which a wall-clock time ("2026-12-24T19:30") happens in an
 * IANA time zone, as ISO 8601. Two passes settle the zone's offset at that
 * moment (daylight saving changes included).
 */
export function zonedTimeToIso(local: string, timeZone: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (match === null) {
    return undefined;
  }
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const offsetAt = (instant: number): number => {
    const parts = Object.fromEntries(
      dateTimeFormat(timeZone, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .formatToParts(new Date(instant))
        .map((part) => [part.type, part.value]),
    );
    const asWall = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']));
    return asWall - instant;
  };
  let instant = wall - offsetAt(wall);
  instant = wall - offsetAt(instant);
  return new Date(instant).toISOString();
}
