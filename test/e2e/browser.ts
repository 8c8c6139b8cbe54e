import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import type { TestUser } from '../setup/factories.ts';
import { CHROMIUM_PATH, chromiumPath } from './chromium-check.ts';

export { CHROMIUM_PATH, chromiumPath };

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-results');

/** One headless Chromium per test file; never downloads a browser. */
export function launchBrowser(): Promise<Browser> {
  if (chromiumPath === null) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Starts the app and Chromium together; when one fails, the other is closed before the error is thrown. */
export async function startAppAndBrowser(overrides: Partial<Config> = {}): Promise<{ app: TestApp; browser: Browser }> {
  const [app, browser] = await Promise.allSettled([startTestApp(overrides), launchBrowser()]);
  if (app.status === 'fulfilled' && browser.status === 'fulfilled') {
    return { app: app.value, browser: browser.value };
  }
  await Promise.allSettled([app.status === 'fulfilled' ? app.value.close() : null, browser.status === 'fulfilled' ? browser.value.close() : null]);
  throw app.status === 'rejected' ? app.reason : browser.status === 'rejected' ? browser.reason : new Error('unreachable');
}

type ContextOptions = { width?: number; height?: number; mobile?: boolean };

/** Chromium's console line for anything the Content-Security-Policy blocked ("Refused to load the script …"). */
const CSP_VIOLATION = /Refused to|Content Security Policy/i;

/** Collects, from every page the context opens, the console lines saying the CSP blocked something. */
export function watchCspViolations(context: BrowserContext): string[] {
  const violations: string[] = [];
  const watch = (page: Page) =>
    page.on('console', (message) => {
      if (CSP_VIOLATION.test(message.text())) {
        violations.push(`${page.url()}: ${message.text()}`);
      }
    });
  context.pages().forEach(watch);
  context.on('page', watch);
  return violations;
}

/**
 * One app and one Chromium per test file, a fresh context per `open()`: the
 * hooks close every context after each test and the browser and app after the
 * file, also when a test fails.
 */
export function browserSuite(overrides: Partial<Config> = {}) {
  let started: { app: TestApp; browser: Browser } | undefined;
  let contexts: BrowserContext[] = [];
  let cspViolations: string[][] = [];
  beforeAll(async () => {
    started = await startAppAndBrowser(overrides);
  });
  afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
    // Every browser test is also a test that the app works under its Content-Security-Policy.
    const violations = cspViolations.flat();
    cspViolations = [];
    expect(violations, 'the page logged a Content-Security-Policy violation').toEqual([]);
  });
  afterAll(async () => {
    try {
      await started?.browser.close();
    } finally {
      await started?.app.close();
    }
  });
  const running = () => {
    if (started === undefined) {
      throw new Error('the browser suite has not started');
    }
    return started;
  };
  return {
    get app(): TestApp {
      return running().app;
    },
    /** A new context on the app, logged in as `user` when given; closed after the test. */
    async open(user?: TestUser, options: ContextOptions = {}): Promise<BrowserContext> {
      const { app, browser } = running();
      const context = await newContext(browser, app.baseUrl, user, options);
      contexts.push(context);
      cspViolations.push(watchCspViolations(context));
      return context;
    },
  };
}

/** A fresh context (own cookies and storage) on the app; logged in as `user` when given, through the session cookie. */
export async function newContext(browser: Browser, baseUrl: string, user?: TestUser, options: ContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    isMobile: options.mobile ?? false,
    hasTouch: options.mobile ?? false,
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(10_000);
  if (user !== undefined) {
    await context.addCookies([{ name: 'boxoffice_session', value: user.token, url: baseUrl, httpOnly: true, sameSite: 'Strict' }]);
  }
  return context;
}

/** Saves a full-page screenshot as test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/** The accessible name of a seat: "Row A, seat 3, standard, €10.00, available". */
export function seatName(row: string, number: number, state: 'available' | 'held by you' | 'held' | 'booked'): RegExp {
  return new RegExp(`^Row ${row}, seat ${number}, .*, ${state}$`);
}

/**
 * A seat in a given state with no request under way: a click shows "held by you" at once
 * (optimistic, aria-busy) and only loses aria-busy when the server has answered.
 */
export function settledSeat(page: Page, row: string, number: number, state: 'available' | 'held by you' | 'held' | 'booked') {
  return page.getByRole('button', { name: seatName(row, number, state) }).and(page.locator(':not([aria-busy])'));
}

export function seat(page: Page, row: string, number: number) {
  return page.getByRole('button', { name: new RegExp(`^Row ${row}, seat ${number}, `) });
}

/** Opens a show's seat map and waits until the live stream is connected (so later changes arrive as events). */
export async function openShow(page: Page, showId: number): Promise<void> {
  await page.goto(`/shows/${showId}`);
  await page.getByText('Live', { exact: true }).waitFor();
}

/** The schedule day on which a show is listed, in its venue's time zone, as "YYYY-MM-DD". */
export async function showDay(db: Database, showId: number): Promise<string> {
  const { rows } = await sql<{ day: string }>`
    SELECT to_char(s.starts_at AT TIME ZONE v.time_zone, 'YYYY-MM-DD') AS day
    FROM showtimes s JOIN halls h ON h.id = s.hall_id JOIN venues v ON v.id = h.venue_id
    WHERE s.id = ${showId}`.execute(db);
  const day = rows[0]?.day;
  if (day === undefined) {
    throw new Error(`no showtime ${showId}`);
  }
  return day;
}

/** The few browser globals the tests read inside page.evaluate (the root tsconfig has no DOM library). */
type PageGlobals = {
  document: {
    activeElement: { getAttribute(name: string): string | null; textContent: string | null } | null;
    body: { scrollWidth: number };
    documentElement: { scrollWidth: number; clientWidth: number };
  };
  axe: { run(): Promise<{ violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[] }[] }[] }> };
};

/** The accessible name (aria-label, else text) of the focused element. */
export function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '';
  });
}

/** How far the body and the document are wider than the viewport (0 when nothing scrolls sideways). */
export function horizontalOverflow(page: Page): Promise<{ body: number; document: number }> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return {
      body: Math.max(0, document.body.scrollWidth - document.documentElement.clientWidth),
      document: Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth),
    };
  });
}

/** Runs axe-core in the page; returns the violations of impact "serious" or "critical". */
export async function seriousAxeViolations(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol: an inline <script> tag would be refused by the app's CSP.
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const { axe } = globalThis as unknown as PageGlobals;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? '', help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
