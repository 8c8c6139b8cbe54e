import type { Database } from '../db/database.ts';
import { lockKeys, withAdvisoryLock } from '../db/migrate.ts';
import type { ShowtimeSeats } from './catalog.ports.ts';
import { countVenues } from './catalog.queries.ts';
import type { RowSpec } from './catalog.schemas.ts';
import { createHall, createMovie, createShowtime, createVenue } from './catalog.service.ts';

/**
 * A realistic auditorium: aisles after the given seats, the back rows premium,
 * wheelchair spaces at both ends of the front row.
 */
const auditorium = (count: number, seats: number, aisles: number[], premiumRows: number): RowSpec[] =>
  Array.from({ length: count }, (_, i) => ({
    row: String.fromCharCode(65 + i),
    seats,
    kind: i >= count - premiumRows ? ('premium' as const) : ('standard' as const),
    gaps_after: aisles,
    ...(i === 0 ? { seat_kinds: { '1': 'wheelchair' as const, [String(seats)]: 'wheelchair' as const } } : {}),
  }));

/** Daily start times (UTC hour, minute) per hall; gaps fit the longest movie. */
const schedule = [
  [[12, 0], [15, 0], [18, 0], [21, 0]],
  [[13, 30], [17, 0], [20, 30]],
] as const;

/**
 * The demo cinema: one venue, two halls, three movies and the next 7 days of
 * showtimes. Does nothing when any venue exists, so a restart never re-seeds,
 * and runs under an advisory lock so processes starting together seed once.
 * `seats` is the booking domain's, which writes each showtime's show_seats.
 */
export async function seedDemoCinema(db: Database, seats: ShowtimeSeats, now = new Date()): Promise<{ seeded: boolean; showtimes: number }> {
  return withAdvisoryLock(db, lockKeys.seed, async () => {
    if ((await countVenues(db)).count > 0) {
      return { seeded: false, showtimes: 0 };
    }
    const venue = await createVenue(db, {
      name: 'Metro Cineplex',
      city: 'Springfield',
      time_zone: 'UTC',
      default_price: { amount: 1250, currency: 'EUR' },
      // The newcomer sees the real checkout: seats here are sold only through a paid order.
      payment_required: true,
    });
    const halls = [
      await createHall(db, { venue_id: venue.id, name: 'Hall 1', rows: auditorium(10, 14, [4, 10], 2), cleaning_minutes: 15 }),
      await createHall(db, { venue_id: venue.id, name: 'Hall 2', rows: auditorium(12, 18, [4, 14], 3), cleaning_minutes: 15 }),
    ];
    const movies = [
      // UK (BBFC) labels: the demo Child ticket is sold for the first two, not for the 15.
      await createMovie(db, { title: 'Release Night', duration_minutes: 148, rating: { label: '15', min_age: 15 } }),
      await createMovie(db, { title: 'The Quiet Projectionist', duration_minutes: 126, rating: { label: '12A', min_age: 12 } }),
      await createMovie(db, { title: 'Popcorn Planet', duration_minutes: 95, rating: { label: 'U', min_age: 0 } }),
    ];
    let showtimes = 0;
    for (let day = 0; day < 7; day++) {
      for (const [hallIndex, times] of schedule.entries()) {
        for (const [slot, [hour, minute]] of times.entries()) {
          const startsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + day, hour, minute));
          if (startsAt.getTime() <= now.getTime() + 15 * 60_000) {
            continue; // no demo show that is about to start or already running
          }
          const hall = halls[hallIndex];
          const movie = movies[(day + hallIndex + slot) % movies.length];
          if (hall !== undefined && movie !== undefined) {
            await createShowtime(db, seats, {
              hall_id: hall.id,
              movie_id: movie.id,
              starts_at: startsAt.toISOString(),
              premium_price: { amount: 1650, currency: 'EUR' },
            });
            showtimes++;
          }
        }
      }
    }
    return { seeded: true, showtimes };
  });
}
