/**
 * Seat events to many viewers: `--viewers` event streams of one showtime on
 * the server, then seat changes (holds through HTTP) 250 ms apart, each timed
 * from the hold's HTTP answer (the commit has happened by then) to the LAST
 * viewer receiving its `seat` event; and the server's memory before and
 * after the viewers connected. Then staleness: fewer viewers, spread over
 * the server's processes, the same timing, so the figure is the time until
 * every viewer on every process has seen a committed change.
 */
import { checkRun, countSeatRows } from './checks.ts';
import { connectAudience, type Audience } from './fan-out.ts';
import { percentile } from './load.ts';
import { checkInterrupted, interrupted, openFileLimit, residentKiB, sleep, treeSize } from './processes.ts';
import type { Latency, SseResult } from './results.ts';
import type { Bench } from './scenarios.ts';

const CHANGES = 20;
const CHANGE_INTERVAL_MS = 250;
const SETTLE_MS = 5_000;
const WARMUP_VIEWERS = 50;
const STALENESS_VIEWERS = 200;
/** File descriptors the bench and the server need besides one per viewer. */
const SPARE_FILES = 512;

type Round = {
  audience: Audience;
  /** performance.now() when each hold was sent, and when its answer had arrived. */
  sentAt: number[];
  answeredAt: number[];
  connectSeconds: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** CPU of this process (which parses every viewer's events) while the changes went out, in cores. */
  viewerCores: number;
};

async function hold(bench: Bench, showId: number, seatId: number): Promise<void> {
  const token = bench.fixture.users[0]?.token ?? '';
  const response = await fetch(`${bench.server.baseUrl}/api/hold-seat/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ show_id: showId, seat_id: seatId }),
    signal: AbortSignal.any([interrupted.signal, AbortSignal.timeout(10_000)]),
  });
  await response.text();
  if (response.status !== 200) {
    throw new Error(`SSE: the hold of seat ${seatId} answered ${response.status}`);
  }
}

/**
 * A fresh showtime, `viewers` viewers of it, then one hold per watched seat
 * `intervalMs` apart, then up to SETTLE_MS for the last events. The caller
 * closes the audience.
 */
async function viewAndHold(bench: Bench, viewers: number, changes: number, intervalMs: number): Promise<Round & { showId: number }> {
  const { hall500 } = bench.fixture;
  const showId = await bench.fixture.newShowtimes(1);
  const watched = Array.from({ length: changes }, (_, change) => hall500.firstSeatId + Math.floor((change * hall500.seats) / changes));
  const rssBeforeKiB = await residentKiB(bench.server.pid);
  const connecting = performance.now();
  const audience = await connectAudience({
    baseUrl: bench.server.baseUrl,
    showId,
    viewers,
    watchedSeats: watched,
    seatsPerShow: hall500.seats,
    signal: interrupted.signal,
  });
  try {
    const connectSeconds = (performance.now() - connecting) / 1000;
    const rssAfterKiB = await residentKiB(bench.server.pid);
    const sentAt: number[] = [];
    const answeredAt: number[] = [];
    const cpuBefore = process.cpuUsage();
    const first = performance.now();
    for (const [change, seatId] of watched.entries()) {
      await sleep(first + change * intervalMs - performance.now());
      checkInterrupted();
      sentAt.push(performance.now());
      await hold(bench, showId, seatId);
      answeredAt.push(performance.now());
    }
    const settle = performance.now() + SETTLE_MS;
    while (audience.received() < viewers * changes && performance.now() < settle) {
      checkInterrupted();
      await sleep(20);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const viewerCores = (cpu.user + cpu.system) / 1000 / (performance.now() - first);
    await checkHolds(bench, showId, changes);
    return { audience, sentAt, answeredAt, connectSeconds, rssBeforeKiB, rssAfterKiB, viewerCores, showId };
  } catch (error) {
    audience.close();
    throw error;
  }
}

/** The holds of a round are writes too: each answered 200, each must be a held seat. */
async function checkHolds(bench: Bench, showId: number, holds: number): Promise<void> {
  const { hall500, users } = bench.fixture;
  const range = { firstShow: showId, shows: 1, firstSeat: hall500.firstSeatId, seatsPerShow: hall500.seats, capacity: hall500.seats };
  const rows = await countSeatRows(
    bench.db,
    range,
    users.map((u) => u.id),
  );
  bench.checks.push(checkRun(`SSE holds of showtime ${showId}`, { holds, bookings: 0, unanswered: 0 }, rows, undefined, range.capacity));
}

/**
 * Per change: when its last viewer had it, measured from the hold's answer
 * and from sending the hold (ms, sorted), over the changes every viewer got.
 */
function toLastViewer(round: Round, viewers: number): { fromAnswer: Float64Array; fromSent: Float64Array; missed: number } {
  const { arrivals } = round.audience;
  const changes = round.answeredAt.length;
  const fromAnswer: number[] = [];
  const fromSent: number[] = [];
  let missed = 0;
  for (let change = 0; change < changes; change++) {
    let last = Number.NEGATIVE_INFINITY;
    let complete = true;
    for (let viewer = 0; viewer < viewers; viewer++) {
      const arrived = arrivals[viewer * changes + change] ?? Number.NaN;
      if (Number.isNaN(arrived)) {
        complete = false;
        missed++;
      } else {
        last = Math.max(last, arrived);
      }
    }
    if (complete) {
      fromAnswer.push(last - (round.answeredAt[change] ?? Number.NaN));
      fromSent.push(last - (round.sentAt[change] ?? Number.NaN));
    }
  }
  return { fromAnswer: Float64Array.from(fromAnswer).sort(), fromSent: Float64Array.from(fromSent).sort(), missed };
}

const summary = (sorted: Float64Array): Latency => ({ p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), changes: sorted.length });

export async function measureSse(bench: Bench): Promise<SseResult> {
  const { viewers } = bench.options;
  const limit = await openFileLimit();
  const processes = await treeSize(bench.server.pid);
  if (limit < viewers + SPARE_FILES) {
    const skipped = `SSE skipped: ${viewers} viewers need \`ulimit -n\` ≥ ${viewers + SPARE_FILES} (it is ${limit}); raise it or pass fewer --viewers`;
    return {
      viewers,
      connectSeconds: 0,
      serverProcesses: processes,
      rssBeforeKiB: 0,
      rssAfterKiB: 0,
      toLastMs: summary(new Float64Array()),
      toLastFromSentMs: summary(new Float64Array()),
      missed: 0,
      viewerCores: 0,
      skipped,
    };
  }
  // A small untimed round first, so the measured one does not pay for warming the paths it takes.
  (await viewAndHold(bench, Math.min(WARMUP_VIEWERS, viewers), 5, 50)).audience.close();

  const fanOut = await viewAndHold(bench, viewers, CHANGES, CHANGE_INTERVAL_MS);
  const fanOutTimes = toLastViewer(fanOut, viewers);
  fanOut.audience.close();
  bench.log(`  SSE: ${viewers} viewers, hold sent → last viewer p50 ${percentile(fanOutTimes.fromSent, 0.5).toFixed(1)} ms`);

  const stalenessViewers = Math.min(STALENESS_VIEWERS, viewers);
  const staleness = await viewAndHold(bench, stalenessViewers, CHANGES, CHANGE_INTERVAL_MS);
  const stalenessTimes = toLastViewer(staleness, stalenessViewers);
  staleness.audience.close();
  const missed = fanOutTimes.missed + stalenessTimes.missed;
  if (missed > 0) {
    bench.checks.push({ answered: { holds: 0, bookings: 0 }, rows: { holds: 0, bookings: 0 }, problems: [`SSE: ${missed} viewer × change events never arrived`] });
  }

  return {
    viewers,
    connectSeconds: fanOut.connectSeconds,
    serverProcesses: processes,
    rssBeforeKiB: fanOut.rssBeforeKiB,
    rssAfterKiB: fanOut.rssAfterKiB,
    toLastMs: summary(fanOutTimes.fromAnswer),
    toLastFromSentMs: summary(fanOutTimes.fromSent),
    missed: fanOutTimes.missed,
    viewerCores: fanOut.viewerCores,
    staleness: {
      viewers: stalenessViewers,
      serverProcesses: processes,
      toLastMs: summary(stalenessTimes.fromAnswer),
      toLastFromSentMs: summary(stalenessTimes.fromSent),
      missed: stalenessTimes.missed,
    },
  };
}
