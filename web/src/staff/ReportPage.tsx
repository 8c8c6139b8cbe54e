import { useEffect, useMemo, useState } from 'react';
import { api, call, errorMessage } from '../api/client.ts';
import { formatLongDateTime, formatMoney, LOCALE } from '../format.ts';
import { Link } from '../router.tsx';
import { SeatLegend, SeatMap, type MapSeat, type SeatView } from '../seatmap/SeatMap.tsx';
import { useSession } from '../session.tsx';
import type { Layout, Report } from '../api/types.ts';
import { ErrorNotice, PageHeading, Spinner, usePageTitle } from '../ui.tsx';

const HOUR = 3_600_000;

/** A showtime's report: sold / held / available, revenue, sales by ticket type, the paid orders' totals, bookings per hour, and the seat map by state. */
export default function ReportPage({ showId }: { showId: number }) {
  const { user } = useSession();
  const [report, setReport] = useState<Report | null>(null);
  const [layout, setLayout] = useState<{ layout: Layout; readAt: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  usePageTitle(`Report: showtime ${showId}`);

  useEffect(() => {
    if (user === undefined || user === null || !user.is_staff) {
      return;
    }
    let cancelled = false;
    Promise.all([
      call(api.GET('/api/admin/showtimes/{id}/report', { params: { path: { id: showId } } })),
      call(api.GET('/api/hall-layout/{show_id}/', { params: { path: { show_id: showId } } })),
    ]).then(
      ([r, l]) => {
        if (!cancelled) {
          setReport(r);
          setLayout({ layout: l, readAt: Date.now() });
        }
      },
      (e: unknown) => !cancelled && setError(errorMessage(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [showId, user]);

  const { seats, states } = useMemo(() => {
    const all = layout?.layout.seats ?? [];
    const list: MapSeat[] = all.map(({ id, row, number, kind, x, y, price }) => ({ id, row, number, kind, x, y, price }));
    const views = new Map<number, SeatView>();
    for (const seat of all) {
      const live = seat.status === 'held' && seat.locked_until !== null && Date.parse(seat.locked_until) > (layout?.readAt ?? 0);
      views.set(seat.id, seat.status === 'booked' ? 'booked' : live ? 'held' : 'available');
    }
    return { seats: list, states: views };
  }, [layout]);

  if (user !== undefined && (user === null || !user.is_staff)) {
    return (
      <div className="page">
        <div className="card empty-state">
          <PageHeading>Staff only</PageHeading>
          <p>Log in with a staff account to see showtime reports.</p>
          {user === null && (
            <Link to={`/login?next=${encodeURIComponent(`/staff/reports/${showId}`)}`} className="button button--primary">
              Log in
            </Link>
          )}
        </div>
      </div>
    );
  }

  const show = report?.showtime;
  const capacity = report === null ? 0 : report.seats.sold + report.seats.held + report.seats.available;
  return (
    <div className="page report-page">
      <Link to="/staff/reports" className="back-link">
        ← All reports
      </Link>
      <PageHeading>{show === undefined ? `Report: showtime ${showId}` : `Report: ${show.movie.title}`}</PageHeading>
      {show !== undefined && (
        <p className="show-meta">
          <time dateTime={show.starts_at}>{formatLongDateTime(show.starts_at, show.venue.time_zone)}</time> · {show.hall.name} · {show.venue.name},{' '}
          {show.venue.city} · showtime {show.id}
          {show.status === 'cancelled' && <span className="tag tag--cancelled">Cancelled</span>}
        </p>
      )}
      {error !== null ? (
        <ErrorNotice>{error}</ErrorNotice>
      ) : report === null ? (
        <Spinner label="Loading the report…" />
      ) : (
        <>
          <dl className="stats">
            <div className="stat">
              <dt>Sold</dt>
              <dd>
                {report.seats.sold}
                <span className="stat-of"> of {capacity}</span>
              </dd>
            </div>
            <div className="stat">
              <dt>Held now</dt>
              <dd>{report.seats.held}</dd>
            </div>
            <div className="stat">
              <dt>Available</dt>
              <dd>{report.seats.available}</dd>
            </div>
            <div className="stat stat--accent">
              <dt>Revenue</dt>
              <dd>{formatMoney(report.revenue)}</dd>
            </div>
          </dl>

          <section className="card" aria-labelledby="types-heading">
            <h2 id="types-heading">Sales by ticket type</h2>
            <TicketTypeTable report={report} />
          </section>

          <section className="card" aria-labelledby="order-totals-heading">
            <h2 id="order-totals-heading">Orders</h2>
            <OrderTotals report={report} />
            <p>
              <Link to={`/staff/orders?show=${report.showtime.id}`}>Find this showtime’s orders</Link>
            </p>
          </section>

          <section className="card" aria-labelledby="chart-heading">
            <h2 id="chart-heading">Bookings over time</h2>
            <BookingsChart report={report} />
          </section>

          <section className="card" aria-labelledby="report-map-heading">
            <h2 id="report-map-heading">Seats by state</h2>
            <SeatLegend only={['Available', 'Held by others', 'Booked', 'Wheelchair space', 'Premium']} rename={{ 'Held by others': 'Held' }} />
            {seats.length > 0 && (
              <SeatMap
                seats={seats}
                states={states}
                label={`Seat map: ${report.seats.sold} booked, ${report.seats.held} held, ${report.seats.available} available`}
                zoomable
              />
            )}
          </section>
        </>
      )}
    </div>
  );
}

/** Seats sold and revenue (as paid: fee and tax included) per ticket type. */
function TicketTypeTable({ report }: { report: Report }) {
  if (report.by_ticket_type.length === 0) {
    return <p className="hint">No tickets sold yet.</p>;
  }
  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption className="visually-hidden">Seats sold and revenue per ticket type, fee and tax included</caption>
        <thead>
          <tr>
            <th scope="col">Ticket type</th>
            <th scope="col" className="num">
              Seats sold
            </th>
            <th scope="col" className="num">
              Revenue
            </th>
          </tr>
        </thead>
        <tbody>
          {report.by_ticket_type.map((row) => (
            <tr key={row.ticket_type.code}>
              <th scope="row">{row.ticket_type.name}</th>
              <td className="num">{row.seats}</td>
              <td className="num">{formatMoney(row.revenue)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">Revenue as paid, booking fee and tax included; a direct booking counts as Adult.</p>
    </div>
  );
}

/** What the paid checkouts of this showtime took off (vouchers), added (fees) and include (tax); and late payments refunded. */
function OrderTotals({ report }: { report: Report }) {
  const { orders } = report;
  return (
    <dl className="stats stats--compact">
      <div className="stat">
        <dt>Paid orders</dt>
        <dd>{orders.paid}</dd>
      </div>
      <div className="stat">
        <dt>Voucher discounts</dt>
        <dd>{formatMoney(orders.discounts)}</dd>
      </div>
      <div className="stat">
        <dt>Booking fees</dt>
        <dd>{formatMoney(orders.fees)}</dd>
      </div>
      <div className="stat">
        <dt>Tax</dt>
        <dd>{formatMoney(orders.tax)}</dd>
      </div>
      <div className="stat">
        <dt>Refunded</dt>
        <dd>
          {formatMoney(orders.refunded_amount)}
          <span className="stat-note">
            {orders.refunded} {orders.refunded === 1 ? 'order' : 'orders'}, paid too late
          </span>
        </dd>
      </div>
    </dl>
  );
}

/** Seats booked per hour as bars (inline SVG), with the numbers in a table for screen readers and the curious. */
function BookingsChart({ report }: { report: Report }) {
  const zone = report.showtime.venue.time_zone;
  const bars = useMemo(() => {
    const points = report.bookings_per_hour.map((p) => ({ at: Date.parse(p.hour), bookings: p.bookings, revenue: p.revenue }));
    if (points.length === 0) {
      return [];
    }
    const first = Math.min(...points.map((p) => p.at));
    const last = Math.max(...points.map((p) => p.at));
    // Hours without bookings are left out by the API; put them back (as zero) when the span is short enough to draw.
    if ((last - first) / HOUR > 72) {
      return points.sort((a, b) => a.at - b.at);
    }
    const byHour = new Map(points.map((p) => [p.at, p]));
    const filled = [];
    for (let at = first; at <= last; at += HOUR) {
      filled.push(byHour.get(at) ?? { at, bookings: 0, revenue: { amount: 0, currency: report.revenue.currency } });
    }
    return filled;
  }, [report]);

  if (bars.length === 0) {
    return <p className="hint">No bookings yet.</p>;
  }
  const hourLabel = (at: number) =>
    new Intl.DateTimeFormat(LOCALE, { timeZone: zone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(new Date(at));
  const timeLabel = (at: number) => new Intl.DateTimeFormat(LOCALE, { timeZone: zone, hour: '2-digit', minute: '2-digit' }).format(new Date(at));
  const max = Math.max(1, ...bars.map((b) => b.bookings));
  const width = 640;
  const height = 200;
  const left = 36;
  const bottom = 28;
  const plotW = width - left - 8;
  const plotH = height - bottom - 24;
  const step = plotW / bars.length;
  const barW = Math.max(2, Math.min(36, step * 0.7));
  const labelEvery = Math.ceil(bars.length / 6);
  const total = bars.reduce((sum, b) => sum + b.bookings, 0);

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Bar chart: ${total} seats booked between ${hourLabel(bars[0]?.at ?? 0)} and ${hourLabel(bars.at(-1)?.at ?? 0)}; at most ${max} in one hour.`}
      >
        <line x1={left} y1={24} x2={left} y2={24 + plotH} className="chart-axis" />
        <line x1={left} y1={24 + plotH} x2={width - 8} y2={24 + plotH} className="chart-axis" />
        <text x={left - 6} y={28} textAnchor="end" className="chart-label">
          {max}
        </text>
        <text x={left - 6} y={24 + plotH} textAnchor="end" className="chart-label">
          0
        </text>
        {bars.map((bar, i) => {
          const h = (bar.bookings / max) * plotH;
          const x = left + i * step + (step - barW) / 2;
          return (
            <g key={bar.at}>
              <rect x={x} y={24 + plotH - h} width={barW} height={Math.max(0, h)} rx="2" className="chart-bar">
                <title>
                  {hourLabel(bar.at)}: {bar.bookings} seats, {formatMoney(bar.revenue)}
                </title>
              </rect>
              {bars.length <= 24 && bar.bookings > 0 && (
                <text x={x + barW / 2} y={24 + plotH - h - 4} textAnchor="middle" className="chart-value">
                  {bar.bookings}
                </text>
              )}
              {i % labelEvery === 0 && (
                <text x={x + barW / 2} y={height - 8} textAnchor="middle" className="chart-label">
                  {i === 0 || new Date(bar.at).getUTCHours() === 0 ? hourLabel(bar.at) : timeLabel(bar.at)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>Show as a table</summary>
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Hour ({zone})</th>
              <th scope="col" className="num">
                Seats booked
              </th>
              <th scope="col" className="num">
                Revenue
              </th>
            </tr>
          </thead>
          <tbody>
            {bars
              .filter((bar) => bar.bookings > 0)
              .map((bar) => (
                <tr key={bar.at}>
                  <td>{hourLabel(bar.at)}</td>
                  <td className="num">{bar.bookings}</td>
                  <td className="num">{formatMoney(bar.revenue)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
