/**
 * Prometheus metrics at `GET /metrics`, on the proxy's own registry (never prom-client's
 * global one, so several proxies in one process, or a host application's metrics, do not mix).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RecoveryReport } from '../resume/index.js';

export const METRIC_PREFIX = 'lifeline_';

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'path' | 'method' | 'status'>;
  readonly streams: Counter;
  readonly streamFailures: Counter<'kind'>;
  readonly recoveries: Counter<'strategy'>;
  readonly seams: Counter<'rule' | 'confidence'>;
  readonly recoveryLatency: Histogram;
  readonly upstreamResponses: Counter<'status'>;
  readonly bytesDownstream: Counter;
  readonly activeStreams: Gauge;
  readonly bufferedBytes: Gauge;
  readonly refused: Counter<'reason'>;

  /** `buffered`: the bytes written to clients and not yet taken by their sockets, now. */
  constructor(buffered: () => number, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    this.requests = new Counter({
      name: `${p}requests_total`,
      help: 'HTTP requests answered by the proxy, by route, method and status (499: the client left first).',
      labelNames: ['path', 'method', 'status'],
      registers,
    });
    this.streams = new Counter({
      name: `${p}streams_total`,
      help: 'Streaming Messages requests run through the resume engine.',
      registers,
    });
    this.streamFailures = new Counter({
      name: `${p}stream_failures_total`,
      help: 'Upstream attempt failures seen by the engine, by kind (socket, eof, stall, error-event, http-status, connect, protocol).',
      labelNames: ['kind'],
      registers,
    });
    this.recoveries = new Counter({
      name: `${p}recoveries_total`,
      help: 'Resumes performed, by strategy (restart, prefill, continue, end-at-tool, complete).',
      labelNames: ['strategy'],
      registers,
    });
    this.seams = new Counter({
      name: `${p}seams_total`,
      help: 'Continuation text joined to delivered text, by the seam rule that decided (append, words, word, fragment, line, chars, all) and its confidence (high, medium, low).',
      labelNames: ['rule', 'confidence'],
      registers,
    });
    this.recoveryLatency = new Histogram({
      name: `${p}recovery_latency_seconds`,
      help: 'Latency a recovered stream gained: from each failure to the next attempt first event, summed per request.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.upstreamResponses = new Counter({
      name: `${p}upstream_responses_total`,
      help: 'Responses from the upstream, by status ("error": no response, e.g. connection refused).',
      labelNames: ['status'],
      registers,
    });
    this.bytesDownstream = new Counter({
      name: `${p}bytes_downstream_total`,
      help: 'Body bytes written to clients on engine streams.',
      registers,
    });
    this.activeStreams = new Gauge({
      name: `${p}active_streams`,
      help: 'Engine streams being sent to clients right now.',
      registers,
    });
    this.bufferedBytes = new Gauge({
      name: `${p}downstream_buffered_bytes`,
      help: 'Bytes written to clients but not yet accepted by their sockets (bounded by backpressure).',
      registers,
      collect() {
        this.set(buffered());
      },
    });
    this.refused = new Counter({
      name: `${p}refused_requests_total`,
      help: 'Requests the proxy answered itself without contacting the upstream, by reason: overloaded (529, maxConcurrentRequests reached), draining (503, shutting down), too_large (413, body over the limit).',
      labelNames: ['reason'],
      registers,
    });
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: p });
    }
  }

  /** Counts what one engine request went through. */
  observeReport(report: RecoveryReport): void {
    for (const kind of report.failures) this.streamFailures.inc({ kind });
    for (const seam of report.seams) {
      this.seams.inc({ rule: seam.rule, confidence: seam.confidence });
    }
    if (report.outcome === 'recovered') {
      for (const strategy of report.strategies) this.recoveries.inc({ strategy });
      this.recoveryLatency.observe(report.addedLatencyMs / 1000);
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
