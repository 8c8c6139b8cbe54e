import { existsSync } from 'node:fs';

/** Debian's Chromium, launched by path (no browser download); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** null when there is no Chromium: the browser tests are then skipped. */
export const chromiumPath: string | null = existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : null;

/** Vitest global setup: says once, for the whole run, that the browser tests are skipped. */
export default function setup(): void {
  if (chromiumPath === null) {
    console.log(`browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
  }
}
