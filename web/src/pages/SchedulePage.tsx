import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { api, errorMessage, getAll } from '../api/client.ts';
import { loadMovies, loadVenues } from '../catalog.ts';
import { dayDate, dayLabel, formatDuration, formatMoney, formatTime, upcomingDays } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import type { Movie, Showtime, Venue } from '../api/types.ts';
import { ErrorNotice, PageHeading, Spinner, usePageTitle } from '../ui.tsx';

const DAYS_SHOWN = 7;

type Props = { date: string | null; movieId: number | null; venueId: number | null };

function scheduleUrl(date: string, movieId: number | null, venueId: number | null, today: string): string {
  const query = new URLSearchParams();
  if (date !== today) {
    query.set('date', date);
  }
  if (movieId !== null) {
    query.set('movie', String(movieId));
  }
  if (venueId !== null) {
    query.set('venue', String(venueId));
  }
  const text = query.toString();
  return text === '' ? '/' : `/?${text}`;
}

/** What's on: day tabs (today, tomorrow, the week), filters by movie and venue, showtimes grouped by movie. */
export function SchedulePage({ date, movieId, venueId }: Props) {
  usePageTitle('What’s on');
  const days = useMemo(() => upcomingDays(DAYS_SHOWN), []);
  const today = days[0] ?? '';
  const selected = date ?? today;
  const [movies, setMovies] = useState<Movie[]>([]);
  const [venues, setVenues] = useState<Venue[]>([]);
  // Results are kept with the query they answer, so a new query shows "loading" until its own answer.
  const query = `${selected}|${movieId ?? ''}|${venueId ?? ''}`;
  const [result, setResult] = useState<{ query: string; showtimes: Showtime[] | null; error: string | null } | null>(null);
  const showtimes = result?.query === query ? result.showtimes : null;
  const error = result?.query === query ? result.error : null;
  const panelId = useId();
  const tabRefs = useRef(new Map<string, HTMLButtonElement>());

  useEffect(() => {
    loadMovies().then(setMovies, () => undefined);
    loadVenues().then(setVenues, () => undefined);
  }, []);

  useEffect(() => {
    let cancelled = false;
    const asked = `${selected}|${movieId ?? ''}|${venueId ?? ''}`;
    getAll((page) =>
      api.GET('/api/showtimes', {
        params: { query: { ...page, date: selected, ...(movieId === null ? {} : { movie_id: movieId }), ...(venueId === null ? {} : { venue_id: venueId }) } },
      }),
    ).then(
      (items) => !cancelled && setResult({ query: asked, showtimes: items, error: null }),
      (e: unknown) => !cancelled && setResult({ query: asked, showtimes: null, error: errorMessage(e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [selected, movieId, venueId]);

  const go = (next: Partial<Props>) =>
    navigate(
      scheduleUrl(next.date ?? selected, next.movieId === undefined ? movieId : next.movieId, next.venueId === undefined ? venueId : next.venueId, today),
      { replace: true },
    );

  // Tabs pattern: arrow keys move between days and select them.
  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: days.length - 1 };
    const target = moves[event.key];
    if (target === undefined) {
      return;
    }
    event.preventDefault();
    const day = days[(target + days.length) % days.length];
    if (day !== undefined) {
      go({ date: day });
      tabRefs.current.get(day)?.focus();
    }
  };

  const byMovie = useMemo(() => {
    const groups = new Map<number, { movie: Showtime['movie']; showtimes: Showtime[] }>();
    for (const showtime of showtimes ?? []) {
      const group = groups.get(showtime.movie.id);
      if (group === undefined) {
        groups.set(showtime.movie.id, { movie: showtime.movie, showtimes: [showtime] });
      } else {
        group.showtimes.push(showtime);
      }
    }
    return [...groups.values()];
  }, [showtimes]);

  const selectedIndex = days.indexOf(selected);
  const dayOutsideWeek = selectedIndex === -1;

  return (
    <div className="page schedule-page">
      <div className="page-intro">
        <PageHeading>What’s on</PageHeading>
        <p className="lead">Pick a showtime, choose your seats on the live seat map, and book in a minute.</p>
      </div>

      <div className="schedule-controls card">
        <div role="tablist" aria-label="Day" className="day-tabs">
          {days.map((day, index) => {
            const isSelected = day === selected;
            return (
              <button
                key={day}
                ref={(element) => {
                  if (element === null) {
                    tabRefs.current.delete(day);
                  } else {
                    tabRefs.current.set(day, element);
                  }
                }}
                type="button"
                role="tab"
                id={`${panelId}-tab-${day}`}
                aria-selected={isSelected}
                aria-controls={panelId}
                tabIndex={isSelected || (dayOutsideWeek && index === 0) ? 0 : -1}
                className="day-tab"
                onClick={() => go({ date: day })}
                onKeyDown={(event) => onTabKey(event, index)}
              >
                <span className="day-tab-name">{dayLabel(day)}</span>
                {/* Spaces between the parts keep the accessible name readable ("Today Wed 25 Nov"); flex ignores them. */}{' '}
                {index < 2 && <span className="day-tab-date">{dayDate(day)}</span>}
              </button>
            );
          })}
        </div>
        <div className="filters">
          <label>
            <span>Movie</span>
            <select value={movieId ?? ''} onChange={(e) => go({ movieId: e.target.value === '' ? null : Number(e.target.value) })}>
              <option value="">All movies</option>
              {movies.map((movie) => (
                <option key={movie.id} value={movie.id}>
                  {movie.title}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Venue</span>
            <select value={venueId ?? ''} onChange={(e) => go({ venueId: e.target.value === '' ? null : Number(e.target.value) })}>
              <option value="">All venues</option>
              {venues.map((venue) => (
                <option key={venue.id} value={venue.id}>
                  {venue.name}, {venue.city}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>

      <div
        role="tabpanel"
        id={panelId}
        aria-labelledby={dayOutsideWeek ? undefined : `${panelId}-tab-${selected}`}
        aria-label={dayOutsideWeek ? selected : undefined}
        aria-busy={showtimes === null && error === null}
        className="schedule-panel"
      >
        {error !== null ? (
          <ErrorNotice>{error}</ErrorNotice>
        ) : showtimes === null ? (
          <Spinner label="Loading showtimes…" />
        ) : byMovie.length === 0 ? (
          <div className="card empty-state">
            <h2>No showtimes {selected === today ? 'left today' : `on ${dayLabel(selected)}`}</h2>
            <p>
              {movieId !== null || venueId !== null ? 'Try all movies and venues, or another day.' : 'Try another day of the week.'}
            </p>
            {(movieId !== null || venueId !== null) && (
              <button type="button" className="button" onClick={() => go({ movieId: null, venueId: null })}>
                Show all movies and venues
              </button>
            )}
          </div>
        ) : (
          byMovie.map(({ movie, showtimes: times }) => (
            <section key={movie.id} className="card movie-card" aria-labelledby={`movie-${movie.id}`}>
              <div className="movie-poster" aria-hidden="true" style={{ background: posterGradient(movie.id) }}>
                <span>{initials(movie.title)}</span>
              </div>
              <div className="movie-body">
                <h2 id={`movie-${movie.id}`}>{movie.title}</h2>
                <p className="movie-meta">
                  {formatDuration(movie.duration_minutes)}
                  {movie.rating !== null && (
                    <>
                      {' · '}
                      <span className="movie-rating" title={`For ages ${movie.rating.min_age} and over`}>
                        Rated {movie.rating.label}
                      </span>
                    </>
                  )}
                </p>
                <ul className="showtime-list">
                  {times.map((showtime) => (
                    <li key={showtime.id}>
                      <ShowtimeLink showtime={showtime} />
                    </li>
                  ))}
                </ul>
              </div>
            </section>
          ))
        )}
      </div>
    </div>
  );
}

function ShowtimeLink({ showtime }: { showtime: Showtime }) {
  const { available, held, booked } = showtime.seats;
  const capacity = available + held + booked;
  const taken = capacity === 0 ? 0 : (held + booked) / capacity;
  const soldOut = available === 0;
  const fullness = soldOut ? 'Sold out' : taken >= 0.8 ? 'Almost full' : taken >= 0.5 ? 'Filling up' : 'Plenty of seats';
  return (
    <Link to={`/shows/${showtime.id}`} className={`showtime${soldOut ? ' showtime--soldout' : ''}`}>
      <span className="showtime-time">
        <time dateTime={showtime.starts_at}>{formatTime(showtime.starts_at, showtime.venue.time_zone)}</time>
      </span>{' '}
      <span className="showtime-where">
        {showtime.hall.name} · {showtime.venue.name}
      </span>{' '}
      <span className="showtime-price">
        <PriceRange showtime={showtime} />
      </span>
      <span className="fill" aria-hidden="true">
        <span className="fill-bar" style={{ width: `${Math.round(taken * 100)}%` }} />
      </span>{' '}
      <span className="showtime-seats">
        {soldOut ? 'Sold out' : `${available} of ${capacity} seats free`}
        {!soldOut && taken >= 0.5 && <span className="showtime-fullness"> · {fullness}</span>}
      </span>
    </Link>
  );
}

/** What a ticket costs here, cheapest to dearest over the ticket types on sale online (Child, Adult, premium seats…). */
function PriceRange({ showtime }: { showtime: Showtime }) {
  const range = showtime.price_range;
  if (range === null) {
    return <>{formatMoney(showtime.price)}</>;
  }
  if (range.min.amount === range.max.amount) {
    return <>{formatMoney(range.min)}</>;
  }
  return (
    <>
      {formatMoney(range.min)}
      <span className="showtime-premium"> to {formatMoney(range.max)}</span>
    </>
  );
}

function initials(title: string): string {
  return title
    .split(/\s+/)
    .filter((word) => /^[A-Za-z0-9]/.test(word) && !['the', 'of', 'a', 'an'].includes(word.toLowerCase()))
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase())
    .join('');
}

/** A stable, pleasant colour per movie, in place of posters the API does not have. */
function posterGradient(id: number): string {
  const hue = (id * 67) % 360;
  return `linear-gradient(160deg, hsl(${hue} 55% 38%), hsl(${(hue + 40) % 360} 60% 18%))`;
}
