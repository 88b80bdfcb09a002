/**
 * `runStream`'s attempt loop over real sockets, against a scripted upstream (one reply per
 * attempt: a whole HTTP answer, or SSE events ending cleanly, reset, or hanging): getting a
 * stream (retries, passthrough, the budget), relaying it (bytes, the attempt's record, the
 * trace), each kind of failure mid-stream, and what happens after one (the next attempt's plan,
 * keep-alive comments while it opens, the error when nothing more can be done).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type EngineOptions,
  type EngineResult,
  runStream,
  type Send,
  type TraceSink,
} from '../../src/engine/index.js';
import {
  type MessageRequestBody,
  ModelTable,
  type RecoveryReport,
  StreamInterruptedError,
} from '../../src/resume/index.js';
import { sse } from '../fixtures/timed-upstream.js';

/** One attempt's reply. */
type Reply =
  /** An HTTP answer; with `end: 'hang'` its body never ends. */
  | { status: number; headers?: Record<string, string>; body?: string; end?: 'hang' }
  /**
   * An SSE response: its chunks (a string is written as one chunk, a number waits that long),
   * then how it ends; `headAfterMs` delays the response head.
   */
  | { chunks: Array<string | number>; end?: 'end' | 'reset' | 'hang'; headAfterMs?: number }
  /** Reads the request, never answers. */
  | 'silent';

interface Received {
  attempt: number;
  body: MessageRequestBody;
  at: number;
  /** Resolves when the connection of this request closes. */
  closed: Promise<void>;
}

let server: Server;
let url: string;
/** A port nothing listens on: connecting to it is refused. */
let deadUrl: string;
let script: (attempt: number) => Reply;
let received: Received[] = [];

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const attempt = received.length + 1;
  const closed = once(res, 'close').then(() => undefined);
  received.push({
    attempt,
    body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as MessageRequestBody,
    at: performance.now(),
    closed,
  });
  let isClosed = false;
  void closed.then(() => {
    isClosed = true;
  });
  const pause = (ms: number) =>
    Promise.race([new Promise((resolve) => setTimeout(resolve, ms)), closed]);
  const reply = script(attempt);
  if (reply === 'silent') return;
  if ('status' in reply) {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    if (reply.end === 'hang') res.write(reply.body ?? '');
    else res.end(reply.body ?? '');
    return;
  }
  if (reply.headAfterMs !== undefined) await pause(reply.headAfterMs);
  if (isClosed) return;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (const chunk of reply.chunks) {
    if (isClosed) return;
    if (typeof chunk === 'number') await pause(chunk);
    else await new Promise((resolve) => res.write(chunk, resolve));
  }
  const end = reply.end ?? 'end';
  if (end === 'end') res.end();
  else if (end === 'reset') res.socket?.resetAndDestroy();
  else await closed;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void serve(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dead = createServer();
  dead.listen(0, '127.0.0.1');
  await once(dead, 'listening');
  deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
  dead.close();
  await once(dead, 'close');
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});
beforeEach(() => {
  received = [];
});

/** Sends each attempt to the scripted upstream; the attempts in `refused` to a dead port. */
function send(refused: number[] = []): Send {
  return async ({ body, attempt, signal }) => {
    const response = await fetch(`${refused.includes(attempt) ? deadUrl : url}/v1/messages`, {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: response.body };
  };
}

const OPUS = 'claude-opus-4-6'; // refuses prefill: continuation turns
const SONNET = 'claude-sonnet-4-5'; // accepts prefill

const original = (model = OPUS): MessageRequestBody => ({
  model,
  max_tokens: 1000,
  stream: true,
  messages: [{ role: 'user', content: 'hi' }],
});

/**
 * A text block's deltas, a word per event, each after its space: a delta ending in whitespace
 * is held back and reshaped by the seam logic, these are relayed as they came.
 */
const deltas = (index: number, text: string) => text.split(/(?= )/).map((w) => sse.text(index, w));

/** A whole message: its text in one block, a word per event. */
const message = (text: string, model = OPUS) => [
  sse.messageStart(model),
  sse.textStart(0),
  ...deltas(0, text),
  sse.blockStop(0),
  sse.messageDelta(),
  sse.messageStop(),
];
/** The start of a message whose text stops at `text`. */
const opening = (text: string, model = OPUS) => [
  sse.messageStart(model),
  sse.textStart(0),
  ...deltas(0, text),
];

const errorBody = (type: string, message: string) =>
  JSON.stringify({ type: 'error', error: { type, message } });

/** Records every call of a trace sink, in order. */
function traceRecorder() {
  const calls: Array<{ call: keyof TraceSink; info: Record<string, unknown> }> = [];
  const sink: Required<TraceSink> = {
    attempt: (info) => calls.push({ call: 'attempt', info }),
    event: (info) => calls.push({ call: 'event', info }),
    failure: (info) => calls.push({ call: 'failure', info }),
    cut: (info) => calls.push({ call: 'cut', info }),
    end: (report) => calls.push({ call: 'end', info: { outcome: report.outcome } }),
  };
  const of = (call: keyof TraceSink) => calls.filter((c) => c.call === call).map((c) => c.info);
  return { sink, calls, of };
}

const BASE: EngineOptions = { policy: { baseDelayMs: 1 } };

interface Run {
  result: EngineResult;
  reports: RecoveryReport[];
}

async function start(options: EngineOptions = {}, refused: number[] = [], body = original()) {
  const reports: RecoveryReport[] = [];
  const result = await runStream(body, send(refused), {
    ...BASE,
    ...options,
    onReport: (r) => reports.push(r),
  });
  return { result, reports };
}

interface Read {
  /** What the client received, decoded. */
  wire: string;
  /** The chunks as the client received them. */
  chunks: string[];
  /** The error the body ended with, if any. */
  error: unknown;
  report: RecoveryReport | undefined;
  reportError: unknown;
}

/** Reads a stream result's body to its end (or its error) and its report. */
async function read(run: Run): Promise<Read> {
  const { result } = run;
  if (result.kind !== 'stream') throw new Error(`expected a stream, got ${result.kind}`);
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  let error: unknown;
  try {
    for await (const chunk of result.body) chunks.push(decoder.decode(chunk));
  } catch (err) {
    error = err;
  }
  let report: RecoveryReport | undefined;
  let reportError: unknown;
  try {
    report = await result.report;
  } catch (err) {
    reportError = err;
  }
  // Every chunk the client gets carries bytes.
  expect(chunks.filter((c) => c === '')).toEqual([]);
  const finished = report ?? (error instanceof StreamInterruptedError ? error.report : undefined);
  if (finished !== undefined) expectWithinRequest(finished);
  return { wire: chunks.join(''), chunks, error, report, reportError };
}

/** Every attempt, and the latency the failures added, lie within the request's time. */
function expectWithinRequest(report: RecoveryReport): void {
  for (const a of report.attempts) {
    expect(a.startedAtMs).toBeGreaterThanOrEqual(0);
    expect(a.durationMs).toBeGreaterThanOrEqual(0);
    expect(a.startedAtMs + a.durationMs).toBeLessThanOrEqual(report.totalMs);
  }
  expect(report.addedLatencyMs).toBeLessThanOrEqual(report.totalMs);
}

/** The text of the text deltas the client received. */
function textOf(wire: string): string {
  let text = '';
  for (const match of wire.matchAll(/^data: (\{"type":"content_block_delta".*)$/gm)) {
    const delta = (JSON.parse(match[1] as string) as { delta: { type: string; text?: string } })
      .delta;
    if (delta.type === 'text_delta') text += delta.text;
  }
  return text;
}

/** The SSE comments the client received. */
const comments = (wire: string) => [...wire.matchAll(/^: (.*)$/gm)].map((m) => m[1]);

/** The text of the last user message of a request body (a continuation turn's instruction). */
function lastUserText(body: MessageRequestBody): string {
  const last = body.messages[body.messages.length - 1] as {
    role: string;
    content: string | Array<{ type: string; text?: string }>;
  };
  expect(last.role).toBe('user');
  return typeof last.content === 'string'
    ? last.content
    : last.content.map((b) => b.text ?? '').join('');
}

async function passthrough(run: Run) {
  const { result } = run;
  if (result.kind !== 'passthrough') throw new Error(`expected a passthrough, got ${result.kind}`);
  const text = await new Response(result.response.body as ReadableStream).text();
  return { status: result.response.status, text, report: result.report };
}

describe('getting a stream (phase 1)', () => {
  it('retries a connection that cannot be made; the second attempt is a restart of the request', async () => {
    script = () => ({ chunks: message('All good.') });
    const trace = traceRecorder();
    const run = await start({ trace: trace.sink }, [1]);
    const { wire, report } = await read(run);
    expect(textOf(wire)).toBe('All good.');
    expect(report?.outcome).toBe('recovered');
    expect(report?.failures).toEqual(['connect']);
    expect(report?.strategies).toEqual(['restart']);
    expect(report?.attempts.map((a) => [a.attempt, a.strategy, a.status])).toEqual([
      [1, 'first', undefined],
      [2, 'restart', 200],
    ]);
    expect(report?.attempts[0]?.failure?.kind).toBe('connect');
    expect(report?.attempts[0]?.failure?.message).toMatch(
      /^could not connect to the upstream \(ECONNREFUSED\)/,
    );
    expect(received.map((r) => r.body)).toEqual([original()]);
    expect(trace.of('attempt')).toEqual([
      { attempt: 1, strategy: 'first', t: expect.any(Number) },
      { attempt: 2, strategy: 'restart', t: expect.any(Number), status: 200 },
    ]);
    expect(trace.of('failure')).toEqual([
      { attempt: 1, t: expect.any(Number), kind: 'connect', message: expect.any(String) },
    ]);
    expect(run.reports).toHaveLength(1);
  });

  it('hands a non-retryable status over as it came, after one attempt (outcome passthrough)', async () => {
    const body = errorBody('invalid_request_error', 'max_tokens: field required');
    script = () => ({ status: 400, body });
    const trace = traceRecorder();
    const run = await start({ trace: trace.sink });
    const { status, text, report } = await passthrough(run);
    expect([status, text]).toEqual([400, body]);
    expect(report.outcome).toBe('passthrough');
    expect(report.failures).toEqual([]);
    expect(report.attempts.map((a) => a.status)).toEqual([400]);
    expect(run.reports).toEqual([report]);
    expect(trace.of('end')).toEqual([{ outcome: 'passthrough' }]);
    expect(received).toHaveLength(1);
  });

  it('retries a retryable status while the budget lasts, then hands the last answer over (outcome failed)', async () => {
    const body = errorBody('overloaded_error', 'Overloaded');
    script = () => ({ status: 503, body });
    const run = await start({ policy: { baseDelayMs: 1, maxAttempts: 3 } });
    const { status, text, report } = await passthrough(run);
    expect([status, text]).toEqual([503, body]);
    expect(report.outcome).toBe('failed');
    expect(report.failures).toEqual(['http-status', 'http-status', 'http-status']);
    expect(report.strategies).toEqual(['restart', 'restart']);
    expect(report.attempts.map((a) => a.failure?.message)).toEqual([
      'upstream answered 503 overloaded_error: Overloaded',
      'upstream answered 503 overloaded_error: Overloaded',
      undefined,
    ]);
    expect(received).toHaveLength(3);
    expect(run.reports).toHaveLength(1);
  });

  it('quotes at most 300 characters of an error message, and names the status alone when the body says nothing', async () => {
    const long = 'x'.repeat(400);
    script = (attempt) =>
      attempt === 1
        ? { status: 529, body: errorBody('overloaded_error', long) }
        : attempt === 2
          ? { status: 502, body: 'Bad Gateway' }
          : { chunks: message('Fine.') };
    const { report } = await read(await start());
    expect(report?.attempts.map((a) => a.failure?.message)).toEqual([
      `upstream answered 529 overloaded_error: ${'x'.repeat(300)}`,
      'upstream answered 502',
      undefined,
    ]);
  });

  it('gives up the connection of a retryable error answer once its start is read, even if it never ends', async () => {
    script = (attempt) =>
      attempt === 1
        ? { status: 503, body: errorBody('overloaded_error', 'y'.repeat(100_000)), end: 'hang' }
        : { chunks: message('Fine.') };
    const { report } = await read(await start());
    expect(report?.outcome).toBe('recovered');
    await received[0]?.closed;
  });

  it('waits the delay the server asked for (retry-after-ms) before the next attempt', async () => {
    script = (attempt) =>
      attempt === 1
        ? {
            status: 429,
            headers: { 'retry-after-ms': '150' },
            body: errorBody('rate_limit_error', 'slow down'),
          }
        : { chunks: message('Fine.') };
    const { report } = await read(await start());
    expect(report?.outcome).toBe('recovered');
    expect((received[1]?.at ?? 0) - (received[0]?.at ?? 0)).toBeGreaterThanOrEqual(140);
  });

  it('waits at least half the backoff window (baseDelayMs for the first retry) before retrying a status', async () => {
    script = (attempt) =>
      attempt === 1 ? { status: 503, body: '' } : { chunks: message('Fine.') };
    const { report } = await read(await start({ policy: { baseDelayMs: 400 } }));
    expect(report?.outcome).toBe('recovered');
    expect((received[1]?.at ?? 0) - (received[0]?.at ?? 0)).toBeGreaterThanOrEqual(195);
  });

  it('stops retrying once the deadline has passed, whatever attempts are left', async () => {
    script = () => ({ status: 503, headers: { 'retry-after-ms': '500' }, body: '' });
    const run = await start({ policy: { baseDelayMs: 1, deadlineMs: 400 } });
    const { report } = await passthrough(run);
    expect(report.outcome).toBe('failed');
    expect(received).toHaveLength(2);
  });

  it('hands over an answer outside 2xx even when it says text/event-stream', async () => {
    script = () => ({ status: 300, headers: { 'content-type': 'text/event-stream' }, body: 'no' });
    const { status, report } = await passthrough(await start());
    expect(status).toBe(300);
    expect(report.outcome).toBe('passthrough');
  });

  it('hands over a 2xx answer that is not an event stream', async () => {
    script = () => ({ status: 200, body: '{"type":"message"}' });
    const { status, text, report } = await passthrough(await start());
    expect([status, text]).toEqual([200, '{"type":"message"}']);
    expect(report.outcome).toBe('passthrough');
  });

  it('rejects with StreamInterruptedError and the report when no connection can be made within the budget', async () => {
    const run = start({ policy: { baseDelayMs: 1, maxAttempts: 2 } }, [1, 2]);
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamInterruptedError);
    const interrupted = error as StreamInterruptedError;
    expect(interrupted.message).toMatch(/^stream interrupted: could not connect to the upstream/);
    expect(interrupted.partial).toBeUndefined();
    expect(interrupted.report.outcome).toBe('failed');
    expect(interrupted.report.failures).toEqual(['connect', 'connect']);
    expect(interrupted.report.attempts).toHaveLength(2);
    // The cause is the connect error itself.
    expect(interrupted.cause).toBeInstanceOf(TypeError);
    expect(received).toHaveLength(0);
  });

  it('ends at once when the caller aborts during a backoff: the abort reason, no further attempt', async () => {
    script = () => ({ status: 529, headers: { 'retry-after-ms': '5000' }, body: '' });
    const caller = new AbortController();
    const reason = new Error('caller gave up');
    const t0 = performance.now();
    const run = start({ signal: caller.signal });
    setTimeout(() => caller.abort(reason), 100);
    await expect(run).rejects.toBe(reason);
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(received).toHaveLength(1);
  });

  it('rejects with the caller’s abort reason while the response head is awaited, recording no failure', async () => {
    script = () => 'silent';
    const caller = new AbortController();
    const reason = new Error('caller gave up');
    const trace = traceRecorder();
    const run = start({ signal: caller.signal, trace: trace.sink });
    while (received.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    caller.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(trace.of('failure')).toEqual([]);
    await received[0]?.closed;
  });

  it('takes a response head that does not come within the stall budget for a stall, and retries', async () => {
    script = (attempt) => (attempt === 1 ? 'silent' : { chunks: message('Fine.') });
    const { report, wire } = await read(await start({ stall: 'fixed', stallTimeoutMs: 250 }));
    expect(textOf(wire)).toBe('Fine.');
    expect(report?.failures).toEqual(['stall']);
    expect(report?.attempts[0]?.failure?.message).toMatch(/\(fixed stall budget 250 ms\)$/);
    // The stalled request was given up: its connection is closed.
    await received[0]?.closed;
  });
});

describe('relaying an attempt (phase 2)', () => {
  it('relays a clean stream byte for byte, and records its bytes and events', async () => {
    const events = message('One two three.');
    script = () => ({ chunks: events });
    const trace = traceRecorder();
    const run = await start({ trace: trace.sink });
    const { wire, report } = await read(run);
    expect(wire).toBe(events.join(''));
    expect(report?.outcome).toBe('clean');
    expect(report?.addedLatencyMs).toBe(0);
    const attempt = report?.attempts[0];
    expect(attempt?.bytes).toBe(Buffer.byteLength(events.join('')));
    expect(attempt?.events).toBe(events.length);
    expect(attempt?.durationMs).toBeGreaterThan(0);
    expect(attempt?.failure).toBeUndefined();
    expect(trace.of('event').map((e) => [e.attempt, e.type, e.bytes])).toEqual(
      events.map((e) => [1, /^event: (\w+)/.exec(e)?.[1], Buffer.byteLength(e)]),
    );
    // On the request's clock.
    for (const e of trace.of('event')) expect(e.t).toBeLessThanOrEqual(report?.totalMs ?? 0);
    expect(trace.of('cut')).toEqual([]);
    expect(trace.of('end')).toEqual([{ outcome: 'clean' }]);
    expect(run.reports).toHaveLength(1);
  });

  it('sends an attempt’s first event at once, not with the rest of its chunk', async () => {
    const [head, blockStart, first, ...rest] = message('One two three.');
    script = () => ({ chunks: [[head, blockStart, first, ...rest].join('')] });
    const { chunks, wire } = await read(await start());
    // The message's start, then its first text with the block's start, then the rest at once.
    expect(chunks).toEqual([head, `${blockStart}${first}`, rest.join('')]);
    expect(textOf(wire)).toBe('One two three.');
  });

  it('does not count the time before the caller starts reading as the upstream’s silence', async () => {
    script = () => ({ chunks: message('Fine.') });
    const run = await start({ stall: 'fixed', stallTimeoutMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const { report } = await read(run);
    expect(report?.failures).toEqual([]);
    expect(received).toHaveLength(1);
  });

  it('does not take a stream whose chunks keep coming within the stall budget for stalled', async () => {
    const events = message('One two three four five six.');
    // 11 events 100 ms apart: over a second in all, never 450 ms without a byte.
    script = () => ({ chunks: events.flatMap((e) => [e, 100]) });
    const { wire, report } = await read(await start({ stall: 'fixed', stallTimeoutMs: 450 }));
    expect(textOf(wire)).toBe('One two three four five six.');
    expect(report?.failures).toEqual([]);
  });

  it('reports the container the message ran in', async () => {
    const start0 = sse
      .messageStart()
      .replace(
        '"content":[]',
        '"content":[],"container":{"id":"container_7","expires_at":"2026-12-01T00:00:00Z"}',
      );
    const [, ...rest] = message('Ran.');
    script = () => ({ chunks: [start0, ...rest] });
    const { report } = await read(await start());
    expect(report?.containerId).toBe('container_7');
  });

  it('drops the upstream’s comments, and names an event without an event line from its data', async () => {
    const [head, ...rest] = message('Hi.');
    script = () => ({
      chunks: [
        head as string,
        ': upstream keep-alive\n\n',
        'data: {"type":"ping"}\n\n',
        'data: {"note":"neither a name nor a type"}\n\n',
        'data: {"delta":{"type":"inner"},"type":"outer_event"}\n\n',
        ...rest,
      ],
    });
    const trace = traceRecorder();
    const { wire, report } = await read(await start({ trace: trace.sink }));
    expect(comments(wire)).toEqual([]);
    expect(wire).toContain('data: {"type":"ping"}\n\n');
    expect(wire).toContain('data: {"note":"neither a name nor a type"}\n\n');
    expect(report?.outcome).toBe('clean');
    expect(
      trace
        .of('event')
        .map((e) => e.type)
        .slice(0, 4),
    ).toEqual(['message_start', 'ping', 'message', 'outer_event']);
  });

  it('relays an SSE error event of a non-retryable type, and the stream ends there', async () => {
    const error =
      'event: error\ndata: {"type":"error","error":{"type":"invalid_request_error","message":"no"}}\n\n';
    script = () => ({ chunks: [...opening('Partial'), error], end: 'hang' });
    const { wire, error: thrown, report } = await read(await start());
    expect(thrown).toBeUndefined();
    expect(wire.endsWith(error)).toBe(true);
    expect(report?.outcome).toBe('clean');
    expect(received).toHaveLength(1);
    await received[0]?.closed;
  });
});

describe('failing mid-stream, and resuming', () => {
  it('resumes a body that ends without message_stop with a continuation turn', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one backs up') }
        : { chunks: message(' the database.'), headAfterMs: 60 };
    const trace = traceRecorder();
    const { wire, report } = await read(await start({ trace: trace.sink }));
    expect(textOf(wire)).toBe('Step one backs up the database.');
    // The default keep-alive: a comment at once when the attempt fails, none while the next opens.
    expect(comments(wire)).toEqual(['lifeline resuming: eof']);
    expect(report?.outcome).toBe('recovered');
    expect(report?.failures).toEqual(['eof']);
    expect(report?.strategies).toEqual(['continue']);
    expect(report?.attempts[0]?.failure).toEqual({
      kind: 'eof',
      message: 'the upstream body ended without message_stop',
    });
    expect(report?.attempts[0]?.deliveredChars).toBe('Step one backs up'.length);
    expect(report?.seams.map((seam) => seam.attempt)).toEqual([2]);
    expect(report?.addedLatencyMs).toBeGreaterThanOrEqual(50);
    expect(lastUserText(received[1]?.body as MessageRequestBody)).toMatch(
      /<previous_message_end>Step one backs up<\/previous_message_end>$/,
    );
    expect(trace.of('failure').map((f) => [f.attempt, f.kind])).toEqual([[1, 'eof']]);
    expect(trace.of('attempt').map((a) => [a.attempt, a.strategy, a.status])).toEqual([
      [1, 'first', 200],
      [2, 'continue', 200],
    ]);
  });

  it('resumes at once after the first mid-stream failure, and after the backoff window after the next', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one') }
        : attempt === 2
          ? { chunks: [sse.messageStart()] }
          : { chunks: message(' two.') };
    // A wide window, so that "at once" holds with a margin on a loaded machine.
    const { wire, report } = await read(await start({ policy: { baseDelayMs: 1_500 } }));
    expect(textOf(wire)).toBe('Step one two.');
    expect(report?.failures).toEqual(['eof', 'eof']);
    const [first, second, third] = received.map((r) => r.at);
    // At once: under half the 1500 ms window a backoff would wait.
    expect((second ?? 0) - (first ?? 0)).toBeLessThan(750);
    // The second resume is the third attempt: a window of 3000 ms, at least half of it.
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(1_495);
  });

  it('sends nothing but events while resuming when keepAliveMs is 0', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one backs up') }
        : { chunks: message(' the database.'), headAfterMs: 100 };
    const { wire, report } = await read(await start({ keepAliveMs: 0 }));
    expect(textOf(wire)).toBe('Step one backs up the database.');
    expect(comments(wire)).toEqual([]);
    expect(report?.outcome).toBe('recovered');
  });

  it('sends a keep-alive comment every keepAliveMs while the next attempt opens, and stops once it answers', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one backs up') }
        : { chunks: message(' the database.'), headAfterMs: 400 };
    const { wire, report } = await read(await start({ keepAliveMs: 40 }));
    expect(textOf(wire)).toBe('Step one backs up the database.');
    const waiting = comments(wire).filter((c) => c === 'lifeline resuming: waiting for upstream');
    // 400 ms at one comment per 40 ms: at most 10, and a loaded machine still fits two in.
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    expect(waiting.length).toBeLessThanOrEqual(10);
    expect(comments(wire)[0]).toBe('lifeline resuming: eof');
    // Every comment came before the continuation's text.
    expect(wire.lastIndexOf(': lifeline resuming')).toBeLessThan(wire.indexOf('"text":" the'));
    expect(report?.outcome).toBe('recovered');
  });

  it('leaves no keep-alive timer behind once the next attempt has answered', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    script = (attempt) =>
      attempt === 1 ? { chunks: opening('Step one') } : { chunks: message(' two.') };
    const before = timers();
    const { report } = await read(await start({ keepAliveMs: 60_000 }));
    expect(report?.outcome).toBe('recovered');
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('resumes a connection reset inside an event; the trace gets the cut event’s bytes before the failure', async () => {
    const cut = 'event: content_block_delta\ndata: {"type":"content_block_de';
    script = (attempt) =>
      attempt === 1
        ? { chunks: [...opening('Step one'), cut], end: 'reset' }
        : { chunks: message(' two.') };
    const trace = traceRecorder();
    const { wire, report } = await read(await start({ trace: trace.sink }));
    expect(textOf(wire)).toBe('Step one two.');
    expect(report?.failures).toEqual(['socket']);
    expect(report?.attempts[0]?.failure?.message).toMatch(
      /^the connection closed during the stream/,
    );
    const cuts = trace.of('cut');
    expect(cuts).toHaveLength(1);
    expect(cuts[0]?.attempt).toBe(1);
    expect(new TextDecoder().decode(cuts[0]?.bytes as Uint8Array)).toBe(cut);
    expect(cuts[0]?.t).toBeLessThanOrEqual(report?.totalMs ?? 0);
    const order = trace.calls.map((c) => c.call).filter((c) => c === 'cut' || c === 'failure');
    expect(order).toEqual(['cut', 'failure']);
  });

  it('resumes after an SSE error event of a retryable type, which the client does not see', async () => {
    const overloaded = (message?: string) =>
      `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', ...(message ? { message } : {}) } })}\n\n`;
    script = (attempt) =>
      attempt === 1
        ? { chunks: [...opening('Step one'), overloaded('Overloaded')], end: 'hang' }
        : attempt === 2
          ? { chunks: [sse.messageStart(), sse.textStart(0), overloaded()], end: 'hang' }
          : { chunks: message(' two.') };
    const { wire, report } = await read(await start());
    expect(textOf(wire)).toBe('Step one two.');
    expect(wire).not.toContain('overloaded_error');
    expect(report?.failures).toEqual(['error-event', 'error-event']);
    expect(report?.attempts.map((a) => a.failure?.message)).toEqual([
      'upstream sent an SSE error event: overloaded_error (Overloaded)',
      'upstream sent an SSE error event: overloaded_error',
      undefined,
    ]);
    // The attempts given up are closed, not left hanging.
    await Promise.all([received[0]?.closed, received[1]?.closed]);
  });

  it('resumes after an event whose data is not JSON (a protocol failure), and the client keeps the events before it', async () => {
    // One chunk: the events before the bad one are the splicer's, and the client's, even so.
    script = (attempt) =>
      attempt === 1
        ? {
            chunks: [
              [...opening('Step one'), 'event: content_block_delta\ndata: {not json\n\n'].join(''),
            ],
          }
        : attempt === 2
          ? { chunks: [sse.messageStart(), `data: oops ${'x'.repeat(100)}\n\n`] }
          : { chunks: message(' two.') };
    const { wire, report } = await read(await start());
    expect(textOf(wire)).toBe('Step one two.');
    expect(report?.failures).toEqual(['protocol', 'protocol']);
    expect(report?.attempts.map((a) => a.failure?.message)).toEqual([
      'upstream sent an event whose data is not JSON (content_block_delta: {not json)',
      // The data quoted up to 80 characters.
      `upstream sent an event whose data is not JSON (message: oops ${'x'.repeat(75)})`,
      undefined,
    ]);
  });

  it('resumes after an event larger than maxEventSize (a protocol failure), after the events before it in its chunk', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: [[...opening('Step one'), sse.text(0, 'y'.repeat(600))].join('')] }
        : { chunks: message(' two.') };
    const { wire, report } = await read(await start({ maxEventSize: 400 }));
    expect(textOf(wire)).toBe('Step one two.');
    expect(report?.failures).toEqual(['protocol']);
    expect(report?.attempts[0]?.failure?.message).toMatch(/maxEventSize/);
  });

  it('restarts the request when an attempt fails before anything reached the client', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: [sse.textStart(0)] } // content before message_start: unusable
        : { chunks: message('Fresh start.') };
    const { wire, report } = await read(await start());
    expect(wire.startsWith('event: message_start')).toBe(true);
    expect(textOf(wire)).toBe('Fresh start.');
    expect(report?.failures).toEqual(['protocol']);
    expect(report?.attempts[0]?.failure?.message).toBe(
      'upstream stream is malformed: a content block arrived before message_start',
    );
    expect(report?.strategies).toEqual(['restart']);
    expect(received[1]?.body).toEqual(original());
  });

  it('completes the message without another attempt when only message_stop was lost', async () => {
    const events = message('All of it.');
    script = () => ({ chunks: events.slice(0, -1) });
    const { wire, report } = await read(await start());
    expect(wire.startsWith(events.slice(0, -2).join(''))).toBe(true);
    // Then a keep-alive comment and the message's end as the upstream said it (end_turn).
    const end = wire.slice(events.slice(0, -2).join('').length);
    expect(end).toMatch(
      /^: lifeline resuming: eof\n\nevent: message_delta\ndata: \{[^\n]*"stop_reason":"end_turn"[^\n]*\}\n\nevent: message_stop\ndata: \{"type":"message_stop"\}\n\n$/,
    );
    expect(report?.strategies).toEqual(['complete']);
    expect(report?.outcome).toBe('recovered');
    expect(received).toHaveLength(1);
  });

  it('retries a retryable status and a refused connection while resuming, then continues', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one') }
        : attempt === 2
          ? {
              status: 503,
              headers: { 'retry-after-ms': '200' },
              body: errorBody('overloaded_error', 'y'.repeat(100_000)),
              end: 'hang',
            }
          : { chunks: message(' two.') };
    // Attempt 3 goes to a dead port; the scripted upstream's third request is attempt 4.
    const { wire, report } = await read(await start({}, [3]));
    expect(textOf(wire)).toBe('Step one two.');
    // The server asked for 200 ms; the error answer that never ends was given up.
    expect((received[2]?.at ?? 0) - (received[1]?.at ?? 0)).toBeGreaterThanOrEqual(195);
    await received[1]?.closed;
    expect(report?.failures).toEqual(['eof', 'http-status', 'connect']);
    expect(report?.strategies).toEqual(['continue', 'continue', 'continue']);
    expect(report?.attempts.map((a) => a.status)).toEqual([200, 503, undefined, 200]);
    expect(report?.outcome).toBe('recovered');
  });

  it('learns that the model refuses prefill and continues with a continuation turn; the refusal is not an attempt', async () => {
    const models = new ModelTable();
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one', SONNET) }
        : attempt === 2
          ? {
              status: 400,
              body: errorBody(
                'invalid_request_error',
                'This model does not support assistant message prefill.',
              ),
            }
          : { chunks: message(' two.', SONNET) };
    const { wire, report } = await read(
      await start({ models, policy: { baseDelayMs: 1, maxAttempts: 2 } }, [], original(SONNET)),
    );
    expect(textOf(wire)).toBe('Step one two.');
    expect(report?.outcome).toBe('recovered');
    expect(models.formFor(SONNET)).toBe('continue');
    expect(report?.attempts.map((a) => a.strategy)).toEqual(['first', 'continue']);
    expect(received[1]?.body.messages.at(-1)?.role).toBe('assistant');
    expect(lastUserText(received[2]?.body as MessageRequestBody)).toContain('Step one');
  });

  it('asks for the continuation with the caller’s instruction, quoting as many characters as asked', async () => {
    script = (attempt) =>
      attempt === 1 ? { chunks: opening('Step one backs') } : { chunks: message(' up.') };
    await read(await start({ instruction: 'Go on.', instructionTail: 0 }));
    expect(lastUserText(received[1]?.body as MessageRequestBody)).toBe('Go on.');
    received = [];
    await read(await start({ instruction: 'Go on.', instructionTail: 5 }));
    expect(lastUserText(received[1]?.body as MessageRequestBody)).toMatch(
      /^Go on\.\n\n[\s\S]*<previous_message_end>backs<\/previous_message_end>$/,
    );
  });

  it('resumes a body that goes silent for longer than the stall budget', async () => {
    script = (attempt) =>
      attempt === 1 ? { chunks: opening('Step one'), end: 'hang' } : { chunks: message(' two.') };
    const { wire, report } = await read(await start({ stall: 'fixed', stallTimeoutMs: 250 }));
    expect(textOf(wire)).toBe('Step one two.');
    expect(report?.failures).toEqual(['stall']);
    expect(report?.attempts[0]?.failure?.message).toMatch(/\(fixed stall budget 250 ms\)$/);
    await received[0]?.closed;
  });
});

describe('a client that goes away while lifeline reconnects', () => {
  /** Reads until the first "waiting for upstream" comment, then stops reading. */
  async function leaveWhileWaiting(run: Run): Promise<void> {
    if (run.result.kind !== 'stream') throw new Error('expected a stream');
    const decoder = new TextDecoder();
    for await (const chunk of run.result.body) {
      if (decoder.decode(chunk).includes('waiting for upstream')) break;
    }
  }

  it('sends no further request once the client is gone during a backoff', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one') }
        : { status: 529, headers: { 'retry-after-ms': '300' }, body: '' };
    await leaveWhileWaiting(await start({ keepAliveMs: 40 }));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(received).toHaveLength(2);
  });

  it('closes the attempt that was opening when the client left, once it answers', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one') }
        : { chunks: message(' two.'), headAfterMs: 200, end: 'hang' };
    await leaveWhileWaiting(await start({ keepAliveMs: 40 }));
    while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    await received[1]?.closed;
    expect(received).toHaveLength(2);
  });
});

describe('when the message cannot be completed', () => {
  it('fails with "attempt budget spent" when nothing was sent and no attempt is left', async () => {
    script = () => ({ chunks: [] });
    const run = await start({ policy: { baseDelayMs: 1, maxAttempts: 1 } });
    const { wire, error, report, reportError } = await read(run);
    expect(wire).toBe('');
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as Error).message).toBe(
      'stream interrupted: attempt budget spent; last failure: the upstream body ended without message_stop (1 attempt(s))',
    );
    expect(report).toBeUndefined();
    expect(reportError).toBe(error);
    expect((error as StreamInterruptedError).report.outcome).toBe('failed');
    expect(run.reports.map((r) => r.outcome)).toEqual(['failed']);
  });

  it('fails with the partial message when the budget is spent mid-text: what the client has is not lost', async () => {
    const cut = 'event: content_block_delta\ndata: {"type":"content_block_de';
    script = () => ({ chunks: [...opening('Hello there'), cut], end: 'reset' });
    const { wire, error } = await read(await start({ policy: { baseDelayMs: 1, maxAttempts: 1 } }));
    expect(textOf(wire)).toBe('Hello there');
    const interrupted = error as StreamInterruptedError;
    expect(interrupted).toBeInstanceOf(StreamInterruptedError);
    expect(interrupted.message).toMatch(
      /^stream interrupted: attempt budget spent; last failure: the connection closed during the stream/,
    );
    expect(interrupted.lastFailure).toBe('socket');
    expect(interrupted.partial?.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'Hello there' }),
    ]);
    // The socket error the attempt died of.
    expect(interrupted.cause).toBeInstanceOf(Error);
  });

  it('reports the tool input being received when the budget ran out as pending and discarded', async () => {
    script = () => ({
      chunks: [
        sse.messageStart(),
        sse.blockStart(0, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }),
        sse.input(0, '{"city": "Par'),
      ],
    });
    const { error } = await read(await start({ policy: { baseDelayMs: 1, maxAttempts: 1 } }));
    const interrupted = error as StreamInterruptedError;
    expect(interrupted.pending).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      partial: '{"city": "Par',
    });
    expect(interrupted.report.discardedBlocks).toBe(1);
    expect(interrupted.report.discardedBytes).toBeGreaterThan(0);
  });

  it('ends the message at a complete client tool use when the budget is spent after it', async () => {
    script = () => ({
      chunks: [
        ...opening('Let me check.'),
        sse.blockStop(0),
        sse.blockStart(1, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }),
        sse.input(1, '{"city": "Paris"}'),
        sse.blockStop(1),
      ],
    });
    const { wire, error, report } = await read(
      await start({ policy: { baseDelayMs: 1, maxAttempts: 1 } }),
    );
    expect(error).toBeUndefined();
    expect(wire).toContain('"stop_reason":"tool_use"');
    expect(wire.endsWith(sse.messageStop())).toBe(true);
    expect(report?.strategies).toEqual(['end-at-tool']);
    expect(report?.outcome).toBe('recovered');
  });

  it('ends the message at a client tool use already sent when the continuation goes another way', async () => {
    const toolUse = [
      sse.blockStart(1, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }),
      sse.input(1, '{"city": "Paris"}'),
      sse.blockStop(1),
    ];
    script = (attempt) =>
      attempt === 1
        ? { chunks: [...opening('Let me check.'), sse.blockStop(0), ...toolUse] }
        : { chunks: message('Something else entirely.') };
    const { wire, error, report } = await read(await start());
    expect(error).toBeUndefined();
    expect(textOf(wire)).toBe('Let me check.');
    expect(wire).toContain('"stop_reason":"tool_use"');
    expect(wire.endsWith(sse.messageStop())).toBe(true);
    expect(report?.strategies).toEqual(['continue', 'end-at-tool']);
    expect(report?.outcome).toBe('recovered');
  });

  it('fails when the upstream refuses the continuation with a non-retryable status', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one') }
        : { status: 400, body: errorBody('invalid_request_error', 'messages: bad') };
    const { error, reportError } = await read(await start());
    const interrupted = error as StreamInterruptedError;
    expect(interrupted.message).toBe(
      'stream interrupted: the upstream refused the continuation request (upstream answered 400 invalid_request_error: messages: bad) (2 attempt(s))',
    );
    expect(interrupted.partial?.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'Step one' }),
    ]);
    expect(interrupted.report.attempts[1]?.failure?.kind).toBe('http-status');
    expect(reportError).toBe(error);
    expect(received).toHaveLength(2);
  });

  it('takes a prefill refusal of a continuation turn for a refusal, not for a lesson', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one') }
        : {
            status: 400,
            body: errorBody(
              'invalid_request_error',
              'This model does not support assistant message prefill.',
            ),
          };
    const { error } = await read(await start({ models: new ModelTable() }));
    expect((error as Error).message).toMatch(
      /^stream interrupted: the upstream refused the continuation request/,
    );
    expect(received).toHaveLength(2);
  });

  it('names the last failure when resuming attempts fail until the budget is spent', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one') }
        : { status: 503, body: errorBody('overloaded_error', 'Overloaded') };
    const { error } = await read(await start({ policy: { baseDelayMs: 1, maxAttempts: 3 } }, [3]));
    expect((error as Error).message).toMatch(
      /^stream interrupted: attempt budget spent; last failure: could not connect to the upstream \(ECONNREFUSED\)/,
    );
    expect((error as StreamInterruptedError).report.failures).toEqual([
      'eof',
      'http-status',
      'connect',
    ]);
  });

  it('fails at once when live-streamed thinking is cut off (thinking: "stream")', async () => {
    script = () => ({
      chunks: [sse.messageStart(), sse.thinkingStart(0), sse.thinking(0, 'Let me think')],
    });
    const { error } = await read(await start({ thinking: 'stream' }));
    expect((error as Error).message).toMatch(
      /^stream interrupted: the stream dropped inside thinking that was streamed live/,
    );
    expect(received).toHaveLength(1);
  });
});

describe('the caller and observers', () => {
  it('ends the body with the caller’s abort reason mid-stream, and makes no further attempt', async () => {
    script = () => ({ chunks: opening('Step one'), end: 'hang' });
    const caller = new AbortController();
    const reason = new Error('caller gave up');
    const run = await start({ signal: caller.signal });
    if (run.result.kind !== 'stream') throw new Error('expected a stream');
    const body = run.result.body[Symbol.asyncIterator]();
    await body.next();
    caller.abort(reason);
    await expect(
      (async () => {
        for (;;) if ((await body.next()).done) return;
      })(),
    ).rejects.toBe(reason);
    await expect(run.result.report).rejects.toBe(reason);
    await received[0]?.closed;
    expect(received).toHaveLength(1);
  });

  it('ends the body with the caller’s abort reason during a reconnect’s backoff', async () => {
    script = (attempt) =>
      attempt === 1
        ? { chunks: opening('Step one') }
        : { status: 529, headers: { 'retry-after-ms': '5000' }, body: '' };
    const caller = new AbortController();
    const reason = new Error('caller gave up');
    const { result } = await start({ signal: caller.signal, keepAliveMs: 40 });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const t0 = performance.now();
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of result.body) {
        if (decoder.decode(chunk).includes('waiting for upstream')) caller.abort(reason);
      }
    })();
    await expect(reading).rejects.toBe(reason);
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(received).toHaveLength(2);
  });

  it('releases the upstream connection when the client stops reading', async () => {
    script = () => ({ chunks: opening('Step one'), end: 'hang' });
    const run = await start();
    if (run.result.kind !== 'stream') throw new Error('expected a stream');
    for await (const _ of run.result.body) break;
    await received[0]?.closed;
    expect(received).toHaveLength(1);
  });

  const NEVER_STALLS: EngineOptions = { stall: 'fixed', stallTimeoutMs: 600_000 };

  it('releases the upstream connection when the client gives the body up before reading it', async () => {
    script = () => ({ chunks: opening('Step one'), end: 'hang' });
    // No stall would end the attempt within the test's time: only the body's return can.
    const run = await start(NEVER_STALLS);
    if (run.result.kind !== 'stream') throw new Error('expected a stream');
    // A generator that never started runs no finally: the body must close the attempt itself.
    await run.result.body[Symbol.asyncIterator]().return?.();
    await received[0]?.closed;
    expect(received).toHaveLength(1);
  });

  it('releases it too when the body is thrown into before it is read', async () => {
    script = () => ({ chunks: opening('Step one'), end: 'hang' });
    const run = await start(NEVER_STALLS);
    if (run.result.kind !== 'stream') throw new Error('expected a stream');
    const reason = new Error('caller gone');
    await expect(run.result.body[Symbol.asyncIterator]().throw?.(reason)).rejects.toBe(reason);
    await received[0]?.closed;
    expect(received).toHaveLength(1);
  });

  it('keeps streaming when the trace sink throws', async () => {
    const boom = () => {
      throw new Error('sink broke');
    };
    script = (attempt) =>
      attempt === 1
        ? {
            chunks: [...opening('Step one'), 'event: content_block_delta\ndata: {"ty'],
            end: 'reset',
          }
        : { chunks: message(' two.') };
    const run = await start({
      trace: { attempt: boom, event: boom, failure: boom, cut: boom, end: boom },
    });
    const { wire, report } = await read(run);
    expect(textOf(wire)).toBe('Step one two.');
    expect(report?.outcome).toBe('recovered');
  });
});
