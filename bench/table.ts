/**
 * The results as a report: the same sections printed by `npm run bench` (as
 * text) and written by `npm run bench:report` (as markdown).
 */
import type { Figures, Latency, Results, ScenarioResult, Side, Spread } from './results.ts';

type Table = { kind: 'table'; title?: string; header: string[]; rows: string[][]; numeric: boolean[] };
type Lines = { kind: 'lines'; title: string; lines: string[] };
type Section = Table | Lines;

// ─── numbers ────────────────────────────────────────────────────────────────

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const rate = (value: number): string => (Number.isFinite(value) ? grouped.format(value) : '–');
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : '–');
const cores = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(2));
const percent = (share: number | undefined): string => (share === undefined || !Number.isFinite(share) ? '–' : `${(100 * share).toFixed(1)} %`);
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

function rateWithSpread(figures: Figures | undefined): string {
  if (figures === undefined) {
    return '–';
  }
  const { mean, min, max } = figures.rate;
  return figures.rounds.length > 1 ? `${rate(mean)} (${rate(min)}–${rate(max)})` : rate(mean);
}

const latencies = (figures: Figures | undefined): string => (figures === undefined ? '–' : `${ms(figures.p50Ms.mean)} / ${ms(figures.p99Ms.mean)}`);

function ratio(over: Spread | undefined, under: Spread | undefined): string {
  if (over === undefined || under === undefined || !(under.mean > 0)) {
    return '–';
  }
  return (over.mean / under.mean).toFixed(2);
}

// ─── sections ───────────────────────────────────────────────────────────────

const ROUND_TRIPS: Partial<Record<string, string>> = { hold: '5', book: '6' };

function scenarioRows(scenario: ScenarioResult): string[][] {
  const { http, pg, pgDesign, httpGzip } = scenario.sides;
  const conflicts = scenario.conflictShare === undefined ? '' : ` — 409: ${percent(scenario.conflictShare.http)} / ${percent(scenario.conflictShare.pg)}`;
  const rows = [[`${scenario.title}${conflicts}`, rateWithSpread(http), latencies(http), rateWithSpread(pg), latencies(pg), ratio(http?.rate, pg?.rate)]];
  if (pgDesign !== undefined) {
    rows.push([`  vs the design's ${ROUND_TRIPS[scenario.id] ?? 'multi'}-statement transaction`, '', '', rateWithSpread(pgDesign), latencies(pgDesign), ratio(http?.rate, pgDesign.rate)]);
  }
  if (httpGzip !== undefined) {
    rows.push(['  with Accept-Encoding: gzip (one half-length run)', rateWithSpread(httpGzip), latencies(httpGzip), '', '', ratio(httpGzip.rate, pg?.rate)]);
  }
  return rows;
}

function mainTable(results: Results): Table {
  return {
    kind: 'table',
    header: ['scenario', 'Boxoffice req/s (spread)', 'p50 / p99 ms', 'PostgreSQL alone req/s (spread)', 'p50 / p99 ms', 'ratio'],
    rows: results.scenarios.flatMap(scenarioRows),
    numeric: [false, true, true, true, true, true],
  };
}

const SIDE_NAMES: Record<Side, string> = { http: 'HTTP', httpGzip: 'HTTP, gzip', pg: 'PostgreSQL alone', pgDesign: "PostgreSQL alone, design's transaction" };

function cpuTable(results: Results): Table {
  const rows = results.scenarios.flatMap((scenario) =>
    (Object.entries(scenario.sides) as [Side, Figures][]).map(([side, f]) => [
      scenario.title,
      `${SIDE_NAMES[side]}: ${f.script}`,
      cores(f.cores.generator.mean),
      cores(f.cores.server?.mean),
      cores(f.cores.postgres.mean),
    ]),
  );
  return {
    kind: 'table',
    title: 'CPU used during each side\'s runs (cores of the machine; from /proc, per process tree)',
    header: ['scenario', 'side', 'generator cores', 'server cores', 'PostgreSQL cores'],
    rows,
    numeric: [false, false, true, true, true],
  };
}

function mixLines(results: Results, baseline: Results | undefined): string[] {
  const mix = results.scenarios.find((s) => s.id === 'mix')?.sides.http;
  if (mix === undefined) {
    return [];
  }
  const base = baseline?.scenarios.find((s) => s.id === 'mix')?.sides.http;
  const line = `release-night mix: ${rateWithSpread(mix)} req/s, p50 / p99 ${latencies(mix)} ms`;
  if (results.server.baseline) {
    return [`${line} (this run is a baseline: later runs compare their mix with it)`];
  }
  if (base === undefined || baseline === undefined) {
    return [`${line}; no baseline results (bench/results/baseline-*.json) to compare with`];
  }
  const times = mix.rate.mean / base.rate.mean;
  return [
    `${line}`,
    `  vs ${baseline.server.commit.slice(0, 7)} (the baseline, same bench): ${rateWithSpread(base)} req/s → ×${times.toFixed(2)} (the goal of issue #9: ≥ 3×, ${times >= 3 ? 'met' : 'not met'})`,
  ];
}

function sseLines(results: Results): string[] {
  const { sse } = results;
  if (sse === undefined) {
    return [];
  }
  if (sse.skipped !== undefined) {
    return [sse.skipped];
  }
  const perViewer = (sse.rssAfterKiB - sse.rssBeforeKiB) / sse.viewers;
  const latency = (l: Latency): string => `p50 ${ms(l.p50)} ms, p99 ${ms(l.p99)} ms`;
  const lines = [
    `SSE fan-out: ${grouped.format(sse.viewers)} viewers of one show on ${sse.serverProcesses} server process(es), connected in ${sse.connectSeconds.toFixed(1)} s;` +
      ` ${sse.toLastMs.changes} holds 250 ms apart; missed ${sse.missed}`,
    `  hold answered → LAST viewer has it: ${latency(sse.toLastMs)}; hold sent → LAST viewer: ${latency(sse.toLastFromSentMs)}`,
    `  (upper bounds: the viewers are one Node process of the bench, which used ${cores(sse.viewerCores)} cores parsing the events meanwhile;` +
      ' below 0: every viewer had the change before the holder had its answer)',
    `  server RSS ${mib(sse.rssBeforeKiB)} → ${mib(sse.rssAfterKiB)} with the viewers: ${perViewer.toFixed(1)} KiB per viewer`,
  ];
  if (sse.staleness !== undefined) {
    const s = sse.staleness;
    lines.push(
      `staleness: ${s.viewers} viewers over ${s.serverProcesses} server process(es), hold answered → every viewer has it: ${latency(s.toLastMs)};` +
        ` hold sent → every viewer: ${latency(s.toLastFromSentMs)}; missed ${s.missed}`,
    );
  }
  return lines;
}

function workersLines(results: Results): string[] {
  const { workers } = results;
  if (workers === undefined) {
    return [];
  }
  const { one, two } = workers;
  const change = (a: Figures, b: Figures): string => `${rateWithSpread(a)} → ${rateWithSpread(b)} req/s (×${ratio(b.rate, a.rate)})`;
  const serverCores = (f: Figures): string => cores(f.cores.server?.mean);
  const lines = [
    `WEB_CONCURRENCY=1 (${one.processes} process(es)) → WEB_CONCURRENCY=2 (${two.processes} process(es)), ${workers.seconds} s runs:`,
    `  hold, distinct seats   ${change(one.hold, two.hold)}; server ${serverCores(one.hold)} → ${serverCores(two.hold)} cores`,
    `  layout, 500 seats      ${change(one.layout500, two.layout500)}; server ${serverCores(one.layout500)} → ${serverCores(two.layout500)} cores`,
  ];
  if (two.processes <= one.processes) {
    lines.push('  (the server started no more processes for WEB_CONCURRENCY=2: it does not support worker processes yet)');
  }
  return lines;
}

function skippedLines(results: Results): string[] {
  return results.scenarios.flatMap((s) => s.skipped.map((why) => `${s.title}: skipped ${why}`));
}

export function reportSections(results: Results, baseline: Results | undefined): Section[] {
  const sections: Section[] = [
    mainTable(results),
    {
      kind: 'lines',
      title: 'How to read it',
      lines: [
        `req/s: mean of ${results.options.rounds} rounds of ${results.options.seconds} s (lowest–highest), ${results.options.connections} connections (wrk, 2 threads) or clients (pgbench -M prepared -j 2).`,
        'PostgreSQL alone: pgbench sending the service\'s own statements (booking_hold_batch / booking_book_batch with one request each, one round trip; the layout\'s two queries; the service under load puts several requests in one call).',
        '"vs the design\'s …": the design\'s multi-statement transaction, for reference. ratio = Boxoffice ÷ PostgreSQL alone.',
        'hot seat: 409 share HTTP / PostgreSQL alone. Load generator, server and PostgreSQL share the machine\'s cores.',
      ],
    },
  ];
  const extra = [...mixLines(results, baseline), ...sseLines(results), ...workersLines(results), ...skippedLines(results)];
  if (extra.length > 0) {
    sections.push({ kind: 'lines', title: 'Mix, SSE, workers', lines: extra });
  }
  sections.push(cpuTable(results), { kind: 'lines', title: 'Checks', lines: results.checks.lines });
  return sections;
}

// ─── rendering ──────────────────────────────────────────────────────────────

function textTable(table: Table): string[] {
  const all = [table.header, ...table.rows];
  const widths = table.header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]): string =>
    row
      .map((cell, column) => (table.numeric[column] === true ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(table.header), widths.map((w) => '─'.repeat(w)).join('  '), ...table.rows.map(line)];
}

export function renderText(sections: readonly Section[]): string {
  return sections
    .flatMap((section) => ['', ...(section.kind === 'table' ? [...(section.title === undefined ? [] : [section.title]), ...textTable(section)] : section.lines)])
    .join('\n');
}

function markdownTable(table: Table): string[] {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|').replace(/^ {2}/, '  ↳ ');
  return [
    `| ${table.header.join(' | ')} |`,
    `| ${table.numeric.map((numeric) => (numeric ? '---:' : '---')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
}

/** A line indented by two spaces continues the one above it: a nested item. */
const markdownItem = (line: string): string => (line.startsWith('  ') ? `  - ${line.trim()}` : `- ${line}`);

export function renderMarkdown(sections: readonly Section[]): string {
  return sections
    .flatMap((section) =>
      section.kind === 'table'
        ? ['', ...(section.title === undefined ? [] : [`### ${section.title}`, '']), ...markdownTable(section)]
        : ['', `### ${section.title}`, '', ...section.lines.map(markdownItem)],
    )
    .join('\n');
}

export function machineLines(results: Results): string[] {
  const { machine, server, options } = results;
  return [
    `machine   ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB; node ${machine.node}; PostgreSQL ${machine.postgres} (embedded); ${machine.pgbench}; ${machine.wrk}`,
    `server    ${server.dir} at ${server.commit}, WEB_CONCURRENCY ${server.workers ?? 'unset (server default)'}, ${server.processes} process(es)`,
    `run       ${results.startedAt}, ${Math.round(results.durationSeconds)} s; --seconds ${options.seconds} --connections ${options.connections} --viewers ${options.viewers}; scenarios ${options.only.join(', ')}`,
  ];
}
