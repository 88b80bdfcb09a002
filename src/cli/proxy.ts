/**
 * `lifeline proxy`: runs the protecting HTTP proxy until SIGTERM/SIGINT, then shuts down
 * gracefully (open streams may finish until the deadline).
 */
import cluster from 'node:cluster';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { analyzeFileWithTimeline, renderHtmlReport } from '../diagnose/index.js';
import {
  LOG_LEVELS,
  type ProxyConfig,
  ProxyConfigError,
  type ProxyServer,
  resolveProxyConfig,
  STATUS_PATH,
  startProxy,
  type TraceReportRenderer,
} from '../proxy/index.js';
import {
  isWorkerMessage,
  resolveWorkers,
  runPrimary,
  type WorkerMessage,
} from './proxy-workers.js';

function workers(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(
      `--workers takes a whole number >= 1 or "auto", got "${value}".`,
    );
  }
  return n;
}

/** The status page's report links render traces with `lifeline analyze --html`. */
const traceReport: TraceReportRenderer = (file, { content }) =>
  renderHtmlReport(analyzeFileWithTimeline(file, { keepContent: content }));

function integer(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} takes a whole number >= ${min}, got "${value}".`);
    }
    return n;
  };
}

interface Flags {
  port?: number;
  host?: string;
  upstream?: string;
  config?: string;
  traceDir?: string;
  traceContent?: boolean;
  upgradeNonstreaming?: boolean;
  stall?: ProxyConfig['stall'];
  stallTimeoutMs?: number;
  stallFloorMs?: number;
  maxAttempts?: number;
  maxBodyBytes?: number;
  maxConcurrentRequests?: number;
  listenBacklog?: number;
  shutdownDeadlineMs?: number;
  logLevel?: ProxyConfig['logLevel'];
  instructionTail?: number;
  resumable?: boolean;
  store?: string;
  resumableTtlMs?: number;
  resumableMaxBytes?: number;
  resumableMaxStreamBytes?: number;
  leaseMs?: number;
  workers?: number | 'auto';
  statusPage?: boolean;
  statusPageRemote?: boolean;
}

const HELP_AFTER = `
Point any client at the proxy:
  ANTHROPIC_BASE_URL=http://127.0.0.1:8787 python app.py   (Python SDK, httpx)
  new Anthropic({ baseURL: 'http://127.0.0.1:8787' })      (TypeScript SDK)
  curl http://127.0.0.1:8787/v1/messages ...               (anything that speaks HTTP)

Settings, highest precedence first:
  1. command-line flags
  2. the JSON config file (--config FILE, else $LIFELINE_CONFIG); unknown keys are errors
  3. environment: LIFELINE_PORT, LIFELINE_HOST, LIFELINE_UPSTREAM, LIFELINE_LOG_LEVEL
  4. defaults

Config file keys: port, host, upstream, traceDir, traceContent, upgradeNonstreaming, stall,
stallTimeoutMs, stallFloorMs, maxAttempts, baseDelayMs, maxDelayMs, deadlineMs, keepAliveMs,
maxBodyBytes, maxBodyBytesByPath (e.g. {"/v1/files": 524288000}), maxConcurrentRequests,
listenBacklog, shutdownDeadlineMs, upstreamConnections, logLevel, instruction,
instructionTail, thinking, statusPage, statusPageRemote, resumable, store, resumableTtlMs,
resumableMaxBytes, resumableMaxStreamBytes, leaseMs, workers (a number or "auto").

Stalls: with --stall adaptive (the default), a silence gets a budget from what the upstream is
doing: at least --stall-floor-ms while text or tool input streams (4x the longest gap seen),
3x the floor in a thinking block, --stall-timeout-ms while a server tool runs or before the
first attempt's first content; pings at a steady interval cap every budget at 3x it. While
lifeline resumes, the client gets ": lifeline resuming" SSE comments every keepAliveMs.

Shared gateway (--resumable): every event carries an SSE id "<stream id>:<seq>" and the
response an x-lifeline-stream-id header; a client that lost its connection sends
GET /v1/lifeline/streams/<stream id> with Last-Event-ID and the same API key, and gets exactly
the rest. See docs/gateway.md.

Refused before the upstream is contacted, in the API's error shape:
  413 request_too_large   a body over maxBodyBytes (every path; Expect: 100-continue gets it
                          instead of 100 Continue)
  529 overloaded_error    maxConcurrentRequests in flight (retry-after: 1)
  503 overloaded_error    shutting down (retry-after: 1, connection: close)

Local endpoints (never forwarded): GET /healthz (503 while shutting down), GET /readyz (503
while shutting down or at maxConcurrentRequests), GET /metrics (Prometheus).
With --status-page: GET /lifeline, a status page (open streams, recent recoveries and failures
with links to their HTML reports when --trace-dir is set, counters), and /lifeline/status.json;
loopback clients only unless --status-page-remote. No message content (unless
--trace-content) and no keys.
Shutdown (SIGTERM/SIGINT): the proxy keeps listening; open requests have
--shutdown-deadline-ms to finish, then it exits. A second signal exits at once.
Logs: one JSON line per request on stdout; API keys are never logged.`;

export function register(program: Command): void {
  program
    .command('proxy')
    .description(
      'Run an HTTP proxy that makes dropped Anthropic Messages streams recoverable for any client (set ANTHROPIC_BASE_URL to it).',
    )
    .option('--port <n>', 'port to listen on (0: any free port; default 8787)', integer('--port'))
    .option('--host <address>', 'address to bind (default 127.0.0.1)')
    .option('--upstream <url>', 'the API to forward to (default https://api.anthropic.com)')
    .option('--config <file>', 'JSON config file (default $LIFELINE_CONFIG)')
    .option('--trace-dir <dir>', 'write one JSONL trace per protected request into DIR (mode 0600)')
    .option('--trace-content', 'include message content in traces (off by default)')
    .option(
      '--upgrade-nonstreaming',
      'send non-streaming /v1/messages upstream as streams, so they are protected too',
    )
    .addOption(
      new Option(
        '--stall <mode>',
        'how an upstream silence is judged a stall: adaptive (from what the stream is doing and has shown, between --stall-floor-ms and --stall-timeout-ms) or fixed (--stall-timeout-ms for every silence); default adaptive',
      ).choices(['adaptive', 'fixed']),
    )
    .option(
      '--stall-timeout-ms <ms>',
      'the longest upstream silence tolerated: the adaptive ceiling (a server tool running, the first attempt before its first content), or the fixed timeout (default 90000)',
      integer('--stall-timeout-ms', 1),
    )
    .option(
      '--stall-floor-ms <ms>',
      'the shortest adaptive budget: a connection that dies while text streams is resumed this long after its last byte (default 10000; at most --stall-timeout-ms)',
      integer('--stall-floor-ms', 1),
    )
    .option(
      '--max-attempts <n>',
      'attempts per request, the first included (default 6)',
      integer('--max-attempts', 1),
    )
    .option(
      '--max-body-bytes <n>',
      'largest request body accepted (default 33554432)',
      integer('--max-body-bytes', 1),
    )
    .option(
      '--max-concurrent-requests <n>',
      'requests forwarded at once; more get 529 overloaded_error with retry-after (0: no cap; default 5000)',
      integer('--max-concurrent-requests'),
    )
    .option(
      '--listen-backlog <n>',
      'connections the kernel queues before the proxy accepts them (capped by net.core.somaxconn; default 4096)',
      integer('--listen-backlog', 1),
    )
    .option(
      '--shutdown-deadline-ms <ms>',
      'on SIGTERM/SIGINT, how long open requests may still run while new ones get 503 (default 30000)',
      integer('--shutdown-deadline-ms'),
    )
    .option(
      '--instruction-tail <chars>',
      'characters of the partial text quoted in a continuation turn, so the model knows where it stopped (0: none; default 100)',
      integer('--instruction-tail'),
    )
    .option(
      '--resumable',
      'log every stream so a client that lost its connection gets the rest (GET /v1/lifeline/streams/<id> with Last-Event-ID)',
    )
    .option(
      '--store <where>',
      'where --resumable keeps the logs: "memory" (default) or a redis:// URL (shared by every instance)',
    )
    .option(
      '--resumable-ttl-ms <ms>',
      'how long an ended stream can still be resumed (default 300000)',
      integer('--resumable-ttl-ms', 1),
    )
    .option(
      '--resumable-max-bytes <n>',
      'memory store: all logs together; ended logs are evicted first (default 268435456)',
      integer('--resumable-max-bytes', 1),
    )
    .option(
      '--resumable-max-stream-bytes <n>',
      'one stream log; past it the stream goes on but cannot be resumed (default 16777216)',
      integer('--resumable-max-stream-bytes', 1),
    )
    .option(
      '--lease-ms <ms>',
      'Redis store: a running stream is taken over by another instance this long after its own died (default 5000)',
      integer('--lease-ms', 300),
    )
    .option(
      '--workers <n>',
      'run N worker processes (node:cluster) sharing the port; "auto": one per CPU. With --resumable, needs --store redis://',
      workers,
    )
    .option(
      '--status-page',
      'serve a status page at /lifeline (open streams, recent incidents, counters; off by default)',
    )
    .option('--status-page-remote', 'answer the status page for non-loopback clients too')
    .addOption(new Option('--log-level <level>', 'log level (default info)').choices(LOG_LEVELS))
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: Flags) => {
      let count: number;
      try {
        count = resolveWorkers(resolveProxyConfig(flags).workers ?? 1);
      } catch (err) {
        process.exitCode = 2;
        process.stderr.write(
          `lifeline proxy: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        return;
      }
      if (count > 1 && cluster.isPrimary) {
        try {
          const settings = resolveProxyConfig(flags);
          if (settings.resumable === true && (settings.store ?? 'memory') === 'memory') {
            throw new ProxyConfigError(
              '--workers with --resumable needs a shared log: add --store redis://HOST:PORT ' +
                '(with the memory store, a client reconnecting to another worker would find nothing).',
            );
          }
        } catch (err) {
          process.exitCode = 2;
          process.stderr.write(
            `lifeline proxy: ${err instanceof Error ? err.message : String(err)}\n`,
          );
          return;
        }
        process.exitCode = await runPrimary(count);
        return;
      }
      let proxy: ProxyServer;
      try {
        const { workers: _workers, ...settings } = resolveProxyConfig(flags);
        proxy = await startProxy({ ...settings, traceReport });
      } catch (err) {
        process.exitCode = 2;
        const code = (err as { code?: unknown }).code;
        const message =
          err instanceof ProxyConfigError
            ? err.message
            : code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL'
              ? `cannot listen (${String(code)}): ${(err as Error).message}. Choose another --port or --host.`
              : err instanceof Error
                ? err.message
                : String(err);
        process.stderr.write(`lifeline proxy: ${message}\n`);
        return;
      }
      if (cluster.isWorker) {
        // The primary prints one line for all workers.
        const message: WorkerMessage = { type: 'lifeline-listening', url: proxy.url };
        process.send?.(message);
      } else {
        process.stderr.write(
          `lifeline proxy: listening on ${proxy.url}, forwarding to ${proxy.settings.upstream}. ` +
            `Use it with ANTHROPIC_BASE_URL=${proxy.url}\n`,
        );
        if (proxy.settings.statusPage === true) {
          process.stderr.write(`lifeline proxy: status page at ${proxy.url}${STATUS_PATH}\n`);
        }
      }
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            // A second signal: do not wait for the deadline.
            process.stderr.write(`lifeline proxy: ${signal} again, exiting now\n`);
            process.exit(1);
          }
          stopping = true;
          process.stderr.write(
            `lifeline proxy: ${signal}: draining (/healthz and /readyz answer 503, new requests ` +
              `get 503); open requests have ${proxy.settings.shutdownDeadlineMs} ms to finish\n`,
          );
          proxy.close().then(resolve, resolve);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
        if (cluster.isWorker) {
          // The primary's request to drain (a terminal's Ctrl-C may also have reached us).
          process.on('message', (message: unknown) => {
            if (isWorkerMessage(message) && message.type === 'lifeline-shutdown' && !stopping) {
              stop('SIGTERM');
            }
          });
        }
      });
      if (cluster.isWorker) process.disconnect();
    });
}
