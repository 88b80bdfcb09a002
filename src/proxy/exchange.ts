/**
 * One request/response through the proxy, and what every handler can reach.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { LifelineError } from '../errors.js';
import type { RecoveryReport } from '../resume/index.js';
import type { ResolvedProxyConfig } from './config.js';
import type { ProxyMetrics } from './metrics.js';
import type { Gateway } from './resumable/gateway.js';
import type { Upstream } from './upstream.js';

/** Why an exchange's signal aborted. */
export class ClientClosedError extends LifelineError {
  readonly type = 'client-closed' as const;
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientClosedError';
  }
}

export class ShutdownError extends LifelineError {
  readonly type = 'shutdown' as const;
  constructor(deadlineMs: number) {
    super(`the proxy is shutting down and the stream did not finish within ${deadlineMs} ms`);
    this.name = 'ShutdownError';
  }
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The proxy's id for this request (logs, traces, `x-lifeline-request-id`). */
  id: string;
  method: string;
  path: string;
  /** The query string, with its `?`, or ''. */
  search: string;
  /** Aborted when the client goes away (or at the shutdown deadline): stop all upstream work. */
  signal: AbortSignal;
  /** Fields of the request's log line, filled in by the handler. */
  log: Record<string, unknown>;
  /** Body bytes written to the client. */
  bytesDown: number;
  /**
   * The client sent `Expect: 100-continue` and waits for `100 Continue` before its body
   * (cleared once it is sent; see admission.ts).
   */
  expectsContinue: boolean;
}

export interface ProxyContext {
  settings: ResolvedProxyConfig;
  upstream: Upstream;
  metrics: ProxyMetrics;
  logger: Logger;
  /** Called with every engine request's report (see ProxyOptions.onReport). */
  onReport?: ((report: RecoveryReport) => void) | undefined;
  /** With `resumable`: the stream store and the streams this process produces. */
  gateway?: Gateway | undefined;
}
