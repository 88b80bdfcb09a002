/**
 * The status page at `/lifeline` (off unless `statusPage` is set; loopback clients only unless
 * `statusPageRemote`): the streams open now, recent recoveries and failures (with a link to
 * each one's HTML report when traces are on), and counters.
 *
 *   GET /lifeline                      the page (HTML, no scripts, no requests)
 *   GET /lifeline/status.json          the same, as JSON (`lifeline.status/1`)
 *   GET /lifeline/reports/<trace>.html a trace of the trace dir as an HTML report
 *
 * What it shows comes from each request's log fields (model, trace file, the recovery
 * summary), which never hold message content or credentials; reports show content only when
 * traces were recorded with it (`traceContent`). The report renderer is passed in (the CLI
 * passes `lifeline analyze`'s): the proxy does not depend on the diagnostics.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { html, type SafeHtml, trusted } from '../html.js';
import { VERSION } from '../version.js';
import { acceptBody } from './admission.js';
import type { Exchange } from './exchange.js';
import { sendApiError } from './http.js';
import { methodNotAllowed } from './local.js';

export const STATUS_PATH = '/lifeline';
export const STATUS_SCHEMA = 'lifeline.status/1';
const REPORTS_PREFIX = `${STATUS_PATH}/reports/`;
/** Trace files as the writer names them: `<ISO time>-<id>.jsonl`, nothing that walks paths. */
const TRACE_NAME = /^[A-Za-z0-9_-]+\.jsonl$/;
/** Recent recoveries and failures kept for the page. */
const RECENT_LIMIT = 50;

/** Renders a trace file as an HTML report (`content`: show message content). */
export type TraceReportRenderer = (traceFile: string, options: { content: boolean }) => string;

export function isStatusPath(path: string): boolean {
  return path === STATUS_PATH || path.startsWith(`${STATUS_PATH}/`);
}

/** A request lifeline resumed, or could not. */
export interface RecentIncident {
  id: string;
  /** ISO time the request ended. */
  time: string;
  model: string | undefined;
  outcome: string;
  attempts: number;
  failures: string[];
  strategies: string[];
  discardedBytes: number;
  addedLatencyMs: number;
  /** The trace's file name in the trace dir, when traces are on. */
  trace: string | undefined;
}

export interface OpenStream {
  id: string;
  model: string | undefined;
  /** ms since the request arrived. */
  ageMs: number;
  bytesDown: number;
}

export interface StatusSnapshot {
  schema: typeof STATUS_SCHEMA;
  version: string;
  startedAt: string;
  uptimeMs: number;
  open: OpenStream[];
  recent: RecentIncident[];
  counters: {
    protected: number;
    clean: number;
    recovered: number;
    failed: number;
    passthrough: number;
    /** Attempts after the first, summed. */
    retries: number;
  };
  traces: boolean;
}

interface Recovery {
  outcome?: unknown;
  attempts?: unknown;
  failures?: unknown;
  strategies?: unknown;
  discardedBytes?: unknown;
  addedLatencyMs?: unknown;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** What the page knows: fed by the proxy as requests start and finish. */
export class StatusBoard {
  readonly #started = Date.now();
  readonly #arrived = new Map<Exchange, number>();
  readonly #recent: RecentIncident[] = [];
  readonly counters: StatusSnapshot['counters'] = {
    protected: 0,
    clean: 0,
    recovered: 0,
    failed: 0,
    passthrough: 0,
    retries: 0,
  };

  /** A request arrived (any path; only Messages streams are shown). */
  arrived(ex: Exchange): void {
    this.#arrived.set(ex, performance.now());
  }

  /** A request ended: count it, and keep it when something failed. */
  finished(ex: Exchange): void {
    this.#arrived.delete(ex);
    const recovery = ex.log.recovery as Recovery | undefined;
    if (recovery === undefined || typeof recovery.outcome !== 'string') return;
    const outcome = recovery.outcome;
    const c = this.counters;
    c.protected++;
    if (outcome === 'clean' || outcome === 'recovered' || outcome === 'failed') c[outcome]++;
    if (outcome === 'passthrough') c.passthrough++;
    const attempts = num(recovery.attempts);
    c.retries += Math.max(0, attempts - 1);
    if (outcome === 'clean') return;
    const trace = typeof ex.log.trace === 'string' ? basename(ex.log.trace) : undefined;
    this.#recent.unshift({
      id: ex.id,
      time: new Date().toISOString(),
      model: typeof ex.log.model === 'string' ? ex.log.model : undefined,
      outcome,
      attempts,
      failures: strings(recovery.failures),
      strategies: strings(recovery.strategies),
      discardedBytes: num(recovery.discardedBytes),
      addedLatencyMs: num(recovery.addedLatencyMs),
      trace,
    });
    if (this.#recent.length > RECENT_LIMIT) this.#recent.pop();
  }

  snapshot(traces: boolean): StatusSnapshot {
    const now = performance.now();
    const open: OpenStream[] = [];
    for (const [ex, at] of this.#arrived) {
      // A Messages request the engine is serving (the handler names its model).
      if (typeof ex.log.model !== 'string' || ex.res.writableFinished) continue;
      open.push({ id: ex.id, model: ex.log.model, ageMs: now - at, bytesDown: ex.bytesDown });
    }
    return {
      schema: STATUS_SCHEMA,
      version: VERSION,
      startedAt: new Date(this.#started).toISOString(),
      uptimeMs: Date.now() - this.#started,
      open,
      recent: this.#recent.map((r) => ({ ...r })),
      counters: { ...this.counters },
      traces,
    };
  }
}

export interface StatusSettings {
  traceDir: string | undefined;
  traceContent: boolean;
  allowRemote: boolean;
  renderReport: TraceReportRenderer | undefined;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

function send(ex: Exchange, status: number, type: string, body: string): void {
  ex.res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // Pages from the proxy load nothing and run only their own inline script (reports).
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:",
  });
  ex.res.end(ex.method === 'HEAD' ? undefined : body);
}

function notFound(ex: Exchange, why: string): void {
  sendApiError(ex.res, 404, 'not_found_error', `lifeline: ${why}`, {
    'x-lifeline-request-id': ex.id,
  });
}

export async function answerStatus(
  ex: Exchange,
  board: StatusBoard,
  settings: StatusSettings,
): Promise<void> {
  acceptBody(ex);
  ex.req.resume();
  if (!settings.allowRemote && !isLoopback(ex.req.socket.remoteAddress)) {
    sendApiError(
      ex.res,
      403,
      'permission_error',
      'lifeline: the status page answers loopback clients only; start the proxy with --status-page-remote to open it to others.',
      { 'x-lifeline-request-id': ex.id },
    );
    return;
  }
  if (ex.method !== 'GET' && ex.method !== 'HEAD') return methodNotAllowed(ex, 'GET, HEAD');
  const traces = settings.traceDir !== undefined && settings.renderReport !== undefined;
  const path = ex.path.replace(/\/$/, '');
  if (path === STATUS_PATH) {
    const page = renderStatusPage(board.snapshot(traces), settings.traceContent).toString();
    return send(ex, 200, 'text/html; charset=utf-8', page);
  }
  if (path === `${STATUS_PATH}/status.json`) {
    return send(ex, 200, 'application/json', JSON.stringify(board.snapshot(traces)));
  }
  if (path.startsWith(REPORTS_PREFIX) && path.endsWith('.html')) {
    const name = `${path.slice(REPORTS_PREFIX.length, -'.html'.length)}`;
    if (!traces || settings.traceDir === undefined || settings.renderReport === undefined) {
      return notFound(ex, 'reports need traces: start the proxy with --trace-dir.');
    }
    // Only a file the trace dir lists, by its exact name: no path from the URL reaches the disk.
    if (!TRACE_NAME.test(name) || !listTraces(settings.traceDir).has(name)) {
      return notFound(ex, `no trace named ${JSON.stringify(name)} in the trace dir.`);
    }
    let page: string;
    try {
      page = settings.renderReport(join(settings.traceDir, name), {
        content: settings.traceContent,
      });
    } catch (err) {
      sendApiError(
        ex.res,
        500,
        'api_error',
        `lifeline: cannot render ${name}: ${err instanceof Error ? err.message : String(err)}`,
        { 'x-lifeline-request-id': ex.id },
      );
      return;
    }
    return send(ex, 200, 'text/html; charset=utf-8', page);
  }
  return notFound(ex, `${ex.path} is not a status page path (try ${STATUS_PATH}).`);
}

function listTraces(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir).filter((f) => TRACE_NAME.test(f)));
  } catch {
    return new Set();
  }
}

function ms(value: number): string {
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

function bytes(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1048576).toFixed(1)} MB`;
}

const STATUS_CSS = `body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330}
header,main,footer{padding:12px 24px}header{border-bottom:1px solid #d8dde6}h1{font-size:20px;margin:0}
h2{font-size:16px;margin:18px 0 6px}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #d8dde6}th{color:#5b6475}
.counters{display:flex;gap:12px;flex-wrap:wrap;list-style:none;padding:0;margin:8px 0}
.counters li{border:1px solid #d8dde6;border-radius:6px;padding:6px 12px;background:#f5f7fa}
.counters b{display:block;font-size:20px}.failed{color:#9c2020;font-weight:600}.recovered{color:#1c6b3a;font-weight:600}
.muted,footer{color:#5b6475}`;

/** The page: no script, nothing loaded; every value escaped by the `html` tag. */
export function renderStatusPage(s: StatusSnapshot, content: boolean): SafeHtml {
  const counters: Array<[string, number]> = [
    ['open now', s.open.length],
    ['protected', s.counters.protected],
    ['clean', s.counters.clean],
    ['recovered', s.counters.recovered],
    ['failed', s.counters.failed],
    ['passed through', s.counters.passthrough],
    ['retries', s.counters.retries],
  ];
  const open =
    s.open.length === 0
      ? html`<p class="muted">No stream is open.</p>`
      : html`<table><tr><th>request</th><th>model</th><th>open for</th><th>sent to the client</th></tr>${s.open.map(
          (o) =>
            html`<tr class="open-stream"><td>${o.id}</td><td>${o.model}</td><td>${ms(o.ageMs)}</td><td>${bytes(o.bytesDown)}</td></tr>`,
        )}</table>`;
  const recent =
    s.recent.length === 0
      ? html`<p class="muted">Nothing has failed since the proxy started.</p>`
      : html`<table><tr><th>ended</th><th>request</th><th>model</th><th>outcome</th><th>attempts</th><th>failures</th><th>strategies</th><th>discarded</th><th>added</th><th>report</th></tr>${s.recent.map(
          (r) =>
            html`<tr class="incident" data-outcome="${r.outcome}"><td>${r.time}</td><td>${r.id}</td><td>${r.model}</td><td class="${r.outcome}">${r.outcome}</td><td>${r.attempts}</td><td>${r.failures.join(', ')}</td><td>${r.strategies.join(' → ')}</td><td>${bytes(r.discardedBytes)}</td><td>${ms(r.addedLatencyMs)}</td><td>${reportLink(r, s.traces)}</td></tr>`,
        )}</table>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>lifeline status</title><style>${trusted(STATUS_CSS)}</style></head>
<body><header><h1>lifeline proxy</h1><span class="muted">version ${s.version} · up ${ms(s.uptimeMs)} · since ${s.startedAt}</span></header>
<main>
<ul class="counters">${counters.map(([k, v]) => html`<li data-counter="${k}"><b>${v}</b>${k}</li>`)}</ul>
<h2>Streams open now</h2>${open}
<h2>Recent recoveries and failures</h2>${recent}
</main>
<footer>${s.traces ? (content ? 'Reports show message content (traces record it).' : 'Reports leave message content out (traces are recorded without it).') : 'Start the proxy with --trace-dir to link each incident to its HTML report.'} Reload for fresh numbers; <a href="${`${STATUS_PATH}/status.json`}">status.json</a> has them as JSON.</footer>
</body></html>
`;
}

function reportLink(r: RecentIncident, traces: boolean): SafeHtml | string {
  if (!traces || r.trace === undefined) return '';
  return html`<a class="report" href="${`${REPORTS_PREFIX}${r.trace}.html`}">report</a>`;
}
