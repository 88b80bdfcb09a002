/**
 * A real browser for the report tests: Debian's `chromium`, driven by playwright-core (never
 * `playwright install`: the browser is the system's, installed by .ci/run). Missing locally:
 * the tests skip with a reason; missing under CI=true: they fail (see binaries.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { requireBinary } from './binaries.js';

export const CHROMIUM = '/usr/bin/chromium';

/** No network of its own, no first-run work, no GPU: a quiet browser for tests. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether chromium is usable (registers a failing test under CI=true when it is not). */
export function requireChromium(): boolean {
  return requireBinary('chromium', { command: CHROMIUM, args: ['--version'] });
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile (its --user-data-dir), removed on close. */
export async function openBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'lifeline-report-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page with its console errors, page errors and failed requests collected. */
export async function openPage(
  browser: TestBrowser,
  url: string,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  await page.goto(url);
  return { page, problems };
}

/**
 * Distinct colours in a PNG screenshot (decoded by the browser itself, in a blank page): a
 * blank or single-colour screenshot has one or two, a drawn report dozens.
 */
export async function distinctColours(browser: TestBrowser, png: Buffer): Promise<number> {
  const page = await browser.context.newPage();
  try {
    return await page.evaluate(
      async (dataUrl) => {
        const image = new Image();
        image.src = dataUrl;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const ctx = canvas.getContext('2d');
        if (ctx === null) return 0;
        ctx.drawImage(image, 0, 0);
        const data = ctx.getImageData(0, 0, image.width, image.height).data;
        const seen = new Set<number>();
        for (let i = 0; i < data.length; i += 4) {
          seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
        }
        return seen.size;
      },
      `data:image/png;base64,${png.toString('base64')}`,
    );
  } finally {
    await page.close();
  }
}
