import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent, type ReactElement } from 'react';
import { seatName } from '../format.ts';
import type { Money, SeatKind } from '../api/types.ts';

/** What one viewer sees of a seat. `mine` is a seat this viewer holds. */
export type SeatView = 'available' | 'mine' | 'held' | 'booked';

/** The one state word each seat's accessible name ends with. */
export const stateWords: Record<SeatView, string> = { available: 'available', mine: 'held by you', held: 'held', booked: 'booked' };

export type MapSeat = { id: number; row: string; number: number; kind: SeatKind; x: number; y: number; price?: Money };

// Geometry, in SVG user units: a grid cell per (x, y), the seat drawn inside it.
const CELL = 30;
const SEAT_W = 24;
const SEAT_H = 22;
const LABEL_W = 34;
const SCREEN_H = 62;
const BOTTOM = 12;

type Geometry = {
  width: number;
  height: number;
  /** Seats per grid line (y), each line ordered by x; lines in y order. */
  lines: { y: number; label: string; seats: MapSeat[] }[];
  byId: Map<number, MapSeat>;
  lineIndex: Map<number, number>;
};

function measure(seats: readonly MapSeat[]): Geometry {
  let maxX = 0;
  let maxY = 0;
  const byLine = new Map<number, MapSeat[]>();
  const byId = new Map<number, MapSeat>();
  for (const seat of seats) {
    maxX = Math.max(maxX, seat.x);
    maxY = Math.max(maxY, seat.y);
    byId.set(seat.id, seat);
    const line = byLine.get(seat.y);
    if (line === undefined) {
      byLine.set(seat.y, [seat]);
    } else {
      line.push(seat);
    }
  }
  const lines = [...byLine.entries()]
    .sort(([a], [b]) => a - b)
    .map(([y, line]) => ({ y, label: line[0]?.row ?? '', seats: line.sort((a, b) => a.x - b.x) }));
  const lineIndex = new Map<number, number>();
  lines.forEach((line, index) => line.seats.forEach((seat) => lineIndex.set(seat.id, index)));
  return { width: LABEL_W * 2 + (maxX + 1) * CELL, height: SCREEN_H + (maxY + 1) * CELL + BOTTOM, lines, byId, lineIndex };
}

/** The seat an arrow key leads to: along the line by x, or to the nearest x on the next line that has seats. */
function neighbour(geometry: Geometry, from: MapSeat, key: string, ctrl: boolean): MapSeat | undefined {
  const lineAt = geometry.lineIndex.get(from.id);
  const line = lineAt === undefined ? undefined : geometry.lines[lineAt];
  if (line === undefined || lineAt === undefined) {
    return undefined;
  }
  const position = line.seats.indexOf(from);
  switch (key) {
    case 'ArrowRight':
      return line.seats[position + 1];
    case 'ArrowLeft':
      return line.seats[position - 1];
    case 'Home':
      return ctrl ? geometry.lines[0]?.seats[0] : line.seats[0];
    case 'End': {
      const target = ctrl ? geometry.lines.at(-1) : line;
      return target?.seats.at(-1);
    }
    case 'ArrowUp':
    case 'ArrowDown': {
      const next = geometry.lines[lineAt + (key === 'ArrowUp' ? -1 : 1)];
      if (next === undefined) {
        return undefined;
      }
      let best: MapSeat | undefined;
      for (const seat of next.seats) {
        if (best === undefined || Math.abs(seat.x - from.x) < Math.abs(best.x - from.x)) {
          best = seat;
        }
      }
      return best;
    }
    default:
      return undefined;
  }
}

type Ids = { hatch: string; wheelchair: string; check: string; cross: string };

/** Patterns and symbols every seat refers to, once per SVG. */
function Defs({ ids }: { ids: Ids }) {
  return (
    <defs>
      <pattern id={ids.hatch} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <rect width="6" height="6" className="hatch-bg" />
        <rect width="2.4" height="6" className="hatch-line" />
      </pattern>
      {/* The international symbol of access, drawn for a 24×22 seat. */}
      <symbol id={ids.wheelchair} viewBox="0 0 24 24">
        <circle cx="11" cy="4.5" r="2.2" />
        <path d="M10 7.5v6h6l2.5 5" fill="none" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" />
        <path d="M8 10.5a5.5 5.5 0 1 0 7.2 6.6" fill="none" strokeWidth="2" strokeLinecap="round" />
      </symbol>
      <symbol id={ids.check} viewBox="0 0 24 24">
        <path d="M6 12.5l4 4 8-9" fill="none" strokeWidth="3" strokeLinecap="round" strokeLinejoin="round" />
      </symbol>
      <symbol id={ids.cross} viewBox="0 0 24 24">
        <path d="M7 7l10 10M17 7L7 17" fill="none" strokeWidth="2.6" strokeLinecap="round" />
      </symbol>
    </defs>
  );
}

/** The drawing of one seat: body, premium band, and a mark per state (colour is never the only signal). */
function SeatShape({ view, kind, ids, pending }: { view: SeatView; kind: SeatKind; ids: Ids; pending: boolean }) {
  return (
    <>
      <rect
        className="seat-body"
        width={SEAT_W}
        height={SEAT_H}
        rx={kind === 'wheelchair' ? 9 : 5}
        // Inline, so that it wins over the stylesheet's fills: ids differ per map.
        style={view === 'held' ? { fill: `url(#${ids.hatch})` } : undefined}
        strokeDasharray={pending ? '4 3' : undefined}
      />
      {kind === 'premium' && <rect className="seat-band" x="3" y="2.5" width={SEAT_W - 6} height="3.5" rx="1.75" />}
      {view === 'mine' && <use className="seat-mark" href={`#${ids.check}`} x="2" y="1" width="20" height="20" />}
      {view === 'booked' && <use className="seat-mark" href={`#${ids.cross}`} x="3" y="2" width="18" height="18" />}
      {kind === 'wheelchair' && (view === 'available' || view === 'held') && (
        <use className="seat-icon" href={`#${ids.wheelchair}`} x="3.5" y="2.5" width="17" height="17" />
      )}
    </>
  );
}

/**
 * Seat elements cached per seat object: when one seat changes, the others are
 * the very same React elements as before, so React skips them without
 * comparing their props. This keeps a 2,000-seat hall cheap to update on
 * every live event.
 */
const elementCache = new WeakMap<MapSeat, { signature: string; element: ReactElement }>();

function seatElement(seat: MapSeat, view: SeatView, pending: boolean, tabbable: boolean, interactive: boolean, ids: Ids): ReactElement {
  const signature = `${view}|${pending ? 1 : 0}|${tabbable ? 1 : 0}|${interactive ? 1 : 0}|${ids.hatch}`;
  const cached = elementCache.get(seat);
  if (cached !== undefined && cached.signature === signature) {
    return cached.element;
  }
  const x = LABEL_W + seat.x * CELL + (CELL - SEAT_W) / 2;
  const y = SCREEN_H + seat.y * CELL + (CELL - SEAT_H) / 2;
  const control = interactive
    ? {
        role: 'button',
        tabIndex: tabbable ? 0 : -1,
        'aria-label': seatName(seat, stateWords[view]),
        'aria-disabled': view === 'held' || view === 'booked' ? true : undefined,
        'aria-busy': pending ? true : undefined,
      }
    : {};
  const element = (
    <g
      key={seat.id}
      className={`seat seat--${view} seat--${seat.kind}${pending ? ' seat--pending' : ''}`}
      transform={`translate(${x} ${y})`}
      data-seat-id={seat.id}
      {...control}
    >
      <SeatShape view={view} kind={seat.kind} ids={ids} pending={pending} />
    </g>
  );
  elementCache.set(seat, { signature, element });
  return element;
}

type SeatMapProps = {
  seats: readonly MapSeat[];
  /** Each seat's view; seats not in the map are available. */
  states?: ReadonlyMap<number, SeatView>;
  /** Seats with a request under way (drawn dashed). */
  pending?: ReadonlySet<number>;
  /** Makes every seat a focusable button; without it the map is one image. */
  onActivate?: (seat: MapSeat) => void;
  /** The accessible name of the map. */
  label: string;
  describedBy?: string;
  /** Zoom buttons and drag-to-pan. */
  zoomable?: boolean;
  /** Largest drawing scale, for small halls on wide screens. */
  maxScale?: number;
};

const ZOOM_STEP = 1.25;

/**
 * A hall as ONE SVG: screen at the top, row labels on both sides, aisles where
 * the grid leaves a column empty. Seats are light <g role="button"> elements
 * with a roving tabindex (arrow keys move, Enter/Space activate), handled by
 * delegation on the SVG, so there is no per-seat component or handler.
 */
export function SeatMap({ seats, states, pending, onActivate, label, describedBy, zoomable = false, maxScale = 1.4 }: SeatMapProps) {
  const uid = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const ids = useMemo<Ids>(() => ({ hatch: `${uid}-hatch`, wheelchair: `${uid}-wc`, check: `${uid}-check`, cross: `${uid}-cross` }), [uid]);
  const geometry = useMemo(() => measure(seats), [seats]);
  const interactive = onActivate !== undefined;
  const svgRef = useRef<SVGSVGElement>(null);
  const scrollerRef = useRef<HTMLDivElement>(null);

  const viewOf = (id: number): SeatView => states?.get(id) ?? 'available';

  // Roving tabindex: one seat is in the tab order; it starts on the first available seat.
  const [activeId, setActiveId] = useState<number | null>(null);
  const tabbableId = useMemo(() => {
    if (activeId !== null && geometry.byId.has(activeId)) {
      return activeId;
    }
    for (const line of geometry.lines) {
      for (const seat of line.seats) {
        if ((states?.get(seat.id) ?? 'available') === 'available') {
          return seat.id;
        }
      }
    }
    return geometry.lines[0]?.seats[0]?.id ?? null;
  }, [activeId, geometry, states]);

  const elements = geometry.lines.flatMap((line) =>
    line.seats.map((seat) => seatElement(seat, viewOf(seat.id), pending?.has(seat.id) ?? false, seat.id === tabbableId, interactive, ids)),
  );

  // ── zoom and pan ──
  const [containerWidth, setContainerWidth] = useState(0);
  const [zoom, setZoom] = useState(1);
  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (scroller === null) {
      return;
    }
    setContainerWidth(scroller.clientWidth);
    const observer = new ResizeObserver(() => setContainerWidth(scroller.clientWidth));
    observer.observe(scroller);
    return () => observer.disconnect();
  }, []);
  const coarse = typeof window !== 'undefined' && window.matchMedia?.('(pointer: coarse)').matches === true;
  // Fit the hall to the width, but never so small that a seat is hard to hit: then the map pans instead.
  const fit = containerWidth > 0 ? (containerWidth - 4) / geometry.width : 1;
  // On touch screens a cell is at least 24 px, the smallest comfortable target (WCAG 2.5.8).
  const baseScale = Math.min(maxScale, Math.max(fit, coarse ? 0.8 : 0.4));
  const scale = baseScale * zoom;
  const minZoom = Math.min(1, fit / baseScale);

  const pendingCentre = useRef<{ x: number; y: number } | null>(null);
  const changeZoom = (next: number) => {
    const scroller = scrollerRef.current;
    if (scroller !== null) {
      // Keep the middle of what is on screen in the middle after zooming.
      pendingCentre.current = {
        x: (scroller.scrollLeft + scroller.clientWidth / 2) / Math.max(1, scroller.scrollWidth),
        y: (scroller.scrollTop + scroller.clientHeight / 2) / Math.max(1, scroller.scrollHeight),
      };
    }
    setZoom(Math.min(4, Math.max(minZoom, next)));
  };
  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    const centre = pendingCentre.current;
    if (scroller === null || centre === null) {
      return;
    }
    pendingCentre.current = null;
    scroller.scrollLeft = centre.x * scroller.scrollWidth - scroller.clientWidth / 2;
    scroller.scrollTop = centre.y * scroller.scrollHeight - scroller.clientHeight / 2;
  }, [zoom]);

  // Mouse drag pans a zoomed map; a drag is not a click.
  const drag = useRef<{ x: number; y: number; left: number; top: number; moved: boolean } | null>(null);
  const suppressClick = useRef(false);
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    const scroller = scrollerRef.current;
    if (!zoomable || event.pointerType !== 'mouse' || event.button !== 0 || scroller === null) {
      return;
    }
    drag.current = { x: event.clientX, y: event.clientY, left: scroller.scrollLeft, top: scroller.scrollTop, moved: false };
  };
  useEffect(() => {
    const move = (event: globalThis.PointerEvent) => {
      const state = drag.current;
      const scroller = scrollerRef.current;
      if (state === null || scroller === null) {
        return;
      }
      const dx = event.clientX - state.x;
      const dy = event.clientY - state.y;
      if (!state.moved && Math.hypot(dx, dy) < 5) {
        return;
      }
      state.moved = true;
      scroller.scrollLeft = state.left - dx;
      scroller.scrollTop = state.top - dy;
    };
    const up = () => {
      if (drag.current?.moved === true) {
        suppressClick.current = true;
        setTimeout(() => (suppressClick.current = false), 0);
      }
      drag.current = null;
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
    return () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
  }, []);

  // ── events, delegated from the seats ──
  const seatFrom = (target: EventTarget): MapSeat | undefined => {
    const element = (target as Element).closest?.('[data-seat-id]');
    return element === null || element === undefined ? undefined : geometry.byId.get(Number(element.getAttribute('data-seat-id')));
  };
  const focusSeat = (seat: MapSeat) => {
    setActiveId(seat.id);
    svgRef.current?.querySelector<SVGGElement>(`[data-seat-id="${seat.id}"]`)?.focus();
  };
  const onClick = (event: MouseEvent<SVGSVGElement>) => {
    const seat = seatFrom(event.target);
    if (seat === undefined || onActivate === undefined || suppressClick.current) {
      return;
    }
    setActiveId(seat.id);
    onActivate(seat);
  };
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const seat = seatFrom(event.target);
    if (seat === undefined || onActivate === undefined) {
      return;
    }
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      if (!event.repeat) {
        onActivate(seat);
      }
      return;
    }
    const next = neighbour(geometry, seat, event.key, event.ctrlKey || event.metaKey);
    if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(event.key)) {
      event.preventDefault();
      if (next !== undefined) {
        focusSeat(next);
      }
    }
  };

  const screenLeft = LABEL_W;
  const screenRight = geometry.width - LABEL_W;
  const svg = (
    <svg
      ref={svgRef}
      className={`seatmap-svg${interactive ? ' seatmap-svg--interactive' : ''}`}
      role={interactive ? 'group' : 'img'}
      aria-label={label}
      aria-describedby={describedBy}
      viewBox={`0 0 ${geometry.width} ${geometry.height}`}
      width={Math.round(geometry.width * scale)}
      height={Math.round(geometry.height * scale)}
      onClick={interactive ? onClick : undefined}
      onKeyDown={interactive ? onKeyDown : undefined}
    >
      <Defs ids={ids} />
      <g className="seatmap-screen" aria-hidden="true">
        <path d={`M ${screenLeft} 30 Q ${geometry.width / 2} 6 ${screenRight} 30`} />
        <text x={geometry.width / 2} y="48" textAnchor="middle">
          SCREEN
        </text>
      </g>
      <g className="seatmap-rows" aria-hidden="true">
        {geometry.lines.map((line) => {
          const y = SCREEN_H + line.y * CELL + CELL / 2 + 4;
          return (
            <g key={line.y}>
              <text x={LABEL_W / 2} y={y} textAnchor="middle">
                {line.label}
              </text>
              <text x={geometry.width - LABEL_W / 2} y={y} textAnchor="middle">
                {line.label}
              </text>
            </g>
          );
        })}
      </g>
      <g className="seatmap-seats">{elements}</g>
    </svg>
  );

  return (
    <div className="seatmap">
      {zoomable && (
        <div className="seatmap-zoom" role="group" aria-label="Zoom">
          <button type="button" className="icon-button" onClick={() => changeZoom(zoom / ZOOM_STEP)} disabled={zoom <= minZoom + 1e-6} aria-label="Zoom out">
            −
          </button>
          <button type="button" className="icon-button icon-button--text" onClick={() => changeZoom(1)} disabled={zoom === 1} aria-label={`${Math.round(zoom * 100)}%, reset zoom`}>
            {Math.round(zoom * 100)}%
          </button>
          <button type="button" className="icon-button" onClick={() => changeZoom(zoom * ZOOM_STEP)} disabled={zoom >= 4} aria-label="Zoom in">
            +
          </button>
        </div>
      )}
      <div ref={scrollerRef} className={`seatmap-scroller${zoomable ? ' seatmap-scroller--pan' : ''}`} onPointerDown={onPointerDown}>
        {svg}
      </div>
      {zoomable && containerWidth > 0 && geometry.width * scale > containerWidth + 1 && (
        <p className="seatmap-pan-hint">Scroll or drag the map to see the whole hall.</p>
      )}
    </div>
  );
}

/** A swatch of one seat look, for legends. */
export function SeatSwatch({ view, kind }: { view: SeatView; kind: SeatKind }) {
  const uid = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const ids: Ids = { hatch: `${uid}-hatch`, wheelchair: `${uid}-wc`, check: `${uid}-check`, cross: `${uid}-cross` };
  return (
    <svg className="seat-swatch" viewBox={`-3 -3 ${SEAT_W + 6} ${SEAT_H + 6}`} width="26" height="24" aria-hidden="true" focusable="false">
      <Defs ids={ids} />
      <g className={`seat seat--${view} seat--${kind}`}>
        <SeatShape view={view} kind={kind} ids={ids} pending={false} />
      </g>
    </svg>
  );
}

const legendItems: { view: SeatView; kind: SeatKind; text: string }[] = [
  { view: 'available', kind: 'standard', text: 'Available' },
  { view: 'mine', kind: 'standard', text: 'Yours (held for you)' },
  { view: 'held', kind: 'standard', text: 'Held by others' },
  { view: 'booked', kind: 'standard', text: 'Booked' },
  { view: 'available', kind: 'wheelchair', text: 'Wheelchair space' },
  { view: 'available', kind: 'premium', text: 'Premium' },
];

/** The legend; `only` picks entries by their text, `rename` changes a text (a report has no "yours"). */
export function SeatLegend({ only, rename = {} }: { only?: readonly string[]; rename?: Readonly<Record<string, string>> }) {
  return (
    <ul className="legend" aria-label="Legend">
      {legendItems
        .filter((item) => only === undefined || only.includes(item.text))
        .map((item) => (
          <li key={item.text}>
            <SeatSwatch view={item.view} kind={item.kind} />
            {rename[item.text] ?? item.text}
          </li>
        ))}
    </ul>
  );
}
