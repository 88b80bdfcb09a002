import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeWithTimeline, renderHtmlReport } from '../../src/diagnose/index.js';
import { escapeHtml, html } from '../../src/html.js';
import { SEED_CAPTURE_FILE } from '../fixtures/captures/make-seed-capture.js';
import { hostileCapture, manyBlocksCapture } from '../fixtures/captures/report-inputs.js';

const seedBytes = readFileSync(SEED_CAPTURE_FILE);

describe('the escaping html tag', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<p title="${evil}">${evil}</p>`.toString()).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</p>',
    );
  });

  it('keeps markup made by the tag itself, and drops undefined', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${undefined}${[html`<br>`, 'a&b']}</p>`.toString()).toBe(
      '<p><b>&lt;i&gt;</b><br>a&amp;b</p>',
    );
  });

  it('escapes the five characters that matter and nothing else', () => {
    expect(escapeHtml(`a<b>c&d"e'f é`)).toBe('a&lt;b&gt;c&amp;d&quot;e&#39;f é');
  });
});

describe('renderHtmlReport on the seed capture', () => {
  const page = renderHtmlReport(analyzeWithTimeline(seedBytes, 'seed.sse'), {
    generatedAt: new Date('2026-01-01T00:00:00Z'),
  });

  it('draws 39 blocks in attempt 1, 38 of them complete, and the death marker at block 38 after 20 bytes', () => {
    expect(page.match(/<i id="b-1-\d+"/g)).toHaveLength(39);
    expect(page).toContain('data-complete="38"');
    expect(page).toMatch(
      /<span id="death" class="death" data-attempt="1" data-block="38" data-bytes="20" data-cut-bytes="76"/,
    );
    expect(page).toContain(
      'block 38&#39;s next delta (input_json_delta, as its earlier deltas) cut 76 bytes into the event',
    );
  });

  it('is one file that asks for nothing: a CSP of none, no external references', () => {
    expect(page).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`,
    );
    expect(page).not.toMatch(/<link|<img|src=|href=|@import|url\(/i);
  });

  it('includes the text note and no content unless asked', () => {
    expect(page).toContain('<section id="note"><h2>Incident note</h2><pre>Incident note: seed.sse');
    expect(page).toContain('message content elided');
    expect(page).not.toContain('<template');
    // A string from inside the 42 KB tool input (content) stays out.
    expect(page).not.toContain('summarize_north_revenue');
    expect(page.length).toBeLessThan(seedBytes.length / 5);
  });

  it('shows content when asked, capped per block', () => {
    const withContent = renderHtmlReport(
      analyzeWithTimeline(seedBytes, 'seed.sse', { keepContent: true }),
    );
    expect(withContent).toContain('<template id="c-1-1">');
    expect(withContent).toContain('summarize_north_revenue');
    expect(withContent).not.toContain('summarize_latam_forecast');
  });
});

describe('renderHtmlReport on hostile and large input', () => {
  it('escapes stream text and names: no markup from the stream reaches the page', () => {
    const page = renderHtmlReport(
      analyzeWithTimeline(hostileCapture(), 'x.sse', { keepContent: true }),
    );
    expect(page).not.toContain('<script>window.__pwned');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    // Only the report's own script tag.
    expect(page.match(/<script>/g)).toHaveLength(1);
  });

  it('keeps a 1 MB capture of thousands of small blocks under 1 MB', () => {
    const capture = manyBlocksCapture(1024 * 1024);
    const page = renderHtmlReport(analyzeWithTimeline(capture, 'big.sse'));
    const blocks = page.match(/<i id="b-1-\d+"/g)?.length ?? 0;
    expect(blocks).toBeGreaterThan(2000);
    expect(Buffer.byteLength(page)).toBeLessThan(1024 * 1024);
  });
});
