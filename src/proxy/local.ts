/**
 * The proxy's own endpoints, never forwarded: `/healthz` (liveness: up, and not shutting
 * down), `/readyz` (readiness: also below maxConcurrentRequests) and `/metrics` (Prometheus).
 * Load balancers and Kubernetes probes read `/readyz` to take a draining or saturated proxy
 * out of rotation while it goes on serving what it has.
 */
import { acceptBody } from './admission.js';
import type { Exchange } from './exchange.js';
import { sendApiError } from './http.js';
import type { ProxyMetrics } from './metrics.js';

export const LOCAL_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** Whether the proxy takes more requests now, and if not, why. */
export type Readiness = 'ok' | 'shutting-down' | 'overloaded';

export async function answerLocal(
  ex: Exchange,
  metrics: ProxyMetrics,
  readiness: () => Readiness,
): Promise<void> {
  const { res, method, path } = ex;
  acceptBody(ex);
  ex.req.resume();
  if (path === '/metrics') {
    if (method !== 'GET') return methodNotAllowed(ex, 'GET');
    const text = await metrics.text();
    res.writeHead(200, {
      'content-type': metrics.contentType,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(ex, 'GET, HEAD');
  const state = readiness();
  // A saturated proxy is alive (it serves what it has): only /readyz says it takes no more.
  const status = path === '/healthz' && state === 'overloaded' ? 'ok' : state;
  const body = JSON.stringify({ status });
  res.writeHead(status === 'ok' ? 200 : 503, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : body);
}

export function methodNotAllowed(ex: Exchange, allow: string): void {
  sendApiError(
    ex.res,
    405,
    'invalid_request_error',
    `lifeline: ${ex.method} ${ex.path} is not supported here; use ${allow.split(', ').join(' or ')}.`,
    { allow, 'x-lifeline-request-id': ex.id },
  );
}
