/**
 * Resume benchmark: what lifeline costs when nothing fails, and how fast it recovers when
 * something does, against the scenario mock (src/mock) in this process, on loopback.
 *
 * Method:
 * - Fixtures: scenarios generated per run from a fresh seed (printed; RESUME_BENCH_SEED
 *   replays one), so the JIT cannot specialise on one input: "long text" (one text block of
 *   DELTAS text deltas, default 10,000, of 8 code points, ~1% non-ASCII), "tool input" (a
 *   short text, then a client tool_use whose ~600 KB input streams as input_json_delta events
 *   of 64 code points, stop_reason tool_use), "short text" (200 deltas, for first-token
 *   latency), and a 4,000-delta text on claude-opus-4-6 and on claude-sonnet-4-5 for
 *   recoveries. The mock writes one event per HTTP chunk, as the API does.
 * - 1a. CPU only, in-memory body: the SDK (`client.beta.messages.stream(...)`, iterating its
 *   events) with and without `lifelineMiddleware()`, its `fetch` answering from memory with
 *   the scenario's bytes in 16 KB chunks (as loopback reads deliver them); and the engine
 *   alone (`runStream`, body read to its end) on the same bytes. No socket and no mock in the
 *   loop, so this is the steadiest figure: what lifeline costs per event, next to the SDK.
 * - 1b. Over loopback from the mock: the same SDK pair; and, to separate the SDK's cost from
 *   ours, the engine (`runStream`) against a plain read of the same body, once over `fetch`
 *   and once over undici `request`. Per round, each contender runs SEQ streams one after
 *   another (default 5), then CONC streams at once (default 20; loopback only); contenders
 *   rotate order every round. WARMUP rounds (2), then ROUNDS measured rounds (default 7); the
 *   median round is reported. MB/s counts the SSE bytes of the scenario; events/s its events.
 *   Every stream is checked (event or byte count; in warm-up, the SDK's final message against
 *   the scenario's), so a fast wrong contender cannot win.
 * - First token: on "short text", TTFT_SAMPLES requests per contender (default 400, after 20
 *   warm-up), one at a time, interleaved: the time from the call to the SDK's first
 *   `text_delta` event (plain vs lifeline), and from `fetch` to the first body byte (plain vs
 *   engine; lifeline holds a text block's start until its first text, so this is the head of
 *   the stream, not its first text). p50, p90, p99; "added" is lifeline's minus plain's.
 * - 2. Recovery. RECOVERIES drops per continuation form (default 50, after 5 warm-up), each at
 *   a random text_delta event (not the first or last 50), a random number of bytes into it
 *   (inside the event and its HTTP chunk), through the SDK with the middleware (default
 *   options: immediate first resume, keep-alive comments on). Clocks, all `performance.now()`
 *   in this process, from the failure (the engine's trace sink `failure` callback, called as
 *   the engine sees the socket close): the resumed attempt's response headers, its first
 *   parsed event and first content event (trace sink), and the first downstream chunk after
 *   the failure that carries a content_block event (not a keep-alive comment or a ping),
 *   seen by an outer SDK middleware: "1st content out", the recovery latency. The mock's own
 *   time to first byte is measured in the same run, after each recovery: for a fresh request,
 *   and for the very continuation request the engine sent (replayed from the mock's request
 *   log with plain fetch), since rendering a continuation costs the mock more than a fresh
 *   stream. "out - same req" = recovery minus the replayed request's first byte, per sample.
 * - No GC is forced before a timed run (as in sse.bench.ts); one is forced between sections.
 *   The mock shares this process and the machine's cores with the client, and the load
 *   average is printed at the start and the end: on a shared machine, read the ratios.
 *   p99 of 50 samples is their maximum.
 * - All HTTP goes through one undici Agent whose idle sockets close after 1 s, well inside
 *   the mock's 5 s keep-alive (with the default, a loaded machine can reuse a socket the mock
 *   is closing, and a POST fails with ECONNRESET).
 *
 * Env: RESUME_BENCH_SEED, RESUME_BENCH_ROUNDS, RESUME_BENCH_DELTAS, RESUME_BENCH_SEQ,
 * RESUME_BENCH_CONC, RESUME_BENCH_TTFT_SAMPLES, RESUME_BENCH_RECOVERIES, and
 * RESUME_BENCH_SECTIONS (comma-separated subset of memory,network,ttft,recovery; for profiling
 * one part with `node --cpu-prof`).
 */
import { availableParallelism, loadavg } from 'node:os';
import type { Middleware } from '@anthropic-ai/sdk';
import Anthropic from '@anthropic-ai/sdk';
import { Agent, setGlobalDispatcher, request as undiciRequest } from 'undici';
import { runStream, type UpstreamResponse } from '../src/engine/index.js';
import { lifelineMiddleware } from '../src/integrations/index.js';
import { type MockServer, startMock } from '../src/mock/index.js';
import type { MessageRequestBody } from '../src/resume/index.js';
import { recovery, withoutDeprecationWarnings } from './resume-recovery.js';
import {
  API_KEY,
  type Fixtures,
  fmt,
  gc,
  int,
  LONG,
  makeFixtures,
  median,
  OPUS,
  params,
  quantile,
  readAll,
  requestHeaders,
  SHORT,
  type StreamOutcome,
  sdkStream,
  type Target,
  TOOL,
  TOOL_INPUT_CHARS,
  table,
} from './resume-shared.js';

const WARMUP = 2;
const ROUNDS = Number(process.env.RESUME_BENCH_ROUNDS ?? 7);
const DELTAS = Number(process.env.RESUME_BENCH_DELTAS ?? 10_000);
const SEQ = Number(process.env.RESUME_BENCH_SEQ ?? 5);
const CONC = Number(process.env.RESUME_BENCH_CONC ?? 20);
const TTFT_SAMPLES = Number(process.env.RESUME_BENCH_TTFT_SAMPLES ?? 400);

// ---------------------------------------------------------------------------------------------
// Contenders

/** The engine's `send` over fetch: the same call the middleware's `next` ends in. */
function fetchSend(url: string, scenario: string) {
  return async ({ body, signal }: { body: MessageRequestBody; signal: AbortSignal }) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: requestHeaders(scenario),
      body: JSON.stringify(body),
      signal,
    });
    return { status: r.status, headers: r.headers, body: r.body } satisfies UpstreamResponse;
  };
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

function undiciSend(url: string, scenario: string) {
  return async ({ body, signal }: { body: MessageRequestBody; signal: AbortSignal }) => {
    const r = await undiciRequest(url, {
      method: 'POST',
      headers: requestHeaders(scenario),
      body: JSON.stringify(body),
      signal,
    });
    return {
      status: r.statusCode,
      headers: toHeaders(r.headers),
      body: r.body,
    } satisfies UpstreamResponse;
  };
}

/** The engine as the integrations run it: parse the caller's body, run, read the result. */
async function engineStream(
  requestBody: string,
  send: (r: { body: MessageRequestBody; signal: AbortSignal }) => Promise<UpstreamResponse>,
): Promise<StreamOutcome> {
  const start = performance.now();
  const result = await runStream(JSON.parse(requestBody) as MessageRequestBody, send);
  if (result.kind !== 'stream')
    throw new Error(`engine passed through status ${result.response.status}`);
  return readAll(result.body, start);
}

interface Contender {
  name: string;
  /** 'events' for SDK contenders (events seen), 'bytes' for the others (body bytes). */
  unit: 'events' | 'bytes';
  run: (target: Target, check: boolean) => Promise<StreamOutcome>;
}

/** A scenario's SSE bytes cut into 16 KB pieces, as loopback reads deliver them. */
function memoryChunks(mock: MockServer, scenario: string): Uint8Array[] {
  const all = Buffer.concat(mock.renderedEvents(scenario));
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < all.length; at += 16 * 1024) chunks.push(all.subarray(at, at + 16 * 1024));
  return chunks;
}

function memoryBody(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8' };

/**
 * Contenders without a socket: the SDK's `fetch` (and the engine's `send`) answer from memory
 * with the scenario's bytes. What is left is CPU: the SDK's parsing and accumulation, and ours.
 */
function memoryContenders(mock: MockServer, scenarios: readonly string[]): Contender[] {
  const bodies = new Map(scenarios.map((s) => [s, memoryChunks(mock, s)]));
  const chunksOf = (t: Target) => bodies.get(t.scenario)!;
  const memoryFetch = (t: Target) => async () =>
    new Response(memoryBody(chunksOf(t)), { status: 200, headers: SSE_HEADERS });
  const sdk = (t: Target, middleware: Middleware[]) =>
    new Anthropic({
      apiKey: API_KEY,
      baseURL: mock.url,
      maxRetries: 0,
      fetch: memoryFetch(t),
      middleware,
    });
  // One client per scenario and contender, made once: the SDK caches per-client state.
  const plain = new Map(scenarios.map((s) => [s, sdk({ scenario: s, model: OPUS }, [])]));
  const lifeline = new Map(
    scenarios.map((s) => [
      s,
      sdk({ scenario: s, model: OPUS }, [lifelineMiddleware({ logger: false })]),
    ]),
  );
  const body = (t: Target) => JSON.stringify({ ...params(t.model), stream: true });
  return [
    { name: 'SDK', unit: 'events', run: (t) => sdkStream(plain.get(t.scenario)!, t) },
    {
      name: 'SDK + lifeline',
      unit: 'events',
      run: (t) => sdkStream(lifeline.get(t.scenario)!, t),
    },
    {
      name: 'read body',
      unit: 'bytes',
      run: (t) => readAll(memoryBody(chunksOf(t)), performance.now()),
    },
    {
      name: 'engine',
      unit: 'bytes',
      run: (t) =>
        engineStream(body(t), async () => ({
          status: 200,
          headers: new Headers(SSE_HEADERS),
          body: memoryBody(chunksOf(t)),
        })),
    },
  ];
}

function contenders(mock: MockServer, fixtures: Fixtures): Contender[] {
  const url = `${mock.url}/v1/messages`;
  const plain = new Anthropic({ apiKey: API_KEY, baseURL: mock.url, maxRetries: 0 });
  const lifeline = new Anthropic({
    apiKey: API_KEY,
    baseURL: mock.url,
    maxRetries: 0,
    middleware: [lifelineMiddleware({ logger: false })],
  });
  const body = (target: Target) => JSON.stringify({ ...params(target.model), stream: true });
  const checker = (target: Target) => (final: Anthropic.Beta.BetaMessage) => {
    const scenario = fixtures.scenarios.find((s) => s.name === target.scenario)!;
    const got = JSON.stringify(final.content);
    const want = JSON.stringify(scenario.message.content);
    if (got !== want) throw new Error(`${target.scenario}: the SDK's final message differs`);
  };
  return [
    {
      name: 'SDK',
      unit: 'events',
      run: (t, check) => sdkStream(plain, t, check ? checker(t) : undefined),
    },
    {
      name: 'SDK + lifeline',
      unit: 'events',
      run: (t, check) => sdkStream(lifeline, t, check ? checker(t) : undefined),
    },
    {
      name: 'fetch',
      unit: 'bytes',
      async run(t) {
        const start = performance.now();
        const r = await fetch(url, {
          method: 'POST',
          headers: requestHeaders(t.scenario),
          body: body(t),
        });
        if (r.body === null) throw new Error('fetch: no body');
        return readAll(r.body, start);
      },
    },
    {
      name: 'fetch + engine',
      unit: 'bytes',
      run: (t) => engineStream(body(t), fetchSend(url, t.scenario)),
    },
    {
      name: 'undici',
      unit: 'bytes',
      async run(t) {
        const start = performance.now();
        const r = await undiciRequest(url, {
          method: 'POST',
          headers: requestHeaders(t.scenario),
          body: body(t),
        });
        return readAll(r.body, start);
      },
    },
    {
      name: 'undici + engine',
      unit: 'bytes',
      run: (t) => engineStream(body(t), undiciSend(url, t.scenario)),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// 1. Fault-free overhead

interface Shape {
  bytes: number;
  events: number;
}

function shapeOf(mock: MockServer, scenario: string): Shape {
  const events = mock.renderedEvents(scenario);
  let bytes = 0;
  for (const e of events) bytes += e.length;
  return { bytes, events: events.length };
}

interface ThroughputOptions {
  /** Also run CONC streams at once (network contenders). */
  concurrent: boolean;
  /** [ours, baseline] contender names whose throughput ratio is printed. */
  pairs: Array<[string, string]>;
  /** Print CPU per event: the SDK's, the engine's, and what lifeline adds to the SDK's. */
  perEvent?: boolean;
}

async function throughput(
  mock: MockServer,
  list: Contender[],
  target: Target,
  label: string,
  options: ThroughputOptions,
): Promise<void> {
  const shape = shapeOf(mock, target.scenario);
  // The SDK drops `ping` events before it yields; the body readers count bytes.
  const expected = (c: Contender) => (c.unit === 'events' ? shape.events - 1 : shape.bytes);
  const seqTimes = new Map<string, number[]>(list.map((c) => [c.name, []]));
  const concTimes = new Map<string, number[]>(list.map((c) => [c.name, []]));
  const verify = (c: Contender, o: StreamOutcome) => {
    // Lifeline moves held whitespace between events but adds or drops no byte: counts must match.
    if (o.count !== expected(c))
      throw new Error(`${label}, ${c.name}: saw ${o.count} ${c.unit}, expected ${expected(c)}`);
  };
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (let k = 0; k < list.length; k++) {
      const c = list[(round + k) % list.length]!;
      const check = round < WARMUP;
      let start = performance.now();
      for (let i = 0; i < SEQ; i++) verify(c, await c.run(target, check && i === 0));
      const seq = performance.now() - start;
      let conc = Number.NaN;
      if (options.concurrent) {
        start = performance.now();
        const all = await Promise.all(Array.from({ length: CONC }, () => c.run(target, false)));
        conc = performance.now() - start;
        for (const o of all) verify(c, o);
      }
      if (round >= WARMUP) {
        seqTimes.get(c.name)!.push(seq);
        concTimes.get(c.name)!.push(conc);
      }
    }
  }
  const mb = shape.bytes / 1e6;
  console.log(
    `\n${label}: ${fmt(mb, 2)} MB, ${int(shape.events)} events a stream; ${SEQ} sequential` +
      `${options.concurrent ? `, then ${CONC} concurrent` : ''}; median of ${ROUNDS} rounds`,
  );
  const result = new Map<string, { seq: number; conc: number }>();
  const rate = (streams: number, ms: number) => [
    fmt((streams * mb) / (ms / 1000)),
    int((streams * shape.events) / (ms / 1000)),
  ];
  const rows = list.map((c) => {
    const seq = median(seqTimes.get(c.name)!);
    const conc = median(concTimes.get(c.name)!);
    result.set(c.name, { seq, conc });
    const row = [c.name, fmt(seq / SEQ), ...rate(SEQ, seq)];
    return options.concurrent ? [...row, fmt(conc), ...rate(CONC, conc)] : row;
  });
  const header = ['contender', 'ms/stream', 'MB/s', 'events/s'];
  table(options.concurrent ? [...header, `ms x${CONC}`, 'MB/s', 'events/s'] : header, rows);
  const verdict = (r: number) => (r >= 0.95 ? 'met' : 'MISSED');
  for (const [ours, base] of options.pairs) {
    const a = result.get(ours)!;
    const b = result.get(base)!;
    const seq = b.seq / a.seq;
    const conc = b.conc / a.conc;
    console.log(
      `${ours}/${base} throughput: ${SEQ} sequential ${fmt(seq, 2)}x (${verdict(seq)})` +
        (options.concurrent ? `, ${CONC} concurrent ${fmt(conc, 2)}x (${verdict(conc)})` : '') +
        '  [target >= 0.95x]',
    );
  }
  if (options.perEvent) {
    const us = (name: string) => ((result.get(name)!.seq / SEQ) * 1000) / shape.events;
    console.log(
      `per event: SDK ${fmt(us('SDK'), 2)} us, engine alone ${fmt(us('engine'), 2)} us, ` +
        `lifeline adds ${fmt(us('SDK + lifeline') - us('SDK'), 2)} us to the SDK's`,
    );
  }
}

async function firstToken(list: Contender[]): Promise<void> {
  const target = { scenario: SHORT, model: OPUS };
  const picked = list.filter((c) =>
    ['SDK', 'SDK + lifeline', 'fetch', 'fetch + engine'].includes(c.name),
  );
  const samples = new Map<string, number[]>(picked.map((c) => [c.name, []]));
  const warm = 20;
  for (let i = 0; i < warm + TTFT_SAMPLES; i++) {
    for (let k = 0; k < picked.length; k++) {
      const c = picked[(i + k) % picked.length]!;
      const o = await c.run(target, false);
      if (o.first < 0) throw new Error(`${c.name}: no first token`);
      if (i >= warm) samples.get(c.name)!.push(o.first);
    }
  }
  console.log(
    `\nfirst token (short text, ${TTFT_SAMPLES} requests each, one at a time, interleaved): ` +
      'SDK rows to the first text_delta event, fetch rows to the first body byte',
  );
  table(
    ['contender', 'p50 ms', 'p90 ms', 'p99 ms'],
    picked.map((c) => {
      const s = samples.get(c.name)!;
      return [c.name, fmt(median(s), 3), fmt(quantile(s, 0.9), 3), fmt(quantile(s, 0.99), 3)];
    }),
  );
  const added = (ours: string, base: string) => {
    const a = samples.get(ours)!;
    const b = samples.get(base)!;
    const p50 = median(a) - median(b);
    const p99 = quantile(a, 0.99) - quantile(b, 0.99);
    console.log(
      `${ours} added first token: p50 ${fmt(p50, 3)} ms (${p50 < 1 ? 'met' : 'MISSED'}), ` +
        `p99 ${fmt(p99, 3)} ms  [target < 1 ms]`,
    );
  };
  added('SDK + lifeline', 'SDK');
  added('fetch + engine', 'fetch');
}

// ---------------------------------------------------------------------------------------------

// One dispatcher for every contender (fetch reads undici's global dispatcher too). Idle
// keep-alive sockets are dropped after 1 s, well inside the mock's 5 s: with the default
// (the server's hint minus 1 s), a loaded machine can reuse a socket the mock is closing
// and fail a POST with ECONNRESET.
setGlobalDispatcher(new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 }));

const SECTIONS = new Set(
  (process.env.RESUME_BENCH_SECTIONS ?? 'memory,network,ttft,recovery').split(','),
);
const seed = Number(
  process.env.RESUME_BENCH_SEED ?? (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) >>> 0,
);
const fixtures = makeFixtures(seed, DELTAS);
const mock = await startMock({ scenarios: fixtures.scenarios });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
try {
  console.log(
    `Resume benchmark: seed ${seed}, in-process mock on ${mock.url}, node ${process.version}, ` +
      `${availableParallelism()} cores, load average ${load()}; ${WARMUP} warm-up + ${ROUNDS} rounds`,
  );
  const targets: Array<[Target, string]> = [
    [{ scenario: LONG, model: OPUS }, `long text (${int(DELTAS)} text deltas)`],
    [{ scenario: TOOL, model: OPUS }, `tool input (~${int(TOOL_INPUT_CHARS / 1000)} KB input)`],
  ];
  const between = () => {
    mock.reset();
    gc();
  };
  if (SECTIONS.has('memory')) {
    const list = memoryContenders(
      mock,
      targets.map(([t]) => t.scenario),
    );
    for (const [target, label] of targets) {
      await throughput(mock, list, target, `${label}, in-memory body (no socket, CPU only)`, {
        concurrent: false,
        pairs: [['SDK + lifeline', 'SDK']],
        perEvent: true,
      });
      between();
    }
  }
  if (SECTIONS.has('network')) {
    const list = contenders(mock, fixtures);
    for (const [target, label] of targets) {
      await throughput(mock, list, target, `${label}, over loopback from the mock`, {
        concurrent: true,
        pairs: [
          ['SDK + lifeline', 'SDK'],
          ['fetch + engine', 'fetch'],
          ['undici + engine', 'undici'],
        ],
      });
      between();
    }
  }
  if (SECTIONS.has('ttft')) {
    await firstToken(contenders(mock, fixtures));
    between();
  }
  if (SECTIONS.has('recovery')) {
    await withoutDeprecationWarnings(() => recovery(mock, fixtures, seed));
  }
  console.log(`load average at the end: ${load()}`);
} finally {
  await mock.close();
}
