/**
 * Takeover (Redis store): when the instance producing a stream dies, its lease expires and
 * another instance continues the upstream generation, appending to the same log.
 *
 * It starts when a client reconnects (to any instance) and finds the stream running without
 * a lease, at once or while it waits for events. Exactly one instance wins the lease (`SET
 * NX`); the others go on reading the log. The continuation needs the client's credential,
 * which is never stored: the reconnecting request carries it (its `x-api-key` /
 * `authorization`, already checked against the stream's hash).
 *
 * How it continues: the logged events are replayed to a fresh engine as its first attempt,
 * which "drops" where the log ends; the engine then plans the continuation exactly as if the
 * upstream had dropped there (planContinuation: prefill or a continuation turn, the seam, the
 * budget). Its output repeats the logged events first: those are checked byte for byte
 * against the log and skipped, the rest is appended. Should they differ, the stream ends with
 * an error event rather than a corrupt message.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Send } from '../../engine/index.js';
import { runStream } from '../../engine/index.js';
import { LifelineError } from '../../errors.js';
import type { MessageRequestBody, RecoveryReport } from '../../resume/index.js';
import { SseFramer } from '../../sse/index.js';
import { type ProxyContext, ShutdownError } from '../exchange.js';
import { fairSlices } from '../fair-share.js';
import { sseErrorEvent } from '../http.js';
import { engineOptions, failureMessage } from '../messages.js';
import { toWebHeaders } from '../upstream.js';
import type { Gateway } from './gateway.js';
import { handOff, LeaseLostError } from './producer.js';
import { eventBytes, StreamRecorder } from './recorder.js';
import type { LeasedStreamStore, LoggedEvent, LogItem } from './store.js';

const CREDENTIAL_HEADERS = ['x-api-key', 'authorization'] as const;

/** The logged events and the engine's replay of them differ: continuing would corrupt the stream. */
export class ReplayDivergedError extends LifelineError {
  readonly type = 'replay-diverged' as const;
  constructor(seq: number) {
    super(
      `the stream could not be continued by another instance: its replay differs from the log at event ${seq}`,
    );
    this.name = 'ReplayDivergedError';
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

const FINAL_EVENT = /^event: (message_stop|error)\n/;

/**
 * The events of a stream, read from the log, taking the stream over whenever its producer is
 * gone (no lease) and it has not ended. `credentials`: the reconnecting request's headers.
 */
export async function* readWithTakeover(
  ctx: ProxyContext,
  gateway: Gateway,
  id: string,
  afterSeq: number,
  signal: AbortSignal,
  credentials: IncomingHttpHeaders,
): AsyncIterable<LogItem> {
  const store = gateway.leased;
  const check = async () => {
    if (store === undefined || signal.aborted) return;
    try {
      if (await store.leased(id)) return;
      const status = await store.status(id);
      if (status === undefined || status.end !== undefined) return;
      await takeOver(ctx, gateway, store, id, credentials);
    } catch (err) {
      gateway.logger.warn(
        { stream: id, err: err instanceof Error ? err.message : String(err) },
        'lifeline: could not check or take over a stream',
      );
    }
  };
  await check();
  for await (const item of gateway.store.read(id, afterSeq, signal)) {
    if (item.kind === 'idle') await check();
    yield item;
  }
}

/** Takes the stream's lease and continues it in the background; false when another has it. */
export async function takeOver(
  ctx: ProxyContext,
  gateway: Gateway,
  store: LeasedStreamStore,
  id: string,
  credentials: IncomingHttpHeaders,
): Promise<boolean> {
  const owner = gateway.newOwner();
  if (!(await store.acquire(id, owner))) return false;
  const controller = new AbortController();
  const untrack = gateway.track(controller);
  const stopLease = gateway.keepLease(id, owner, () => controller.abort(new LeaseLostError(id)));
  const started = performance.now();
  continueStream(ctx, gateway, store, id, owner, credentials, controller.signal)
    .then((outcome) => {
      gateway.metrics.takeovers.inc({ outcome });
      gateway.logger.info(
        { stream: id, outcome, ms: Math.round(performance.now() - started) },
        'lifeline: took over a stream whose instance stopped renewing its lease',
      );
    })
    .catch((err: unknown) => {
      gateway.metrics.takeovers.inc({ outcome: 'failed' });
      gateway.logger.warn(
        { stream: id, err: err instanceof Error ? err.message : String(err) },
        'lifeline: a takeover failed',
      );
    })
    .finally(() => {
      stopLease();
      untrack();
    });
  return true;
}

async function continueStream(
  ctx: ProxyContext,
  gateway: Gateway,
  store: LeasedStreamStore,
  id: string,
  owner: string,
  credentials: IncomingHttpHeaders,
  signal: AbortSignal,
): Promise<'complete' | 'failed' | 'lost'> {
  const record = await store.get(id);
  const logged = await store.events(id);
  const recorder = new StreamRecorder(store, id, undefined, owner, logged.at(-1)?.seq ?? 0);
  const fail = async (message: string) => {
    await recorder.end({ kind: 'failed', message }, sseErrorEvent('api_error', message));
    return 'failed' as const;
  };
  if (record?.request === undefined) {
    return fail(
      'lifeline: the stream could not be continued: its request was not logged; retry the request.',
    );
  }
  const last = logged.at(-1);
  if (last !== undefined && FINAL_EVENT.test(Buffer.from(last.bytes).toString('latin1', 0, 24))) {
    // It was over; only its end was not recorded.
    await recorder.end({ kind: 'complete' });
    return 'complete';
  }
  const original = JSON.parse(record.request.body) as MessageRequestBody;
  const headers: Record<string, string> = { ...record.request.headers };
  for (const name of CREDENTIAL_HEADERS) {
    const value = credentials[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const path = record.request.path;
  const send: Send = async ({ body, attempt, signal: attemptSignal }) => {
    if (attempt === 1) return replayOf(logged);
    const r = await ctx.upstream.request({
      method: 'POST',
      path,
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: attemptSignal,
    });
    ctx.metrics.upstreamResponses.inc({ status: String(r.statusCode) });
    return { status: r.statusCode, headers: toWebHeaders(r.headers), body: fairSlices(r.body) };
  };
  const onReport = (report: RecoveryReport) => ctx.metrics.observeReport(report);
  try {
    const result = await runStream(original, send, engineOptions(ctx, undefined, onReport, signal));
    if (result.kind === 'passthrough') {
      return fail(
        `lifeline: the upstream refused to continue the stream (status ${result.response.status}); retry the request.`,
      );
    }
    const framer = new SseFramer({ maxEventSize: 64 * 1024 * 1024 });
    let replayed = 0;
    for await (const chunk of result.body) {
      const fresh: Uint8Array[] = [];
      for (const frame of framer.push(chunk)) {
        if (frame.isComment) continue;
        const bytes = eventBytes(frame.raw);
        const expected = logged[replayed];
        if (expected !== undefined) {
          if (!sameBytes(bytes, expected.bytes)) throw new ReplayDivergedError(expected.seq);
          replayed++;
          continue;
        }
        fresh.push(bytes);
      }
      if (fresh.length > 0) await recorder.push(Buffer.concat(fresh));
      if (recorder.logError !== undefined) return 'lost';
    }
    await recorder.end({ kind: 'complete' });
    return 'complete';
  } catch (err) {
    const reason = signal.aborted ? signal.reason : err;
    if (reason instanceof LeaseLostError) return 'lost';
    if (reason instanceof ShutdownError && (await handOff(gateway, recorder))) return 'lost';
    return fail(
      reason instanceof ReplayDivergedError
        ? `lifeline: ${reason.message}; retry the request.`
        : failureMessage(reason),
    );
  }
}

/** The log as the engine's first attempt: a stream that ends where the log does. */
function replayOf(logged: readonly LoggedEvent[]) {
  const bytes = Buffer.concat(logged.map((e) => e.bytes));
  return {
    status: 200,
    headers: new Headers({ 'content-type': 'text/event-stream' }),
    body: (async function* () {
      if (bytes.length > 0) yield new Uint8Array(bytes);
    })(),
  };
}
