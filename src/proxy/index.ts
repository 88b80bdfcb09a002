/**
 * The proxy: `startProxy()` and its settings. Point any client at it with ANTHROPIC_BASE_URL.
 */
export * from './config.js';
export { ClientClosedError, ShutdownError } from './exchange.js';
export { createProxyLogger, REDACT_PATHS } from './log.js';
export { METRIC_PREFIX, ProxyMetrics } from './metrics.js';
export { type ProxyOptions, type ProxyServer, startProxy } from './server.js';
export {
  isLoopback,
  type OpenStream,
  type RecentIncident,
  STATUS_PATH,
  STATUS_SCHEMA,
  type StatusSnapshot,
  type TraceReportRenderer,
} from './status.js';
