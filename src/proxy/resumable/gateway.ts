/**
 * The gateway's state in one proxy process: the stream store, the streams this process is
 * producing (they outlive their client's connection, so draining waits for them), and the
 * metrics of the resumable downstream.
 */

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '../metrics.js';
import { MemoryStreamStore } from './memory-store.js';
import type { LeasedStreamStore, StreamStore } from './store.js';

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
  /** Redis store: how long a producer's lease lasts without renewal, ms (takeover delay). */
  leaseMs: number;
}

export const DEFAULT_GATEWAY_SETTINGS: Readonly<GatewaySettings> = {
  store: 'memory',
  ttlMs: 300_000,
  maxBytes: 256 * 1024 * 1024,
  maxStreamBytes: 16 * 1024 * 1024,
  leaseMs: 5_000,
};

export class GatewayMetrics {
  readonly streams: Counter;
  readonly reconnects: Counter;
  readonly detached: Counter;
  readonly logErrors: Counter<'reason'>;
  readonly producing: Gauge;
  readonly takeovers: Counter<'outcome'>;
  readonly handoffs: Counter;
  readonly logBytes: Gauge;

  constructor(registry: Registry, producing: () => number, logBytes: () => number | undefined) {
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
    this.takeovers = new Counter({
      name: `${p}resumable_takeovers_total`,
      help: 'Streams of a dead instance this one continued (Redis store), by outcome (complete, failed, lost).',
      labelNames: ['outcome'],
      registers,
    });
    this.handoffs = new Counter({
      name: `${p}resumable_handoffs_total`,
      help: 'Streams whose lease this instance gave up at its shutdown deadline, for another to take over.',
      registers,
    });
    this.logBytes = new Gauge({
      name: `${p}resumable_log_bytes`,
      help: 'Memory store: bytes of events held by all stream logs (bounded by resumableMaxBytes). Not reported with the Redis store.',
      registers,
      collect() {
        const bytes = logBytes();
        if (bytes !== undefined) this.set(bytes);
      },
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
  readonly logger: Logger;
  /**
   * This process's id: in lease owners (`<instance>.<stream>`), logs, and the
   * `x-lifeline-instance` header of resumable responses (which instance or worker served):
   * the process id, for operators, and random bits, since pids repeat across containers.
   */
  readonly instance = `${process.pid}.${randomBytes(6).toString('base64url')}`;
  #idleWaiters: Array<() => void> = [];

  constructor(store: StreamStore, settings: GatewaySettings, registry: Registry, logger: Logger) {
    this.store = store;
    this.ttlMs = settings.ttlMs;
    this.logger = logger;
    this.metrics = new GatewayMetrics(
      registry,
      () => this.producers.size,
      () => (store instanceof MemoryStreamStore ? store.bytes : undefined),
    );
  }

  /** The store, when it has leases (Redis). */
  get leased(): LeasedStreamStore | undefined {
    return this.store.kind === 'redis' ? (this.store as LeasedStreamStore) : undefined;
  }

  /** A fresh lease owner id for one producer. */
  newOwner(): string {
    return `${this.instance}.${randomBytes(9).toString('base64url')}`;
  }

  /**
   * Renews the producer's lease every third of its length while the stream runs; `onLost`
   * when another instance has taken the stream over (this one was presumed dead). Returns
   * the function that stops renewing.
   */
  keepLease(id: string, owner: string, onLost: () => void): () => void {
    const store = this.leased;
    if (store === undefined) return () => {};
    let stopped = false;
    const timer = setInterval(
      () => {
        store.renew(id, owner).then(
          (held) => {
            if (!held && !stopped) {
              stopped = true;
              clearInterval(timer);
              onLost();
            }
          },
          // Redis unreachable: keep producing; the appends say whether the log still works.
          () => {},
        );
      },
      Math.max(50, Math.floor(store.settings.leaseMs / 3)),
    );
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
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
  leaseMs?: number | undefined;
}): GatewaySettings {
  const d = DEFAULT_GATEWAY_SETTINGS;
  return {
    store: config.store ?? d.store,
    ttlMs: config.resumableTtlMs ?? d.ttlMs,
    maxBytes: config.resumableMaxBytes ?? d.maxBytes,
    maxStreamBytes: config.resumableMaxStreamBytes ?? d.maxStreamBytes,
    leaseMs: config.leaseMs ?? d.leaseMs,
  };
}

export async function createGateway(
  settings: GatewaySettings,
  registry: Registry,
  logger: Logger,
): Promise<Gateway> {
  if (settings.store !== 'memory') {
    // Loaded only here: a proxy without Redis never loads ioredis.
    const { RedisStreamStore, redactRedisUrl } = await import('./redis-store.js');
    const store = await RedisStreamStore.connect({
      url: settings.store,
      ttlMs: settings.ttlMs,
      maxStreamBytes: settings.maxStreamBytes,
      leaseMs: settings.leaseMs,
    });
    logger.info(
      { store: redactRedisUrl(settings.store), ttlMs: settings.ttlMs, leaseMs: settings.leaseMs },
      'lifeline: resumable streams logged in Redis',
    );
    return new Gateway(store, settings, registry, logger);
  }
  const store = new MemoryStreamStore({
    maxBytes: settings.maxBytes,
    maxStreamBytes: settings.maxStreamBytes,
    ttlMs: settings.ttlMs,
  });
  return new Gateway(store, settings, registry, logger);
}
