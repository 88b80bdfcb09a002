/**
 * `lifeline analyze --html`: the incident as one self-contained HTML page. Each attempt is a
 * lane of content blocks sized by their bytes (and, for a trace, a second lane placed by
 * time), coloured by kind; the lane of the attempt that died carries the death marker (block,
 * bytes into it, the event it was cut in). Below: the attempts, what was held back and
 * discarded, the seams, what lifeline did or would do, and the text note. Hovering a block
 * shows its details; clicking pins them.
 *
 * Size: a block costs ~150 bytes of markup whatever its content, and content is left out
 * unless asked for (then capped at CONTENT_KEPT_CHARS per block), so a report is smaller
 * than the capture it draws. Every value from the stream goes through the escaping `html`
 * tag (src/html.ts).
 */

import { html, type SafeHtml, trusted } from '../../html.js';
import { formatByteSize } from '../../message/index.js';
import { VERSION } from '../../version.js';
import type { AnalyzedIncident } from './analyze.js';
import { cutPhrase } from './cut.js';
import { formatAnalysis } from './format.js';
import { REPORT_CSS, REPORT_JS } from './html-assets.js';
import type { EndKind, Incident } from './incident.js';
import type { AttemptTimeline, BlockSpan, SeamFacts, Timeline } from './timeline.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Share of the largest attempt's bytes from which a block's segment carries a text label. */
const LABEL_SHARE = 0.12;

function ms(value: number): string {
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}

function kindOf(blockType: string): 'text' | 'thinking' | 'tool' | 'result' | 'other' {
  if (blockType === 'text') return 'text';
  if (blockType === 'thinking' || blockType === 'redacted_thinking') return 'thinking';
  if (blockType.endsWith('tool_use')) return 'tool';
  if (blockType.endsWith('_result')) return 'result';
  return 'other';
}

function endLabel(end: EndKind): string {
  switch (end) {
    case 'complete':
      return 'completed';
    case 'mid-event':
      return 'closed mid-event';
    case 'between-events':
      return 'closed between events';
    case 'idle-close':
      return 'closed after a silence';
    default:
      return end.replace('-', ' ');
  }
}

/** The attempt whose death the report marks: the first that failed. */
function diedAttempt(timeline: Timeline): AttemptTimeline | undefined {
  return timeline.attempts.find((a) => a.end !== 'complete');
}

function blockState(a: AttemptTimeline, b: BlockSpan, died: boolean): string {
  if (b.complete) return 'complete';
  return died ? 'died here' : a.end === 'complete' ? 'open' : 'open when the attempt ended';
}

function rounded(t: number | undefined): string | undefined {
  return t === undefined ? undefined : String(Math.round(t * 10) / 10);
}

/** One block of the bytes lane: its details ride in data attributes (the script reads them). */
function byteBlock(
  a: AttemptTimeline,
  b: BlockSpan,
  died: boolean,
  deathText: string,
  maxBytes: number,
): SafeHtml {
  const classes = `k-${kindOf(b.blockType)}${b.complete ? '' : ' open'}${died ? ' died' : ''}`;
  // A block wide enough to hold it is labelled, so the big ones read at a glance.
  const label =
    maxBytes > 0 && b.eventBytes / maxBytes >= LABEL_SHARE
      ? html`<span class="lbl">block ${b.index} · ${b.toolName ?? b.blockType} · ${formatByteSize(b.payloadBytes)}</span>`
      : '';
  return html`<i id="${`b-${a.attempt}-${b.index}`}" class="${classes}" style="flex-grow:${Math.max(1, b.eventBytes)}" data-a="${a.attempt}" data-i="${b.index}" data-t="${b.blockType}" data-n="${b.toolName}" data-dt="${b.deltaType}" data-d="${b.deltaCount}" data-p="${b.payloadBytes}" data-b="${b.eventBytes}" data-s="${rounded(b.startT)}" data-e="${rounded(b.endT)}" data-st="${blockState(a, b, died)}" ${died ? html`data-die="${deathText}" tabindex="0"` : ''}>${label}</i>`;
}

function deathText(a: AttemptTimeline): string {
  const open = a.open;
  const cut = a.tail?.cut;
  const parts: string[] = [];
  if (open !== undefined) {
    parts.push(
      `died in block ${open.index} (${open.toolName ?? open.blockType}) after ${open.receivedBytes} bytes of its ${open.blockType.endsWith('tool_use') ? 'input' : 'content'}` +
        (open.deltaType !== undefined ? ` (${open.deltaType})` : ''),
    );
  } else if (a.blocks.length === 0) {
    parts.push(
      `failed before any content block (${endLabel(a.end)}${a.status !== undefined ? `, HTTP ${a.status}` : ''})`,
    );
  } else {
    parts.push('died between blocks');
  }
  if (cut !== undefined) parts.push(cutPhrase(cut, open));
  else if (a.tail !== undefined && a.tail.bytes > 0)
    parts.push(`${a.tail.bytes} bytes of an incomplete event`);
  return parts.join('; ');
}

/** The lane of one attempt; a failed one ends with a death marker (`#death`: the first). */
function bytesLane(a: AttemptTimeline, maxBytes: number, first: boolean): SafeHtml {
  const isDied = a.end !== 'complete';
  const death = isDied ? deathText(a) : '';
  const lastOpen = a.blocks.findLast((b) => !b.complete);
  const blocks = a.blocks.map((b) => byteBlock(a, b, isDied && b === lastOpen, death, maxBytes));
  const width = maxBytes > 0 ? Math.max(8, (a.bytes / maxBytes) * 100) : 100;
  const marker = isDied
    ? html`<span ${first ? html`id="death" ` : ''}class="death" data-attempt="${a.attempt}" data-block="${a.open?.index}" data-bytes="${a.open?.receivedBytes}" data-cut-bytes="${a.tail?.bytes}" data-cut-event="${a.tail?.cut?.event}" data-cut-delta="${a.tail?.cut?.deltaType}" data-cut-payload-bytes="${a.tail?.cut?.payloadBytes}" title="${death}"></span>`
    : '';
  return html`<div class="lane" data-lane="bytes" data-attempt="${a.attempt}" style="width:${width.toFixed(2)}%">${blocks}${marker}</div>${isDied ? html`<p class="death-label">✕ ${death}</p>` : ''}`;
}

function timeLane(a: AttemptTimeline, total: number): SafeHtml {
  const pct = (t: number) => ((Math.max(0, t) / total) * 100).toFixed(3);
  const start = a.startT ?? a.blocks[0]?.startT ?? 0;
  const end = a.endT ?? a.blocks.at(-1)?.endT ?? start;
  const spans = a.blocks.map((b) => {
    const s = b.startT ?? start;
    const e = b.endT ?? s;
    return html`<i class="${`k-${kindOf(b.blockType)}`}" style="left:${pct(s)}%;width:${pct(e - s)}%" data-a="${a.attempt}" data-i="${b.index}" data-ref="${`b-${a.attempt}-${b.index}`}"></i>`;
  });
  const fail =
    a.end !== 'complete' && a.endT !== undefined
      ? html`<i class="fail" style="left:${pct(a.endT)}%" title="${`attempt ${a.attempt} ${endLabel(a.end)} at ${ms(a.endT)}`}"></i>`
      : '';
  return html`<div class="tlane" data-lane="time" data-attempt="${a.attempt}"><i class="span" style="left:${pct(start)}%;width:${pct(end - start)}%" title="${`attempt ${a.attempt}: ${ms(start)} to ${ms(end)}`}"></i>${spans}${fail}</div>`;
}

function timeAxis(total: number): SafeHtml {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) => html`<span style="left:${(f * 100).toFixed(0)}%">${ms(total * f)}</span>`,
  );
  return html`<div class="timeaxis">${ticks}</div>`;
}

function attemptSection(
  a: AttemptTimeline,
  maxBytes: number,
  died: AttemptTimeline | undefined,
): SafeHtml {
  const complete = a.blocks.filter((b) => b.complete).length;
  const meta = [
    a.status !== undefined ? `HTTP ${a.status}` : undefined,
    formatByteSize(a.bytes),
    `${a.events} events`,
    `${complete} blocks complete`,
    a.startT !== undefined && a.endT !== undefined ? `${ms(a.startT)} to ${ms(a.endT)}` : undefined,
  ].filter((x) => x !== undefined);
  return html`<section class="attempt" data-attempt="${a.attempt}" data-end="${a.end}" data-blocks="${a.blocks.length}" data-complete="${complete}">
<div class="attempt-head"><h3>Attempt ${a.attempt}</h3><span>${a.strategy}</span><span class="${`end ${a.end === 'complete' ? 'complete' : 'failed'}`}">${endLabel(a.end)}${a.failure !== undefined ? ` (${a.failure.kind})` : ''}</span><span class="meta">${meta.join(' · ')}</span></div>
${bytesLane(a, maxBytes, a === died)}
</section>`;
}

function legend(): SafeHtml {
  const items: Array<[string, string]> = [
    ['text', 'text'],
    ['thinking', 'thinking'],
    ['tool', 'tool use (input)'],
    ['result', 'tool result'],
    ['other', 'other'],
  ];
  return html`<div class="legend">${items.map(([k, label]) => html`<span><i class="${`k-${k}`}"></i>${label}</span>`)}<span><i class="k-other open"></i>open (never finished)</span><span><i style="background:var(--dead)"></i>where it died</span></div>`;
}

function facts(incident: Incident, timeline: Timeline, kind: string): SafeHtml {
  const s = incident.stream;
  const items: Array<[string, string | undefined]> = [
    ['source', kind === 'capture' ? 'raw SSE capture (bytes, no times)' : 'lifeline trace'],
    ['model', incident.model],
    ['outcome', incident.outcome],
    ['blocks before the drop', s === undefined ? undefined : String(s.completedBlocks)],
    [
      'largest tool input',
      incident.largestToolInput === undefined
        ? undefined
        : `${formatByteSize(incident.largestToolInput.bytes)} (${incident.largestToolInput.toolName ?? incident.largestToolInput.blockType}, block ${incident.largestToolInput.index})`,
    ],
    ['attempts', String(timeline.attempts.length)],
    ['container', incident.containerId],
  ];
  return html`<ul class="facts">${items
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => html`<li>${k}: <b>${v}</b></li>`)}</ul>`;
}

function heldBack(incident: Incident, died: AttemptTimeline | undefined): SafeHtml {
  const rows: SafeHtml[] = [];
  const open = died?.open;
  if (open !== undefined) {
    rows.push(
      html`<tr><td>block ${open.index} (${open.toolName ?? open.blockType})</td><td>${open.receivedBytes} bytes of ${open.blockType.endsWith('tool_use') ? 'input' : 'content'} in ${plural(open.deltaCount, 'delta')}</td><td>${incident.did !== undefined || incident.would !== undefined ? 'held back from the client (a partial block is never sent), then discarded and regenerated' : 'reached the client before the drop'}</td></tr>`,
    );
  }
  if (died?.tail !== undefined && died.tail.bytes > 0) {
    rows.push(
      html`<tr><td>the cut event</td><td>${died.tail.bytes} bytes</td><td>${died.tail.cut === undefined ? 'an incomplete event: never parsed, dropped with the attempt' : `${cutPhrase(died.tail.cut, open)}: never parsed, dropped with the attempt`}</td></tr>`,
    );
  }
  const d = incident.did;
  const w = incident.would;
  const total =
    d !== undefined
      ? html`<p>lifeline held back and discarded <b>${formatByteSize(d.discardedBytes)}</b> in ${plural(d.discardedBlocks, 'block')}.</p>`
      : w !== undefined
        ? html`<p>lifeline would hold back and discard <b>${formatByteSize(w.discardedBytes)}</b> in ${plural(w.discardedBlocks, 'block')}, and send ${plural(w.blocksSentBack, 'complete block')} back${w.blocksRegenerated > 0 ? ` (${w.blocksRegenerated} regenerated)` : ''}.</p>`
        : '';
  if (rows.length === 0 && total === '') return html``;
  return html`<section id="held"><h2>Held back and discarded</h2>${total}${rows.length > 0 ? html`<table><tr><th>what</th><th>size</th><th>fate</th></tr>${rows}</table>` : ''}</section>`;
}

function seams(list: SeamFacts[], kind: string): SafeHtml {
  if (list.length === 0) {
    return html`<section id="seams"><h2>Seams</h2><p class="muted">${kind === 'capture' ? 'A capture has no seams: lifeline was not in the path.' : 'No text was joined across attempts.'}</p></section>`;
  }
  const rows = list.map(
    (s) =>
      html`<tr class="seam"><td>${s.attempt}</td><td>${s.blockIndex}</td><td>${s.offset}</td><td>${s.rule}${s.removed.length > 0 ? ` (removed ${s.removed.join(', ')})` : ''}</td><td>${s.trimmed}</td><td>${s.whitespace}</td><td>${s.confidence}</td><td>${s.excerpt === undefined ? html`<span class="muted">elided</span>` : html`<code>…${s.excerpt.before}</code> | <del>${s.excerpt.removed}</del> | <code>${s.excerpt.after}…</code>`}</td></tr>`,
  );
  return html`<section id="seams"><h2>Seams</h2><table><tr><th>attempt</th><th>block</th><th>offset</th><th>rule</th><th>trimmed</th><th>whitespace</th><th>confidence</th><th>excerpt</th></tr>${rows}</table></section>`;
}

function recovery(incident: Incident): SafeHtml {
  const d = incident.did;
  if (d !== undefined) {
    const items: Array<[string, string]> = [
      ['outcome', d.outcome],
      ['attempts', String(d.attempts)],
      ['strategies', d.strategies.join(' → ') || 'none'],
      ['failures', d.failures.join(', ') || 'none'],
      ['added latency', ms(d.addedLatencyMs)],
      ['extra tokens in/out', `${d.extraInputTokens}/${d.extraOutputTokens}`],
      ['total', d.totalMs === undefined ? 'unknown' : ms(d.totalMs)],
    ];
    return html`<section id="recovery"><h2>Recovery report</h2><table>${items.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</table></section>`;
  }
  const w = incident.would;
  if (w !== undefined) {
    return html`<section id="recovery"><h2>What lifeline would do</h2><table><tr><th>strategy</th><td>${w.strategy}</td></tr><tr><th>why</th><td>${w.reason}</td></tr><tr><th>blocks sent back</th><td>${w.blocksSentBack}</td></tr><tr><th>form</th><td>${w.form ?? 'n/a'}</td></tr><tr><th>container</th><td>${w.containerId ?? 'none'}</td></tr></table></section>`;
  }
  return html``;
}

export interface HtmlReportOptions {
  /** Shown in the footer (tests pin it). */
  generatedAt?: Date;
}

/** The report as one HTML document. */
export function renderHtmlReport(
  analyzed: AnalyzedIncident,
  options: HtmlReportOptions = {},
): string {
  const { result, timeline } = analyzed;
  const { incident } = result;
  const died = diedAttempt(timeline);
  const maxBytes = Math.max(0, ...timeline.attempts.map((a) => a.bytes));
  const total =
    timeline.totalMs ??
    Math.max(0, ...timeline.attempts.map((a) => a.endT ?? a.blocks.at(-1)?.endT ?? 0));
  const withTimes = timeline.hasTimes && total > 0;
  const generated = (options.generatedAt ?? new Date()).toISOString();
  // The CSP forbids requests of any kind: styles and the script are inline, images only `data:`.
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>lifeline incident report${result.file !== undefined ? `: ${result.file}` : ''}</title>
<style>${trusted(REPORT_CSS)}</style></head>
<body data-kind="${result.kind}" data-outcome="${incident.outcome}" data-content="${timeline.hasContent ? '1' : '0'}">
<header><h1>Incident report</h1><p id="summary">${result.summary}</p>${facts(incident, timeline, result.kind)}</header>
<main><div>
<section id="timeline"><h2>Timeline${withTimes ? '' : ' (by bytes)'}</h2>
<p class="muted">Each bar is one attempt's response; each segment a content block, as wide as its bytes. Hover a block for its details, click to pin them.</p>
${legend()}
${timeline.attempts.map((a) => attemptSection(a, maxBytes, died))}
${withTimes ? html`<h2>By time</h2><p class="muted">The same blocks placed by when their events arrived; a red mark is where an attempt failed.</p>${timeline.attempts.map((a) => html`<div class="attempt-time"><span class="muted">attempt ${a.attempt}</span>${timeLane(a, total)}</div>`)}${timeAxis(total)}` : html`<p class="muted">A raw capture has no times: record a lifeline trace (proxy --trace-dir) to see when each block arrived.</p>`}
</section>
${heldBack(incident, died)}
${seams(timeline.seams, result.kind)}
${recovery(incident)}
<section id="note"><h2>Incident note</h2><pre>${formatAnalysis(result)}</pre></section>
</div>
<aside id="details"><h3 id="detail-title">Block details</h3><div id="detail-body"><p class="muted">Hover or click a block.</p></div></aside>
</main>
${timeline.hasContent ? contentTemplates(timeline) : ''}
<footer>lifeline ${VERSION} · generated ${generated} · ${timeline.hasContent ? `block content shown (first ${'2,000'} characters per block)` : 'message content elided (use --content to include it)'}</footer>
<script>${trusted(REPORT_JS)}</script>
</body></html>
`;
  return page.toString();
}

function contentTemplates(timeline: Timeline): SafeHtml {
  return html`${timeline.attempts.flatMap((a) =>
    a.blocks
      .filter((b) => b.content !== undefined)
      .map((b) => html`<template id="${`c-${a.attempt}-${b.index}`}">${b.content}</template>`),
  )}`;
}
