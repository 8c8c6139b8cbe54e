import { api, call, isMissingEndpoint } from '../api/client.ts';
import type { Money } from '../api/types.ts';
import { sumMoney } from '../format.ts';

export type BookingResult = {
  references: string[];
  bookings: { seatId: number; price: Money }[];
  bookedSeatIds: number[];
  total: Money;
  failure?: unknown;
};

/**
 * Books all seats in one request (POST /api/book-seats/, all or nothing). A
 * server without that endpoint gets one POST /api/book-seat/ per seat: then
 * a seat lost half-way leaves the earlier ones booked, and the confirmation
 * says so.
 */
export async function bookSeats(showId: number, seatIds: number[]): Promise<BookingResult> {
  try {
    const reply = await call(api.POST('/api/book-seats/', { body: { show_id: showId, seat_ids: seatIds } }));
    return {
      references: [reply.reference],
      bookings: reply.bookings.map((b) => ({ seatId: b.seat_id, price: b.price })),
      bookedSeatIds: reply.bookings.map((b) => b.seat_id),
      total: reply.total,
    };
  } catch (error) {
    if (!isMissingEndpoint(error)) {
      throw error;
    }
  }
  const booked: { seatId: number; reply: { reference: string; price: Money } }[] = [];
  let failure: unknown;
  for (const seatId of seatIds) {
    try {
      booked.push({ seatId, reply: await call(api.POST('/api/book-seat/', { body: { show_id: showId, seat_id: seatId } })) });
    } catch (error) {
      failure = error;
      break;
    }
  }
  if (booked.length === 0) {
    throw failure;
  }
  return {
    references: [...new Set(booked.map((b) => b.reply.reference))],
    bookings: booked.map((b) => ({ seatId: b.seatId, price: b.reply.price })),
    bookedSeatIds: booked.map((b) => b.seatId),
    total: sumMoney(booked.map((b) => b.reply.price)),
    failure,
  };
}
