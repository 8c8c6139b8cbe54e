/**
 * The API's shapes, named for the web app, each taken from the generated
 * schema.d.ts (the server's OpenAPI document): none is written by hand except
 * the seat events, which travel as Server-Sent Events the document describes
 * only in prose.
 */
import type { paths } from './schema.d.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Responses<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]> extends { responses: infer R } ? R : never;

/** The JSON answer of `M P` with status `S`. */
export type Reply<P extends keyof paths, M extends Method, S extends keyof Responses<P, M> = 200 & keyof Responses<P, M>> = JsonOf<Responses<P, M>[S]>;
/** The JSON body `M P` takes. */
export type Body<P extends keyof paths, M extends Method> =
  NonNullable<paths[P][M]> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

type ItemOf<T> = T extends { items: (infer I)[] } ? I : never;

export type User = Reply<'/api/auth/me', 'get'>;
export type Venue = ItemOf<Reply<'/api/venues', 'get'>>;
export type Movie = ItemOf<Reply<'/api/movies', 'get'>>;
export type Showtime = Reply<'/api/showtimes/{id}', 'get'>;
export type Money = Showtime['price'];

export type Layout = Reply<'/api/hall-layout/{show_id}/', 'get'>;
export type LayoutSeat = Layout['seats'][number];
export type SeatStatus = LayoutSeat['status'];
export type SeatKind = LayoutSeat['kind'];

export type HoldReply = Reply<'/api/hold-seat/', 'post'>;
export type MyBooking = ItemOf<Reply<'/api/my-bookings/', 'get'>>;

export type Hall = Reply<'/api/admin/halls', 'post', 201>;
export type RowSpec = Hall['rows'][number];
export type Report = Reply<'/api/admin/showtimes/{id}/report', 'get'>;

/** Seat events on /api/shows/{id}/events. */
export type SeatEvent = { seat_id: number; status: SeatStatus; locked_until: string | null };
export type SnapshotEvent = { show_id: number; seats: SeatEvent[] };
