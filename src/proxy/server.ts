/**
 * `lifeline proxy`: an HTTP server that protects any client, in any language, pointed at it
 * through ANTHROPIC_BASE_URL. Streaming `POST /v1/messages` runs through the resume engine;
 * every other request is passed to the configured upstream unchanged. `/healthz` and
 * `/metrics` are the proxy's own and never forwarded.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DestinationStream, Logger } from 'pino';
import {
  DEFAULT_CONFIG,
  type ProxyConfig,
  parseProxyConfig,
  type ResolvedProxyConfig,
} from './config.js';
import { ClientClosedError, type Exchange, type ProxyContext, ShutdownError } from './exchange.js';
import { apiErrorBody, routeLabel, sendApiError } from './http.js';
import { createProxyLogger } from './log.js';
import { handleMessages } from './messages.js';
import { ProxyMetrics } from './metrics.js';
import { forward } from './passthrough.js';
import { requestTarget, Upstream } from './upstream.js';

export interface ProxyOptions extends ProxyConfig {
  /** A pino logger to use (default: one at `logLevel` writing to stdout, or `logDestination`). */
  logger?: Logger;
  /** Where the default logger writes (tests capture the log here). */
  logDestination?: DestinationStream | NodeJS.WritableStream;
  /** Also export process metrics (CPU, memory, event loop lag) at /metrics (default true). */
  processMetrics?: boolean;
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
   * Stops accepting, lets open requests finish for up to `deadlineMs` (default: the
   * shutdownDeadlineMs setting), then ends the rest (streams get an SSE error event) and closes.
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
  const { logger: givenLogger, logDestination, processMetrics, ...config } = options;
  const settings: ResolvedProxyConfig = {
    ...DEFAULT_CONFIG,
    ...parseProxyConfig(config, 'proxy options'),
  };
  const logger = givenLogger ?? createProxyLogger(settings.logLevel, logDestination);
  const active = new Set<Exchange>();
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
  const ctx: ProxyContext = { settings, upstream, metrics, logger };
  let closing = false;
  let idleWaiters: Array<() => void> = [];

  const finish = (ex: Exchange, started: number) => {
    if (!active.delete(ex)) return;
    controllers.delete(ex);
    const { res } = ex;
    const completed = res.writableFinished;
    const status = completed ? res.statusCode : 499;
    metrics.requests.inc({ path: routeLabel(ex.path), method: ex.method, status: String(status) });
    const local = ex.path === '/healthz' || ex.path === '/metrics';
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
    if (active.size === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  const route = async (ex: Exchange): Promise<void> => {
    const { res, method, path } = ex;
    if (path === '/healthz') {
      ex.req.resume();
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(ex, 'GET, HEAD');
      const body = JSON.stringify({ status: closing ? 'shutting-down' : 'ok' });
      res.writeHead(closing ? 503 : 200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/metrics') {
      ex.req.resume();
      if (method !== 'GET') return methodNotAllowed(ex, 'GET');
      const text = await metrics.text();
      res.writeHead(200, {
        'content-type': metrics.contentType,
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    if (MESSAGES_PATHS.has(path)) {
      if (method === 'POST') return handleMessages(ex, ctx);
      // Browsers' CORS preflight is the API's to answer.
      if (method !== 'OPTIONS') {
        ex.req.resume();
        return methodNotAllowed(ex, 'POST');
      }
    }
    return forward(ex, ctx, undefined);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
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
    };
    active.add(ex);
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

  const server: Server = createServer({ noDelay: true, keepAliveTimeout: 65_000 }, handle);
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    logger.warn({ err: err.message, code: err.code }, 'lifeline: rejected a malformed request');
    socket.end(clientErrorResponse(err));
  });

  server.listen(settings.port, settings.host);
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
    { url, upstream: upstream.origin + upstream.basePath, traceDir: settings.traceDir },
    'lifeline proxy listening',
  );

  let closed: Promise<void> | undefined;
  const close = (deadlineMs: number = settings.shutdownDeadlineMs): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const idle = () =>
        active.size === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => idleWaiters.push(resolve));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        idle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, deadlineMs);
        }),
      ]);
      clearTimeout(timer);
      if (active.size > 0) {
        logger.warn(
          { open: active.size, deadlineMs },
          'lifeline: shutdown deadline reached; ending open requests',
        );
        for (const controller of controllers.values())
          controller.abort(new ShutdownError(deadlineMs));
        // Let aborted streams write their closing error event.
        await Promise.race([idle(), new Promise((resolve) => setTimeout(resolve, 200))]);
      }
      server.closeAllConnections();
      await serverClosed;
      await upstream.close();
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

function methodNotAllowed(ex: Exchange, allow: string): void {
  sendApiError(
    ex.res,
    405,
    'invalid_request_error',
    `lifeline: ${ex.method} ${ex.path} is not supported here; use ${allow.split(', ').join(' or ')}.`,
    { allow, 'x-lifeline-request-id': ex.id },
  );
}
