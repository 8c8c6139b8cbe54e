import { useEffect, useId, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { api, call, errorMessage, getAll } from '../api/client.ts';
import { forgetCatalog, loadMovies, loadVenues } from '../catalog.ts';
import { formatLongDateTime, formatMoney, formatTime, parseAmount, zonedTimeToIso } from '../format.ts';
import { Link, navigate, type StaffSection } from '../router.tsx';
import { SeatLegend, SeatMap } from '../seatmap/SeatMap.tsx';
import { useSession } from '../session.tsx';
import type { Money, Movie, SeatKind, Showtime, Venue } from '../api/types.ts';
import { ErrorNotice, PageHeading, Spinner, usePageTitle } from '../ui.tsx';
import { OrdersDesk } from './OrdersDesk.tsx';
import { knownHalls, planRows, rememberHall, rowLabel, type RowDraft } from './plan.ts';

const sections: { id: StaffSection; label: string }[] = [
  { id: 'venue', label: 'New venue' },
  { id: 'hall', label: 'New hall' },
  { id: 'movie', label: 'New movie' },
  { id: 'showtime', label: 'New showtime' },
  { id: 'reports', label: 'Reports' },
  { id: 'orders', label: 'Orders' },
];

/** The staff area: create venues, halls, movies and showtimes; open a showtime's report; find and settle orders. */
export default function StaffArea({ section }: { section: StaffSection }) {
  const { user } = useSession();
  const current = sections.find((s) => s.id === section) ?? sections[0];
  usePageTitle(`Staff: ${current?.label ?? ''}`);

  if (user === undefined) {
    return <Spinner label="Loading…" />;
  }
  if (user === null || !user.is_staff) {
    return (
      <div className="page">
        <div className="card empty-state">
          <PageHeading>Staff only</PageHeading>
          <p>{user === null ? 'Log in with a staff account to manage the cinema.' : 'This area is for staff accounts.'}</p>
          {user === null && (
            <Link to={`/login?next=${encodeURIComponent(`/staff/${section}`)}`} className="button button--primary">
              Log in
            </Link>
          )}
        </div>
      </div>
    );
  }

  return (
    <div className="page staff-page">
      <PageHeading>Staff</PageHeading>
      <nav aria-label="Staff" className="subnav">
        <ul>
          {sections.map((s) => (
            <li key={s.id}>
              <Link to={`/staff/${s.id}`} aria-current={s.id === section ? 'page' : undefined}>
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {section === 'venue' && <VenueForm />}
      {section === 'hall' && <HallForm />}
      {section === 'movie' && <MovieForm />}
      {section === 'showtime' && <ShowtimeForm />}
      {section === 'reports' && <ReportsList />}
      {section === 'orders' && <OrdersDesk />}
    </div>
  );
}

// ── shared pieces ──

function Field({ label, hint, children, id }: { label: string; hint?: string; children: (props: { id: string; 'aria-describedby'?: string }) => ReactNode; id?: string }) {
  const generated = useId();
  const fieldId = id ?? generated;
  const hintId = `${fieldId}-hint`;
  return (
    <div className="field">
      <label htmlFor={fieldId}>{label}</label>
      {children({ id: fieldId, ...(hint === undefined ? {} : { 'aria-describedby': hintId }) })}
      {hint !== undefined && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

type Outcome = { tone: 'success' | 'error'; content: ReactNode } | null;

function OutcomeNotice({ outcome }: { outcome: Outcome }) {
  return (
    <>
      <div role="status">{outcome?.tone === 'success' ? <p className="notice notice--success">{outcome.content}</p> : null}</div>
      <div role="alert">{outcome?.tone === 'error' ? <p className="notice notice--error">{outcome.content}</p> : null}</div>
    </>
  );
}

/** Optional money field: empty is "not given". */
function money(text: string, currency: string): Money | undefined | 'invalid' {
  if (text.trim() === '') {
    return undefined;
  }
  const amount = parseAmount(text, currency);
  return amount === undefined ? 'invalid' : { amount, currency };
}

function useVenues(): Venue[] {
  const [venues, setVenues] = useState<Venue[]>([]);
  useEffect(() => {
    loadVenues().then(setVenues, () => undefined);
  }, []);
  return venues;
}

const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const zones: string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];

// ── venue ──

function VenueForm() {
  const [name, setName] = useState('');
  const [city, setCity] = useState('');
  const [timeZone, setTimeZone] = useState(browserZone || 'UTC');
  const [currency, setCurrency] = useState('EUR');
  const [price, setPrice] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const code = currency.trim().toUpperCase();
    const defaultPrice = money(price, code);
    if (defaultPrice === 'invalid' || !/^[A-Z]{3}$/.test(code)) {
      setOutcome({ tone: 'error', content: 'The default price must be an amount such as 12.50, in a three-letter currency such as EUR.' });
      return;
    }
    setBusy(true);
    setOutcome(null);
    try {
      const venue = await call(
        api.POST('/api/admin/venues', {
          body: {
            name: name.trim(),
            city: city.trim(),
            time_zone: timeZone.trim(),
            ...(defaultPrice === undefined ? {} : { default_price: defaultPrice }),
          },
        }),
      );
      forgetCatalog();
      setOutcome({ tone: 'success', content: `Venue “${venue.name}” (${venue.city}, id ${venue.id}) created. Next: add a hall to it.` });
      setName('');
      setCity('');
      setPrice('');
    } catch (error) {
      setOutcome({ tone: 'error', content: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card staff-card" aria-labelledby="venue-heading">
      <h2 id="venue-heading">New venue</h2>
      <form onSubmit={(e) => void submit(e)} className="form-grid">
        <Field label="Name">{(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <Field label="City">{(p) => <input {...p} required maxLength={200} value={city} onChange={(e) => setCity(e.target.value)} />}</Field>
        <Field label="Time zone" hint="Showtimes are entered and shown on the venue’s clocks.">
          {(p) => (
            <>
              <input {...p} list="time-zones" required value={timeZone} onChange={(e) => setTimeZone(e.target.value)} />
              <datalist id="time-zones">
                {zones.map((zone) => (
                  <option key={zone} value={zone} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <div className="field-row">
          <Field label="Default price" hint="Optional; €10.00 when empty.">
            {(p) => <input {...p} inputMode="decimal" placeholder="10.00" value={price} onChange={(e) => setPrice(e.target.value)} />}
          </Field>
          <Field label="Currency">
            {(p) => <input {...p} className="input-short" maxLength={3} value={currency} onChange={(e) => setCurrency(e.target.value)} />}
          </Field>
        </div>
        <OutcomeNotice outcome={outcome} />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create venue'}
          </button>
        </div>
      </form>
    </section>
  );
}

// ── hall ──

let draftKey = 0;
const draft = (index: number, seats = '14', aisles = '4, 10', kind: SeatKind = 'standard', wheelchair = ''): RowDraft => ({
  key: ++draftKey,
  row: rowLabel(index),
  seats,
  kind,
  aisles,
  wheelchair,
});

const starterRows = (): RowDraft[] => [
  draft(0, '14', '4, 10', 'standard', '1, 14'),
  draft(1),
  draft(2),
  draft(3),
  draft(4, '14', '4, 10', 'premium'),
  draft(5, '14', '4, 10', 'premium'),
];

function HallForm() {
  const venues = useVenues();
  const [chosenVenue, setVenueId] = useState('');
  const venueId = chosenVenue === '' ? String(venues[0]?.id ?? '') : chosenVenue;
  const [name, setName] = useState('');
  const [cleaning, setCleaning] = useState('15');
  const [price, setPrice] = useState('');
  const [rows, setRows] = useState<RowDraft[]>(starterRows);
  const [quick, setQuick] = useState({ rows: '10', seats: '16', aisles: '4, 12' });
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const plan = useMemo(() => planRows(rows), [rows]);
  const venue = venues.find((v) => String(v.id) === venueId);
  const currency = venue?.default_price.currency ?? 'EUR';

  const update = (key: number, change: Partial<RowDraft>) => setRows((all) => all.map((row) => (row.key === key ? { ...row, ...change } : row)));
  const addRow = () =>
    setRows((all) => {
      const last = all.at(-1);
      return [...all, draft(all.length, last?.seats ?? '14', last?.aisles ?? '', last?.kind === 'wheelchair' ? 'standard' : (last?.kind ?? 'standard'))];
    });
  const generate = () => {
    const count = Math.min(200, Math.max(1, Number(quick.rows) || 1));
    setRows(Array.from({ length: count }, (_, i) => draft(i, quick.seats, quick.aisles)));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const defaultPrice = money(price, currency);
    if (plan.problems.length > 0) {
      setOutcome({ tone: 'error', content: `Fix the rows first: ${plan.problems[0]}` });
      return;
    }
    if (defaultPrice === 'invalid') {
      setOutcome({ tone: 'error', content: 'The default price must be an amount such as 12.50.' });
      return;
    }
    setBusy(true);
    setOutcome(null);
    try {
      const hall = await call(
        api.POST('/api/admin/halls', {
          body: {
            venue_id: Number(venueId),
            name: name.trim(),
            rows: plan.rows,
            ...(cleaning.trim() === '' ? {} : { cleaning_minutes: Number(cleaning) }),
            ...(defaultPrice === undefined ? {} : { default_price: defaultPrice }),
          },
        }),
      );
      rememberHall({ id: hall.id, name: hall.name, venue_id: hall.venue_id });
      setOutcome({
        tone: 'success',
        content: (
          <>
            Hall “{hall.name}” (id {hall.id}, {hall.seat_count} seats) created.{' '}
            <Link to="/staff/showtime">Schedule a showtime in it</Link>.
          </>
        ),
      });
      setName('');
    } catch (error) {
      setOutcome({ tone: 'error', content: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card staff-card" aria-labelledby="hall-heading">
      <h2 id="hall-heading">New hall</h2>
      <form onSubmit={(e) => void submit(e)}>
        <div className="form-grid form-grid--wide">
          <Field label="Venue">
            {(p) => (
              <select {...p} required value={venueId} onChange={(e) => setVenueId(e.target.value)}>
                {venues.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.name}, {v.city}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Hall name">{(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label="Cleaning minutes" hint="Idle time after each showtime.">
            {(p) => <input {...p} type="number" min={0} max={240} value={cleaning} onChange={(e) => setCleaning(e.target.value)} />}
          </Field>
          <Field label={`Default price (${currency})`} hint="Optional; else the venue’s.">
            {(p) => <input {...p} inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} />}
          </Field>
        </div>

        <fieldset className="quick-fill">
          <legend>Quick start</legend>
          <Field label="Rows">{(p) => <input {...p} type="number" min={1} max={200} className="input-short" value={quick.rows} onChange={(e) => setQuick({ ...quick, rows: e.target.value })} />}</Field>
          <Field label="Seats per row">
            {(p) => <input {...p} type="number" min={1} max={500} className="input-short" value={quick.seats} onChange={(e) => setQuick({ ...quick, seats: e.target.value })} />}
          </Field>
          <Field label="Aisles after seats">{(p) => <input {...p} className="input-medium" value={quick.aisles} onChange={(e) => setQuick({ ...quick, aisles: e.target.value })} />}</Field>
          <button type="button" className="button" onClick={generate}>
            Fill in rows
          </button>
        </fieldset>

        <div className="rows-editor">
          <table>
            <caption>Rows, from the screen backwards</caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Seats</th>
                <th scope="col">Kind</th>
                <th scope="col">Aisles after seats</th>
                <th scope="col">Wheelchair spaces</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => {
                const name = row.row.trim() === '' ? `row ${index + 1}` : `row ${row.row}`;
                return (
                  <tr key={row.key}>
                    <td>
                      <input aria-label={`Label of ${name}`} className="input-tiny" value={row.row} onChange={(e) => update(row.key, { row: e.target.value })} />
                    </td>
                    <td>
                      <input aria-label={`Seats in ${name}`} className="input-tiny" inputMode="numeric" value={row.seats} onChange={(e) => update(row.key, { seats: e.target.value })} />
                    </td>
                    <td>
                      <select aria-label={`Kind of ${name}`} value={row.kind} onChange={(e) => update(row.key, { kind: e.target.value as SeatKind })}>
                        <option value="standard">Standard</option>
                        <option value="premium">Premium</option>
                        <option value="wheelchair">Wheelchair</option>
                      </select>
                    </td>
                    <td>
                      <input aria-label={`Aisles after seats in ${name}`} placeholder="e.g. 4, 10" value={row.aisles} onChange={(e) => update(row.key, { aisles: e.target.value })} />
                    </td>
                    <td>
                      <input aria-label={`Wheelchair spaces in ${name}`} placeholder="e.g. 1, 14" value={row.wheelchair} onChange={(e) => update(row.key, { wheelchair: e.target.value })} />
                    </td>
                    <td>
                      <button type="button" className="link-button" aria-label={`Remove ${name}`} onClick={() => setRows((all) => all.filter((r) => r.key !== row.key))} disabled={rows.length === 1}>
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <button type="button" className="button button--small" onClick={addRow} disabled={rows.length >= 200}>
            Add a row
          </button>
        </div>

        <div className="preview">
          <h3>Preview</h3>
          {plan.problems.length > 0 ? (
            <ul className="problems" aria-live="polite">
              {plan.problems.slice(0, 5).map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          ) : (
            <p className="hint" aria-live="polite">
              {plan.seats.length} seats in {plan.rows.length} rows.
            </p>
          )}
          <SeatLegend only={['Available', 'Wheelchair space', 'Premium']} />
          {plan.seats.length > 0 && <SeatMap seats={plan.seats} label={`Preview of the hall: ${plan.seats.length} seats in ${plan.rows.length} rows`} maxScale={1} />}
        </div>

        <OutcomeNotice outcome={outcome} />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy || venueId === ''}>
            {busy ? 'Creating…' : 'Create hall'}
          </button>
        </div>
      </form>
    </section>
  );
}

// ── movie ──

function MovieForm() {
  const [title, setTitle] = useState('');
  const [duration, setDuration] = useState('120');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setOutcome(null);
    try {
      const movie = await call(api.POST('/api/admin/movies', { body: { title: title.trim(), duration_minutes: Number(duration) } }));
      forgetCatalog();
      setOutcome({ tone: 'success', content: `Movie “${movie.title}” (id ${movie.id}, ${movie.duration_minutes} min) created.` });
      setTitle('');
    } catch (error) {
      setOutcome({ tone: 'error', content: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card staff-card" aria-labelledby="movie-heading">
      <h2 id="movie-heading">New movie</h2>
      <form onSubmit={(e) => void submit(e)} className="form-grid">
        <Field label="Title">{(p) => <input {...p} required maxLength={300} value={title} onChange={(e) => setTitle(e.target.value)} />}</Field>
        <Field label="Running time (minutes)">
          {(p) => <input {...p} type="number" required min={1} max={1440} value={duration} onChange={(e) => setDuration(e.target.value)} />}
        </Field>
        <OutcomeNotice outcome={outcome} />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create movie'}
          </button>
        </div>
      </form>
    </section>
  );
}

// ── showtime ──

type HallChoice = { id: number; name: string; venue: Venue | undefined };

function useHallChoices(venues: Venue[]): HallChoice[] {
  const [fromShowtimes, setFromShowtimes] = useState<Showtime[]>([]);
  useEffect(() => {
    getAll((query) => api.GET('/api/showtimes', { params: { query } })).then(setFromShowtimes, () => undefined);
  }, []);
  return useMemo(() => {
    const halls = new Map<number, HallChoice>();
    for (const showtime of fromShowtimes) {
      halls.set(showtime.hall.id, { id: showtime.hall.id, name: showtime.hall.name, venue: venues.find((v) => v.id === showtime.venue.id) });
    }
    for (const hall of knownHalls()) {
      halls.set(hall.id, { id: hall.id, name: hall.name, venue: venues.find((v) => v.id === hall.venue_id) });
    }
    return [...halls.values()].sort((a, b) => (a.venue?.name ?? '').localeCompare(b.venue?.name ?? '') || a.name.localeCompare(b.name));
  }, [fromShowtimes, venues]);
}

function ShowtimeForm() {
  const venues = useVenues();
  const halls = useHallChoices(venues);
  const [movies, setMovies] = useState<Movie[]>([]);
  const [chosenHall, setHallId] = useState('');
  const [chosenMovie, setMovieId] = useState('');
  const hallId = chosenHall === '' ? String(halls[0]?.id ?? '') : chosenHall;
  const movieId = chosenMovie === '' ? String(movies[0]?.id ?? '') : chosenMovie;
  const [startsAt, setStartsAt] = useState('');
  const [price, setPrice] = useState('');
  const [premium, setPremium] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);

  useEffect(() => {
    loadMovies().then(setMovies, () => undefined);
  }, []);

  const hall = halls.find((h) => String(h.id) === hallId);
  const zone = hall?.venue?.time_zone ?? 'UTC';
  const currency = hall?.venue?.default_price.currency ?? 'EUR';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const instant = zonedTimeToIso(startsAt, zone);
    const showPrice = money(price, currency);
    const premiumPrice = money(premium, currency);
    if (instant === undefined) {
      setOutcome({ tone: 'error', content: 'Enter the date and time the showtime starts.' });
      return;
    }
    if (showPrice === 'invalid' || premiumPrice === 'invalid') {
      setOutcome({ tone: 'error', content: 'Prices must be amounts such as 12.50.' });
      return;
    }
    setBusy(true);
    setOutcome(null);
    try {
      const showtime = await call(
        api.POST('/api/admin/showtimes', {
          body: {
            hall_id: Number(hallId),
            movie_id: Number(movieId),
            starts_at: instant,
            ...(showPrice === undefined ? {} : { price: showPrice }),
            ...(premiumPrice === undefined ? {} : { premium_price: premiumPrice }),
          },
        }),
      );
      setOutcome({
        tone: 'success',
        content: (
          <>
            {showtime.movie.title} in {showtime.hall.name} at {formatLongDateTime(showtime.starts_at, showtime.venue.time_zone)} scheduled (id{' '}
            {showtime.id}, {formatMoney(showtime.price)}). <Link to={`/shows/${showtime.id}`}>Open its seat map</Link> or{' '}
            <Link to={`/staff/reports/${showtime.id}`}>its report</Link>.
          </>
        ),
      });
    } catch (error) {
      setOutcome({ tone: 'error', content: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card staff-card" aria-labelledby="showtime-heading">
      <h2 id="showtime-heading">New showtime</h2>
      <form onSubmit={(e) => void submit(e)} className="form-grid">
        <Field label="Hall" hint="Halls with showtimes, and halls created in this browser.">
          {(p) => (
            <select {...p} required value={hallId} onChange={(e) => setHallId(e.target.value)}>
              {halls.map((h) => (
                <option key={h.id} value={h.id}>
                  {h.name} · {h.venue?.name ?? 'venue unknown'}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Movie">
          {(p) => (
            <select {...p} required value={movieId} onChange={(e) => setMovieId(e.target.value)}>
              {movies.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.title} ({m.duration_minutes} min)
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Starts at" hint={`On the venue’s clocks (${zone}).`}>
          {(p) => <input {...p} type="datetime-local" required value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />}
        </Field>
        <div className="field-row">
          <Field label={`Price (${currency})`} hint="Optional; else the hall’s.">
            {(p) => <input {...p} inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} />}
          </Field>
          <Field label={`Premium price (${currency})`} hint="Optional; else the price.">
            {(p) => <input {...p} inputMode="decimal" value={premium} onChange={(e) => setPremium(e.target.value)} />}
          </Field>
        </div>
        <OutcomeNotice outcome={outcome} />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy || hallId === '' || movieId === ''}>
            {busy ? 'Scheduling…' : 'Schedule showtime'}
          </button>
        </div>
      </form>
    </section>
  );
}

// ── reports ──

function ReportsList() {
  const [showtimes, setShowtimes] = useState<Showtime[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [id, setId] = useState('');

  useEffect(() => {
    getAll((query) => api.GET('/api/showtimes', { params: { query } })).then(setShowtimes, (e: unknown) => setError(errorMessage(e)));
  }, []);

  return (
    <section className="card staff-card" aria-labelledby="reports-heading">
      <h2 id="reports-heading">Showtime reports</h2>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (/^\d+$/.test(id.trim())) {
            navigate(`/staff/reports/${id.trim()}`);
          }
        }}
      >
        <Field label="Showtime id" hint="Any showtime, including past and cancelled ones.">
          {(p) => <input {...p} inputMode="numeric" className="input-short" value={id} onChange={(e) => setId(e.target.value)} />}
        </Field>
        <button type="submit" className="button">
          Open report
        </button>
      </form>
      {error !== null ? (
        <ErrorNotice>{error}</ErrorNotice>
      ) : showtimes === null ? (
        <Spinner label="Loading showtimes…" />
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption>Upcoming showtimes</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Movie</th>
                <th scope="col">Hall</th>
                <th scope="col" className="num">
                  Booked
                </th>
                <th scope="col" className="num">
                  Held
                </th>
                <th scope="col" className="num">
                  Free
                </th>
                <th scope="col">
                  <span className="visually-hidden">Report</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {showtimes.map((s) => (
                <tr key={s.id}>
                  <td>
                    {new Intl.DateTimeFormat('en-GB', { timeZone: s.venue.time_zone, weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(s.starts_at))}{' '}
                    {formatTime(s.starts_at, s.venue.time_zone)}
                  </td>
                  <td>{s.movie.title}</td>
                  <td>
                    {s.hall.name} · {s.venue.name}
                  </td>
                  <td className="num">{s.seats.booked}</td>
                  <td className="num">{s.seats.held}</td>
                  <td className="num">{s.seats.available}</td>
                  <td>
                    <Link to={`/staff/reports/${s.id}`} aria-label={`Report for ${s.movie.title} at ${formatTime(s.starts_at, s.venue.time_zone)}, showtime ${s.id}`}>
                      Report
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
