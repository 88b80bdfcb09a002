/**
 * A resumable response, from the engine's first bytes to the end of its log. Unlike a plain
 * proxied stream, it does not end when its client leaves: once the client has the stream id
 * (the response headers), the engine runs on into the log, so a reconnect gets the rest. It
 * ends when the message does, or at the shutdown deadline.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { EngineResult } from '../../engine/index.js';
import { LifelineError } from '../../errors.js';
import { type Exchange, ShutdownError } from '../exchange.js';
import { downstreamResponseHeaders, sendApiError, sseErrorEvent } from '../http.js';
import type { Gateway } from './gateway.js';
import { StreamRecorder } from './recorder.js';
import { StreamLogError, type StreamRecord } from './store.js';
import { credentialHash, newStreamId } from './stream-id.js';

/** Headers that carry a credential: never stored (a takeover sends the reconnecting client's). */
const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'cookie', 'proxy-authorization']);

/** Why a producer stops: its lease expired and another instance took the stream over. */
export class LeaseLostError extends LifelineError {
  readonly type = 'lease-lost' as const;
  constructor(streamId: string) {
    super(
      `stream ${streamId} was taken over by another instance (this one held its lease too long without renewing it)`,
    );
    this.name = 'LeaseLostError';
  }
}

export interface Producer {
  /** The engine's signal: aborted when the client leaves before the headers, or at shutdown. */
  signal: AbortSignal;
  /** Stops the stream (lease lost). */
  abort(reason: unknown): void;
  /** Stops tracking the stream (call once, when it is over). */
  release(): void;
}

/** Starts tracking one resumable stream for the exchange. */
export function startProducer(ex: Exchange, gateway: Gateway): Producer {
  const controller = new AbortController();
  const untrack = gateway.track(controller);
  const onClientGone = () => {
    // Before the headers the client has no stream id, so nobody can ever read the rest: stop.
    // A shutdown ends the stream too; any other departure after the headers only detaches.
    const reason = ex.signal.reason;
    if (!ex.res.headersSent || reason instanceof ShutdownError) controller.abort(reason);
  };
  ex.signal.addEventListener('abort', onClientGone, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    release: () => {
      ex.signal.removeEventListener('abort', onClientGone);
      untrack();
    },
  };
}

/** The request as logged for a takeover: its body and its headers minus credentials. */
export function requestForLog(
  path: string,
  headers: Record<string, string | string[]>,
  body: string,
): NonNullable<StreamRecord['request']> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADERS.has(name)) continue;
    kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { path, body, headers: kept };
}

/**
 * At the shutdown deadline, with a shared store: give the lease up instead of ending the
 * stream with an error, so another instance continues it as soon as the client reconnects
 * (a deploy then ends no stream). True when handed off.
 */
export async function handOff(gateway: Gateway, recorder: StreamRecorder): Promise<boolean> {
  const store = gateway.leased;
  if (store === undefined || recorder.logError !== undefined) return false;
  try {
    await store.release(recorder.streamId, recorder.owner);
    gateway.metrics.handoffs.inc();
    return true;
  } catch {
    return false;
  }
}

function flatHeaders(headers: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    // set-cookie is per response, not part of the stream: not replayed to a reconnect.
    if (name === 'set-cookie') continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export interface ResumableSend {
  ex: Exchange;
  gateway: Gateway;
  producer: Producer;
  result: Extract<EngineResult, { kind: 'stream' }>;
  requestHeaders: IncomingHttpHeaders;
  request: NonNullable<StreamRecord['request']>;
  /** The explanation a client sees when the stream fails (messages.ts's). */
  failureMessage: (err: unknown) => string;
}

export async function sendResumable(args: ResumableSend): Promise<void> {
  const { ex, gateway, producer, result, failureMessage } = args;
  const { res } = ex;
  const iterator = result.body[Symbol.asyncIterator]();
  let recorder: StreamRecorder | undefined;
  let stopLease = () => {};
  try {
    // Wait for the first bytes before sending headers: a failure before them is a clean 502.
    let step = await iterator.next();
    const streamId = newStreamId();
    const headers = downstreamResponseHeaders(result.headers, { rewrittenBody: true });
    let resumable = true;
    const owner = gateway.newOwner();
    try {
      await gateway.store.create(
        {
          id: streamId,
          credential: credentialHash(args.requestHeaders),
          createdAt: Date.now(),
          status: result.status,
          headers: flatHeaders(headers),
          request: args.request,
        },
        owner,
      );
    } catch (err) {
      // The stream goes on, unresumable: better than failing a request the upstream accepted.
      resumable = false;
      gateway.metrics.logErrors.inc({ reason: 'store-unavailable' });
      ex.log.resumableError = err instanceof Error ? err.message : String(err);
    }
    if (producer.signal.aborted) return;
    recorder = new StreamRecorder(gateway.store, streamId, res, owner, 0, resumable);
    if (resumable) {
      stopLease = gateway.keepLease(streamId, owner, () =>
        producer.abort(new LeaseLostError(streamId)),
      );
    }
    res.writeHead(result.status, {
      ...headers,
      'cache-control': 'no-cache',
      'x-lifeline': 'protected',
      'x-lifeline-request-id': ex.id,
      'x-lifeline-instance': gateway.instance,
      ...(resumable ? { 'x-lifeline-stream-id': streamId } : {}),
    });
    res.flushHeaders();
    if (resumable) {
      ex.log.stream = streamId;
      gateway.metrics.streams.inc();
    }
    let detached = false;
    while (!step.done) {
      if (!detached && ex.signal.aborted) {
        detached = true;
        recorder.detach();
        gateway.metrics.detached.inc();
        if (!resumable) return; // nobody can read the rest
      }
      await recorder.push(step.value);
      step = await iterator.next();
    }
    await recorder.end({ kind: 'complete' });
  } catch (err) {
    const reason = producer.signal.aborted ? producer.signal.reason : err;
    if (recorder === undefined) {
      if (producer.signal.aborted && !(reason instanceof ShutdownError)) return;
      ex.log.error = reason instanceof Error ? reason.message : String(reason);
      sendApiError(res, 502, 'api_error', failureMessage(reason), {
        'x-lifeline-request-id': ex.id,
      });
      return;
    }
    ex.log.error = reason instanceof Error ? reason.message : String(reason);
    if (reason instanceof LeaseLostError) {
      // Another instance continues the stream: this one must not write another byte. The
      // client still attached loses its connection and reconnects to the rest.
      res.destroy();
      return;
    }
    if (reason instanceof ShutdownError && (await handOff(gateway, recorder))) {
      res.destroy();
      return;
    }
    const message = failureMessage(reason);
    await recorder.end({ kind: 'failed', message }, sseErrorEvent('api_error', message));
  } finally {
    stopLease();
    if (recorder !== undefined) {
      ex.bytesDown += recorder.bytesDown;
      const logError = recorder.logError;
      if (logError instanceof StreamLogError) {
        gateway.metrics.logErrors.inc({ reason: logError.reason });
        ex.log.resumableError = logError.message;
      }
    }
    await iterator.return?.(undefined).catch(() => {});
    producer.release();
  }
}
