/**
 * The HTML report in a real browser (Debian chromium via playwright-core): the seed capture,
 * a trace of a double fault, and hostile stream text. Asserts the DOM, no console errors or
 * requests, and a screenshot that is not blank. LIFELINE_UPDATE_SCREENSHOT=1 also writes the
 * README's docs/img/report.png from the double-fault report.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFileWithTimeline, renderHtmlReport } from '../../src/diagnose/index.js';
import { type MockServer, startMock } from '../../src/mock/index.js';
import { startProxy } from '../../src/proxy/index.js';
import { SEED_CAPTURE_FILE } from '../fixtures/captures/make-seed-capture.js';
import { HOSTILE_TEXT, hostileCapture } from '../fixtures/captures/report-inputs.js';
import {
  doubleFaultRequest,
  doubleFaultScenario,
  recordDoubleFaultTrace,
} from '../fixtures/traces/double-fault.js';
import {
  distinctColours,
  openBrowser,
  openPage,
  requireChromium,
  type TestBrowser,
} from '../helpers/browser.js';
import { cli } from '../helpers/cli.js';

const available = requireChromium();
const SCREENSHOT = fileURLToPath(new URL('../../docs/img/report.png', import.meta.url));

describe.runIf(available)('the HTML report in chromium', () => {
  let browser: TestBrowser;
  let dir: string;
  let mock: MockServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-report-browser-'));
    mock = await startMock({ scenarios: [doubleFaultScenario()] });
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function report(input: string, name: string, extra: string[] = []): Promise<string> {
    const out = join(dir, name);
    const { code, err } = await cli(['analyze', input, '--html', out, ...extra]);
    expect(code).toBe(0);
    expect(err).toContain(`wrote ${out}`);
    return pathToFileURL(out).href;
  }

  it('draws the seed capture: 38 complete blocks, the death at block 38 after 20 bytes', async () => {
    const { page, problems } = await openPage(
      browser,
      await report(SEED_CAPTURE_FILE, 'seed.html'),
    );
    const lane = page.locator('[data-lane="bytes"][data-attempt="1"]');
    expect(await lane.locator('i').count()).toBe(39);
    expect(await lane.locator('i:not(.open)').count()).toBe(38);
    const death = page.locator('#death');
    expect(await death.getAttribute('data-block')).toBe('38');
    expect(await death.getAttribute('data-bytes')).toBe('20');
    expect(await death.getAttribute('data-cut-bytes')).toBe('76');
    expect(await page.locator('.death-label').first().textContent()).toContain(
      'died in block 38 (text_editor_code_execution) after 20 bytes of its input',
    );
    expect(await page.locator('section.attempt').count()).toBe(1);
    // A raw capture has no times: no time lanes, and it says so.
    expect(await page.locator('[data-lane="time"]').count()).toBe(0);
    await page.locator('#b-1-38').click();
    const details = await page.locator('#detail-body').textContent();
    expect(details).toContain('died here');
    expect(details).toContain('text_editor_code_execution');
    expect(details).toContain('Content elided');
    expect(problems).toEqual([]);
    const png = await page.screenshot();
    expect(await distinctColours(browser, png)).toBeGreaterThan(20);
  });

  it('draws a trace of a double fault: three attempts, two deaths, times', async () => {
    const trace = await recordDoubleFaultTrace(mock, join(dir, 'traces'), { run: 'browser' });
    const { page, problems } = await openPage(browser, await report(trace, 'double.html'));
    expect(await page.locator('section.attempt').count()).toBe(3);
    expect(
      await page
        .locator('section.attempt')
        .evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.end)),
    ).toEqual(['mid-event', 'mid-event', 'complete']);
    expect(await page.locator('.death').count()).toBe(2);
    expect(await page.locator('#death').getAttribute('data-block')).toBe('38');
    expect(await page.locator('#death').getAttribute('data-bytes')).toBe('20');
    expect(await page.locator('[data-lane="bytes"][data-attempt="1"] i:not(.open)').count()).toBe(
      38,
    );
    expect(await page.locator('[data-lane="time"]').count()).toBe(3);
    expect(await page.locator('#recovery').textContent()).toContain('recovered');
    expect(await page.locator('#held').textContent()).toContain('held back and discarded');
    // Hovering a block in the time lane shows the same block's details.
    await page.locator('[data-lane="time"][data-attempt="1"] i[data-i="1"]').hover();
    expect(await page.locator('#detail-title').textContent()).toBe('Attempt 1, block 1');
    expect(await page.locator('#detail-body').textContent()).toContain('42 KB');
    await page.locator('#b-1-38').click();
    expect(problems).toEqual([]);
    const png = await page.screenshot();
    expect(await distinctColours(browser, png)).toBeGreaterThan(20);
    if (process.env.LIFELINE_UPDATE_SCREENSHOT === '1') {
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      writeFileSync(SCREENSHOT, png);
    }
  });

  it('shows hostile stream text as text: a <script> in it never runs', async () => {
    const input = join(dir, 'hostile.sse');
    writeFileSync(input, hostileCapture());
    const { page, problems } = await openPage(
      browser,
      await report(input, 'hostile.html', ['--content']),
    );
    await page.locator('#b-1-0').click();
    expect(await page.locator('#detail-body pre').textContent()).toBe(HOSTILE_TEXT);
    await page.locator('#b-1-1').click();
    expect(await page.locator('#detail-body').textContent()).toContain(
      '"><script>window.__pwned=3</script>',
    );
    expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows the proxy status page with the incident and its report link', async () => {
    const proxy = await startProxy({
      port: 0,
      upstream: mock.url,
      baseDelayMs: 1,
      logLevel: 'silent',
      processMetrics: false,
      statusPage: true,
      traceDir: join(dir, 'proxy-traces'),
      traceReport: (file, { content }) =>
        renderHtmlReport(analyzeFileWithTimeline(file, { keepContent: content })),
    });
    try {
      const key = 'sk-ant-browser-status-SECRET';
      const response = await fetch(
        `${proxy.url}/v1/messages`,
        doubleFaultRequest('status-browser', key),
      );
      await response.text();
      // The request is counted once its response has closed on the proxy's side.
      for (let i = 0; i < 100; i++) {
        const status = (await (await fetch(`${proxy.url}/lifeline/status.json`)).json()) as {
          recent: unknown[];
        };
        if (status.recent.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const { page, problems } = await openPage(browser, `${proxy.url}/lifeline`);
      expect(await page.title()).toBe('lifeline status');
      expect(await page.locator('tr.incident').count()).toBe(1);
      expect(await page.locator('tr.incident').getAttribute('data-outcome')).toBe('recovered');
      expect(await page.locator('[data-counter="recovered"] b').textContent()).toBe('1');
      expect(await page.locator('[data-counter="retries"] b').textContent()).toBe('2');
      expect(await page.content()).not.toContain(key);
      const png = await page.screenshot();
      expect(await distinctColours(browser, png)).toBeGreaterThan(5);
      await page.locator('a.report').click();
      await page.waitForSelector('#death');
      expect(await page.locator('section.attempt').count()).toBe(3);
      expect(await page.locator('.death').count()).toBe(2);
      expect(await page.content()).not.toContain(key);
      expect(problems).toEqual([]);
    } finally {
      await proxy.close(1_000);
    }
  });
});
