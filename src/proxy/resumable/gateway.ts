/**
 * The gateway's state in one proxy process: the stream store, the streams this process is
 * producing (they outlive their client's connection, so draining waits for them), and the
 * metrics of the resumable downstream.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '../metrics.js';
import { MemoryStreamStore } from './memory-store.js';
import type { LogItem, StreamStore } from './store.js';

/** The gateway's limits and where its log lives (ResolvedProxyConfig's resumable fields). */
export interface GatewaySettings {
  /** `memory` (default) or a `redis://` / `rediss://` URL. */
  store: string;
  /** How long an ended stream's log is kept, ms. */
  ttlMs: number;
  /** Memory store: all logs together, bytes. */
  maxBytes: number;
  /** One stream's log, bytes. */
  maxStreamBytes: number;
}

export const DEFAULT_GATEWAY_SETTINGS: Readonly<GatewaySettings> = {
  store: 'memory',
  ttlMs: 300_000,
  maxBytes: 256 * 1024 * 1024,
  maxStreamBytes: 16 * 1024 * 1024,
};

export class GatewayMetrics {
  readonly streams: Counter;
  readonly reconnects: Counter;
  readonly detached: Counter;
  readonly logErrors: Counter<'reason'>;
  readonly producing: Gauge;

  constructor(registry: Registry, producing: () => number) {
    const registers = [registry];
    const p = METRIC_PREFIX;
    this.streams = new Counter({
      name: `${p}resumable_streams_total`,
      help: 'Streams logged for resumption (--resumable).',
      registers,
    });
    this.reconnects = new Counter({
      name: `${p}resumable_reconnects_total`,
      help: 'Reconnects served (GET /v1/lifeline/streams/{id}).',
      registers,
    });
    this.detached = new Counter({
      name: `${p}resumable_detached_total`,
      help: 'Resumable streams whose client left before the end (the stream went on into the log).',
      registers,
    });
    this.logErrors = new Counter({
      name: `${p}resumable_log_errors_total`,
      help: 'Streams whose log stopped taking events, by reason (stream-too-large, store-full, store-unavailable, lost).',
      labelNames: ['reason'],
      registers,
    });
    this.producing = new Gauge({
      name: `${p}resumable_producing_streams`,
      help: 'Resumable streams this process is producing now, with or without a client attached.',
      registers,
      collect() {
        this.set(producing());
      },
    });
  }
}

export class Gateway {
  readonly store: StreamStore;
  readonly ttlMs: number;
  readonly metrics: GatewayMetrics;
  /** Streams being produced here: draining waits for them; the deadline aborts them. */
  readonly producers = new Set<AbortController>();
  #idleWaiters: Array<() => void> = [];

  constructor(store: StreamStore, settings: GatewaySettings, registry: Registry) {
    this.store = store;
    this.ttlMs = settings.ttlMs;
    this.metrics = new GatewayMetrics(registry, () => this.producers.size);
  }

  /** A producer's controller, removed (and waiters woken) when the stream ends. */
  track(controller: AbortController): () => void {
    this.producers.add(controller);
    return () => {
      if (!this.producers.delete(controller) || this.producers.size > 0) return;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    };
  }

  /** Resolves when no stream is being produced here. */
  idle(): Promise<void> {
    if (this.producers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  abortAll(reason: unknown): void {
    for (const c of this.producers) c.abort(reason);
  }

  read(id: string, afterSeq: number, signal: AbortSignal): AsyncIterable<LogItem> {
    return this.store.read(id, afterSeq, signal);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** The gateway's settings from the proxy's. */
export function gatewaySettings(config: {
  store?: string | undefined;
  resumableTtlMs?: number | undefined;
  resumableMaxBytes?: number | undefined;
  resumableMaxStreamBytes?: number | undefined;
}): GatewaySettings {
  const d = DEFAULT_GATEWAY_SETTINGS;
  return {
    store: config.store ?? d.store,
    ttlMs: config.resumableTtlMs ?? d.ttlMs,
    maxBytes: config.resumableMaxBytes ?? d.maxBytes,
    maxStreamBytes: config.resumableMaxStreamBytes ?? d.maxStreamBytes,
  };
}

export async function createGateway(
  settings: GatewaySettings,
  registry: Registry,
  _logger: Logger,
): Promise<Gateway> {
  if (settings.store !== 'memory') {
    throw new Error(`lifeline: unsupported stream store "${settings.store}"`);
  }
  const store = new MemoryStreamStore({
    maxBytes: settings.maxBytes,
    maxStreamBytes: settings.maxStreamBytes,
    ttlMs: settings.ttlMs,
  });
  return new Gateway(store, settings, registry);
}
