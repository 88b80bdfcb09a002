/**
 * `lifeline proxy`: an HTTP server that protects any client, in any language, pointed at it
 * through ANTHROPIC_BASE_URL. Streaming `POST /v1/messages` runs through the resume engine;
 * every other request is passed to the configured upstream unchanged. `/healthz`, `/readyz`
 * and `/metrics` are the proxy's own and never forwarded. What is refused before the upstream
 * is contacted (draining, overload, bodies over the limit) is in admission.ts.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DestinationStream, Logger } from 'pino';
import type { RecoveryReport } from '../resume/index.js';
import {
  acceptBody,
  bodyLimit,
  declaredLength,
  refuseDraining,
  refuseOverloaded,
  refuseTooLarge,
} from './admission.js';
import {
  DEFAULT_CONFIG,
  type ProxyConfig,
  parseProxyConfig,
  type ResolvedProxyConfig,
} from './config.js';
import { ClientClosedError, type Exchange, type ProxyContext, ShutdownError } from './exchange.js';
import { noteConnection, turn } from './fair-share.js';
import { apiErrorBody, discardRest, routeLabel, sendApiError } from './http.js';
import { answerLocal, LOCAL_PATHS, methodNotAllowed, type Readiness } from './local.js';
import { createProxyLogger } from './log.js';
import { handleMessages } from './messages.js';
import { ProxyMetrics } from './metrics.js';
import { forward } from './passthrough.js';
import { isBedrockPath, refuseBedrock, vertexRoute } from './platforms.js';
import { createGateway, type Gateway, gatewaySettings } from './resumable/gateway.js';
import { STREAMS_PREFIX, serveReconnect } from './resumable/reconnect.js';
import { answerStatus, isStatusPath, StatusBoard, type TraceReportRenderer } from './status.js';
import { requestTarget, Upstream } from './upstream.js';

export interface ProxyOptions extends ProxyConfig {
  /** A pino logger to use (default: one at `logLevel` writing to stdout, or `logDestination`). */
  logger?: Logger;
  /** Where the default logger writes (tests capture the log here). */
  logDestination?: DestinationStream | NodeJS.WritableStream;
  /** Also export process metrics (CPU, memory, event loop lag) at /metrics (default true). */
  processMetrics?: boolean;
  /** Called with the recovery report of every protected request (`lifeline run` sums them). */
  onReport?: (report: RecoveryReport) => void;
  /** Renders a trace as HTML for the status page's report links (the CLI passes analyze's). */
  traceReport?: TraceReportRenderer;
}

export interface ProxyServer {
  url: string;
  host: string;
  port: number;
  settings: Readonly<ResolvedProxyConfig>;
  metrics: ProxyMetrics;
  logger: Logger;
  /** Requests being handled now. */
  readonly activeRequests: number;
  /** Bytes written to clients and not yet accepted by their sockets, summed. */
  bufferedBytes(): number;
  /**
   * Drains, then closes: /healthz and /readyz answer 503 and new requests get 503 with
   * retry-after (the listener stays open) while open requests finish for up to `deadlineMs`
   * (default: the shutdownDeadlineMs setting); then the rest are ended (streams get an SSE
   * error event) and the listener closes.
   */
  close(deadlineMs?: number): Promise<void>;
}

const MESSAGES_PATHS = new Set(['/v1/messages', '/v1/messages/']);

function newRequestId(): string {
  return `lfl_${randomBytes(12).toString('base64url')}`;
}

/** The status line and body for a request the HTTP parser rejected. */
function clientErrorResponse(err: Error & { code?: string }): string {
  const [status, reason] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request'];
  const body = apiErrorBody(
    'invalid_request_error',
    `lifeline: the request could not be parsed as HTTP/1.1 (${err.code ?? err.message}).`,
  );
  return (
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

export async function startProxy(options: ProxyOptions = {}): Promise<ProxyServer> {
  const {
    logger: givenLogger,
    logDestination,
    processMetrics,
    onReport,
    traceReport,
    ...config
  } = options;
  const settings: ResolvedProxyConfig = {
    ...DEFAULT_CONFIG,
    ...parseProxyConfig(config, 'proxy options'),
  };
  const logger = givenLogger ?? createProxyLogger(settings.logLevel, logDestination);
  const active = new Set<Exchange>();
  /** Exchanges admitted to the upstream (what maxConcurrentRequests caps, what draining waits for). */
  const forwarding = new Set<Exchange>();
  const controllers = new Map<Exchange, AbortController>();
  const bufferedBytes = () => {
    let total = 0;
    for (const ex of active) total += ex.res.writableLength;
    return total;
  };
  const metrics = new ProxyMetrics(bufferedBytes, { processMetrics: processMetrics !== false });
  const upstream = new Upstream(settings.upstream, {
    connections: settings.upstreamConnections,
  });
  const gateway: Gateway | undefined =
    settings.resumable === true
      ? await createGateway(gatewaySettings(settings), metrics.registry, logger)
      : undefined;
  const ctx: ProxyContext = { settings, upstream, metrics, logger, onReport, gateway };
  // The status page (status.ts): off unless asked for.
  const statusBoard = settings.statusPage === true ? new StatusBoard() : undefined;
  let closing = false;
  let drainedWaiters: Array<() => void> = [];

  const finish = (ex: Exchange, started: number) => {
    if (!active.delete(ex)) return;
    controllers.delete(ex);
    statusBoard?.finished(ex);
    const wasForwarding = forwarding.delete(ex);
    const { res } = ex;
    const completed = res.writableFinished;
    const status = completed ? res.statusCode : 499;
    metrics.requests.inc({ path: routeLabel(ex.path), method: ex.method, status: String(status) });
    const local = LOCAL_PATHS.has(ex.path);
    const recovery = ex.log.recovery as { outcome?: string } | undefined;
    const level =
      recovery?.outcome === 'failed' || status >= 500 ? 'warn' : local ? 'debug' : 'info';
    logger[level](
      {
        id: ex.id,
        method: ex.method,
        path: ex.path,
        status,
        ms: Math.round(performance.now() - started),
        bytesDown: ex.bytesDown,
        ...(completed ? {} : { clientClosed: true }),
        ...ex.log,
      },
      'request',
    );
    if (closing) setImmediate(() => server.closeIdleConnections());
    if (wasForwarding && forwarding.size === 0) {
      const waiters = drainedWaiters;
      drainedWaiters = [];
      for (const w of waiters) w();
    }
  };

  /** Ready for traffic: not draining and below maxConcurrentRequests. */
  const readiness = (): Readiness => {
    if (closing) return 'shutting-down';
    const max = settings.maxConcurrentRequests;
    return max > 0 && forwarding.size >= max ? 'overloaded' : 'ok';
  };

  const route = async (ex: Exchange): Promise<void> => {
    const { method, path } = ex;
    if (LOCAL_PATHS.has(path)) return answerLocal(ex, metrics, readiness);
    if (statusBoard !== undefined && isStatusPath(path)) {
      return answerStatus(ex, statusBoard, {
        traceDir: settings.traceDir,
        traceContent: settings.traceContent,
        allowRemote: settings.statusPageRemote === true,
        renderReport: traceReport,
      });
    }
    // Refusals come before the body is read (or, with Expect: 100-continue, even sent).
    if (closing) {
      metrics.refused.inc({ reason: 'draining' });
      return refuseDraining(ex);
    }
    const limit = bodyLimit(settings, path);
    const declared = declaredLength(ex);
    if (declared !== undefined && declared > limit) {
      metrics.refused.inc({ reason: 'too_large' });
      const uploading = !ex.expectsContinue;
      refuseTooLarge(ex, limit, declared);
      if (uploading) discardRest(ex.req, limit);
      return;
    }
    const max = settings.maxConcurrentRequests;
    if (max > 0 && forwarding.size >= max) {
      metrics.refused.inc({ reason: 'overloaded' });
      return refuseOverloaded(ex, max);
    }
    forwarding.add(ex);
    // Starting a request (body, engine, upstream connection) waits its turn like stream work:
    // a thousand requests read in one iteration must not hold up the next accept.
    const wait = turn();
    if (wait !== undefined) await wait;
    if (ex.signal.aborted) return;
    if (gateway !== undefined && path.startsWith(STREAMS_PREFIX)) {
      return serveReconnect(ex, ctx, gateway);
    }
    // Vertex AI's predict routes run through the engine too; Bedrock's cannot (platforms.ts).
    const vertex = vertexRoute(method, path);
    if (vertex !== undefined) return handleMessages(ex, ctx, vertex);
    if (isBedrockPath(path)) return refuseBedrock(ex);
    if (MESSAGES_PATHS.has(path)) {
      if (method === 'POST') return handleMessages(ex, ctx);
      // Browsers' CORS preflight is the API's to answer.
      if (method !== 'OPTIONS') {
        acceptBody(ex);
        ex.req.resume();
        return methodNotAllowed(ex, 'POST');
      }
    }
    return forward(ex, ctx, undefined);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const started = performance.now();
    const { path, search } = requestTarget(req.url);
    const controller = new AbortController();
    const ex: Exchange = {
      req,
      res,
      id: newRequestId(),
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      search,
      signal: controller.signal,
      log: {},
      bytesDown: 0,
      expectsContinue,
    };
    active.add(ex);
    statusBoard?.arrived(ex);
    controllers.set(ex, controller);
    res.on('close', () => {
      if (!res.writableFinished && !controller.signal.aborted) {
        controller.abort(new ClientClosedError());
      }
      finish(ex, started);
    });
    if (closing) res.setHeader('connection', 'close');
    route(ex).catch((err: unknown) => {
      ex.log.error = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) {
        sendApiError(
          res,
          500,
          'api_error',
          `lifeline: the proxy failed to handle the request (${ex.log.error}).`,
          { 'x-lifeline-request-id': ex.id },
        );
      } else {
        res.destroy();
      }
    });
  };

  const server: Server = createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) =>
    handle(req, res, false),
  );
  // With this listener Node no longer answers `100 Continue` by itself: the proxy does, once it
  // has decided to read the body (admission.ts).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handle(req, res, true));
  server.on('connection', noteConnection);
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    logger.warn({ err: err.message, code: err.code }, 'lifeline: rejected a malformed request');
    socket.end(clientErrorResponse(err));
  });

  server.listen({ port: settings.port, host: settings.host, backlog: settings.listenBacklog });
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  logger.info(
    {
      url,
      upstream: upstream.origin + upstream.basePath,
      traceDir: settings.traceDir,
      listenBacklog: effectiveBacklog(settings.listenBacklog),
      maxConcurrentRequests: settings.maxConcurrentRequests,
    },
    'lifeline proxy listening',
  );

  let closed: Promise<void> | undefined;
  const close = (deadlineMs: number = settings.shutdownDeadlineMs): Promise<void> => {
    closed ??= (async () => {
      // Draining: still listening, so probes see 503 and new requests get a 503 to retry
      // elsewhere instead of a refused connection; open requests run until the deadline.
      closing = true;
      server.closeIdleConnections();
      // Resumable streams whose client left are no longer forwarding exchanges but still run.
      const drained = () =>
        Promise.all([
          forwarding.size === 0
            ? Promise.resolve()
            : new Promise<void>((resolve) => drainedWaiters.push(resolve)),
          gateway?.idle(),
        ]).then(() => {});
      const open = () => forwarding.size + (gateway?.producers.size ?? 0);
      logger.info(
        { open: open(), deadlineMs },
        'lifeline proxy draining: /healthz and /readyz answer 503, new requests get 503',
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        drained(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, deadlineMs);
        }),
      ]);
      clearTimeout(timer);
      if (open() > 0) {
        logger.warn(
          { open: open(), deadlineMs },
          'lifeline: shutdown deadline reached; ending open requests',
        );
        for (const ex of forwarding) controllers.get(ex)?.abort(new ShutdownError(deadlineMs));
        gateway?.abortAll(new ShutdownError(deadlineMs));
        // Let aborted streams write their closing error event.
        await Promise.race([drained(), new Promise((resolve) => setTimeout(resolve, 200))]);
      }
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await serverClosed;
      await upstream.close();
      await gateway?.close();
      logger.info('lifeline proxy stopped');
    })();
    return closed;
  };

  return {
    url,
    host: address.address,
    port: address.port,
    settings,
    metrics,
    logger,
    get activeRequests() {
      return active.size;
    },
    bufferedBytes,
    close,
  };
}

/** The listen queue the kernel grants: the asked length, capped at net.core.somaxconn (Linux). */
function effectiveBacklog(asked: number): number {
  try {
    const cap = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isInteger(cap) && cap > 0 ? Math.min(asked, cap) : asked;
  } catch {
    return asked;
  }
}
