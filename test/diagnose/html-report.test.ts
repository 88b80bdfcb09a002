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

describe('renderHtmlReport on a trace with a seam', () => {
  const lines = [
    {
      type: 'request',
      schema: 'lifeline.trace/1',
      id: 'req_1',
      model: 'claude-sonnet-4-5',
      betas: [],
    },
    { type: 'attempt', attempt: 1, strategy: 'first', t: 10, status: 200 },
    { type: 'event', attempt: 1, t: 11, event: 'message_start', bytes: 300 },
    {
      type: 'event',
      attempt: 1,
      t: 12,
      event: 'content_block_start',
      bytes: 90,
      index: 0,
      blockType: 'text',
    },
    {
      type: 'event',
      attempt: 1,
      t: 13,
      event: 'content_block_delta',
      bytes: 120,
      index: 0,
      deltaType: 'text_delta',
      payloadBytes: 40,
    },
    {
      type: 'cut',
      attempt: 1,
      t: 14,
      bytes: 60,
      event: 'content_block_delta',
      index: 0,
      deltaType: 'text_delta',
      payloadField: 'text',
      payloadBytes: 7,
      payloadComplete: false,
    },
    { type: 'failure', attempt: 1, t: 15, kind: 'socket', message: 'terminated' },
    { type: 'attempt', attempt: 2, strategy: 'prefill', t: 40, status: 200 },
    { type: 'event', attempt: 2, t: 41, event: 'message_start', bytes: 300 },
    {
      type: 'event',
      attempt: 2,
      t: 42,
      event: 'content_block_start',
      bytes: 90,
      index: 0,
      blockType: 'text',
    },
    {
      type: 'event',
      attempt: 2,
      t: 43,
      event: 'content_block_delta',
      bytes: 150,
      index: 0,
      deltaType: 'text_delta',
      payloadBytes: 70,
    },
    { type: 'event', attempt: 2, t: 44, event: 'content_block_stop', bytes: 60, index: 0 },
    { type: 'event', attempt: 2, t: 45, event: 'message_stop', bytes: 50 },
    {
      type: 'report',
      model: 'claude-sonnet-4-5',
      outcome: 'recovered',
      attempts: [
        { attempt: 1, strategy: 'first', startedAtMs: 0, durationMs: 15, bytes: 570, events: 3 },
        { attempt: 2, strategy: 'prefill', startedAtMs: 30, durationMs: 15, bytes: 650, events: 5 },
      ],
      failures: ['socket'],
      strategies: ['prefill'],
      discardedBytes: 0,
      discardedBlocks: 0,
      addedLatencyMs: 26,
      extraInputTokens: 100,
      extraOutputTokens: 5,
      totalMs: 45,
      seams: [
        {
          attempt: 2,
          blockIndex: 0,
          offset: 40,
          trimmed: 12,
          rule: 'words',
          removed: ['preamble'],
          whitespace: 'held',
          confidence: 'high',
          excerpt: { before: 'the <b>cat', removed: 'the cat', after: '<script>x</script> sat' },
        },
      ],
    },
  ];
  const trace = new TextEncoder().encode(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const page = renderHtmlReport(analyzeWithTimeline(trace, 't.jsonl'));

  it('lists the seam with its rule, and its excerpt escaped', () => {
    expect(page.match(/<tr class="seam">/g)).toHaveLength(1);
    expect(page).toContain(
      '<td>words (removed preamble)</td><td>12</td><td>held</td><td>high</td>',
    );
    expect(page).toContain('&lt;script&gt;x&lt;/script&gt; sat');
    expect(page).not.toContain('<script>x');
  });

  it('draws both attempts by time, the failure mark at 15 ms, and the cut from the trace', () => {
    expect(page.match(/data-lane="time"/g)).toHaveLength(2);
    expect(page).toContain('title="attempt 1 closed mid-event at 15 ms"');
    expect(page).toContain('block 0&#39;s text_delta cut 7 bytes into its text');
    expect(page).toContain('data-cut-payload-bytes="7"');
  });
});
