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
import Anthropic from '@anthropic-ai/sdk';
import type { Middleware } from '@anthropic-ai/sdk';
import { Agent, request as undiciRequest, setGlobalDispatcher } from 'undici';
import { runStream, type TraceSink, type UpstreamResponse } from '../src/engine/index.js';
import { lifelineMiddleware } from '../src/integrations/index.js';
import { type MockServer, parseScenario, type Scenario, startMock } from '../src/mock/index.js';
import type { MessageRequestBody, RecoveryReport } from '../src/resume/index.js';
import { makeRng, randomInt } from './fixtures.js';

const WARMUP = 2;
const ROUNDS = Number(process.env.RESUME_BENCH_ROUNDS ?? 7);
const DELTAS = Number(process.env.RESUME_BENCH_DELTAS ?? 10_000);
const SEQ = Number(process.env.RESUME_BENCH_SEQ ?? 5);
const CONC = Number(process.env.RESUME_BENCH_CONC ?? 20);
const TTFT_SAMPLES = Number(process.env.RESUME_BENCH_TTFT_SAMPLES ?? 400);
const RECOVERIES = Number(process.env.RESUME_BENCH_RECOVERIES ?? 50);
const RECOVERY_WARMUP = 5;
const RECOVERY_DELTAS = 4_000;
const TOOL_INPUT_CHARS = 600_000;
const TEXT_CHUNK = 8;
const JSON_CHUNK = 64;
const API_KEY = 'bench-key';

const OPUS = 'claude-opus-4-6';
const SONNET = 'claude-sonnet-4-5';
const LONG = 'bench-long-text';
const TOOL = 'bench-tool-input';
const SHORT = 'bench-short-text';
const RECOVER_OPUS = 'bench-recover-opus';
const RECOVER_SONNET = 'bench-recover-sonnet';

// ---------------------------------------------------------------------------------------------
// Fixtures

const WORDS = [
  'the',
  'stream',
  'of',
  'tokens',
  'arrives',
  'as',
  'small',
  'deltas',
  'and',
  'a',
  'client',
  'must',
  'render',
  'them',
  'without',
  'delay',
  'while',
  'the',
  'engine',
  'keeps',
  'enough',
  'state',
  'to',
  'resume',
  'when',
  'socket',
  'closes',
  'early',
  'function',
  'return',
  'value',
  'buffer',
];
const NON_ASCII = ['é', 'ü', 'ß', '→', '日本語', '中文', '😀', '🚀', '€', 'ñ'];

/** Prose of at least `codePoints` code points: words, punctuation, paragraphs, a little non-ASCII. */
function prose(rng: () => number, codePoints: number): string {
  const parts: string[] = ['Here'];
  let size = 4;
  while (size < codePoints) {
    const r = rng();
    const word =
      r < 0.01
        ? NON_ASCII[randomInt(rng, 0, NON_ASCII.length - 1)]!
        : WORDS[randomInt(rng, 0, WORDS.length - 1)]!;
    const sep = r > 0.97 ? '.\n\n' : r > 0.9 ? ', ' : ' ';
    parts.push(sep, word);
    size += sep.length + [...word].length;
  }
  // Exactly `codePoints` code points, ending in a word character (no held trailing space).
  return `${[...parts.join('')].slice(0, codePoints - 1).join('')}.`;
}

/** A source file as a tool input: code-like lines with quotes, backslashes and tabs to escape. */
function sourceFile(rng: () => number, chars: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < chars; i++) {
    const a = WORDS[randomInt(rng, 0, WORDS.length - 1)]!;
    const b = WORDS[randomInt(rng, 0, WORDS.length - 1)]!;
    const line =
      i % 7 === 0
        ? `export function ${a}${i}(input: string): string {`
        : i % 7 === 6
          ? '}'
          : `\tconst ${a}_${i} = "${b} \\"${a}\\" ${b}" + input; // ${a} ${b}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

interface Fixtures {
  scenarios: Scenario[];
  /** Text of each text scenario, to check what a client saw. */
  texts: Map<string, string>;
}

function message(id: string, model: string, content: unknown[], stopReason: string) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 25, output_tokens: 1000 },
  };
}

function makeFixtures(seed: number): Fixtures {
  const rng = makeRng(seed);
  const texts = new Map<string, string>();
  const scenarios: Scenario[] = [];
  const textScenario = (name: string, model: string, deltas: number) => {
    const text = prose(rng, deltas * TEXT_CHUNK);
    texts.set(name, text);
    scenarios.push(
      parseScenario(
        {
          name,
          chunking: { text: TEXT_CHUNK, json: JSON_CHUNK },
          message: message(`msg_bench_${name}`, model, [{ type: 'text', text }], 'end_turn'),
        },
        `${name}.json`,
      ),
    );
  };
  textScenario(LONG, OPUS, DELTAS);
  textScenario(SHORT, OPUS, 200);
  textScenario(RECOVER_OPUS, OPUS, RECOVERY_DELTAS);
  textScenario(RECOVER_SONNET, SONNET, RECOVERY_DELTAS);
  scenarios.push(
    parseScenario(
      {
        name: TOOL,
        chunking: { text: TEXT_CHUNK, json: JSON_CHUNK },
        message: message(
          'msg_bench_tool',
          OPUS,
          [
            { type: 'text', text: "I'll write the whole module to disk in one go." },
            {
              type: 'tool_use',
              id: 'toolu_bench_01',
              name: 'write_file',
              input: {
                path: 'src/generated/module.ts',
                content: sourceFile(rng, TOOL_INPUT_CHARS),
              },
            },
          ],
          'tool_use',
        ),
      },
      `${TOOL}.json`,
    ),
  );
  return { scenarios, texts };
}

// ---------------------------------------------------------------------------------------------
// Statistics and printing

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: p99 of 50 samples is the largest.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const median = (values: readonly number[]) => quantile(values, 0.5);

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect !== undefined) collect();
}

// ---------------------------------------------------------------------------------------------
// Contenders

const PROMPT = [{ role: 'user' as const, content: 'Write it.' }];

function params(model: string) {
  return { model, max_tokens: 64_000, messages: PROMPT };
}

interface StreamOutcome {
  /** Events the consumer saw (the SDK drops pings) or body bytes read. */
  count: number;
  /** ms from the call to the first text delta (SDK) or the first body byte (fetch). */
  first: number;
}

interface Target {
  scenario: string;
  model: string;
}

async function sdkStream(
  client: Anthropic,
  target: Target,
  check?: (final: Anthropic.Beta.BetaMessage) => void,
): Promise<StreamOutcome> {
  const start = performance.now();
  const stream = client.beta.messages.stream(params(target.model), {
    headers: { 'x-mock-scenario': target.scenario },
  });
  let count = 0;
  let first = -1;
  for await (const event of stream) {
    count++;
    if (first < 0 && event.type === 'content_block_delta' && event.delta.type === 'text_delta')
      first = performance.now() - start;
  }
  if (check !== undefined) check(await stream.finalMessage());
  return { count, first };
}

function requestHeaders(scenario: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-api-key': API_KEY,
    'anthropic-version': '2023-06-01',
    'x-mock-scenario': scenario,
  };
}

/** Reads a body to its end, counting bytes; `first` is when its first byte came. */
async function readAll(
  body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  start: number,
): Promise<StreamOutcome> {
  let count = 0;
  let first = -1;
  if ('getReader' in body) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (first < 0) first = performance.now() - start;
      count += value.length;
    }
    return { count, first };
  }
  for await (const chunk of body) {
    if (first < 0) first = performance.now() - start;
    count += chunk.length;
  }
  return { count, first };
}

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
// 2. Recovery latency

interface Marks {
  fail: number;
  headers: number;
  event: number;
  content: number;
  down: number;
}

const CONTENT_EVENT = Buffer.from('event: content_block_');

/** Whether a downstream chunk carries content (not only keep-alive comments, pings or heads). */
function carriesContent(chunk: Uint8Array): boolean {
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes(CONTENT_EVENT);
}

/** The outermost middleware: timestamps the first content lifeline delivers after the failure. */
function downstreamClock(marks: Marks): Middleware {
  return async (request, next) => {
    const response = await next(request);
    if (response.body === null) return response;
    const reader = response.body.getReader();
    const clocked = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        if (!Number.isNaN(marks.fail) && Number.isNaN(marks.down) && carriesContent(value))
          marks.down = performance.now();
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(clocked, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** ms from `fetch` to the first body byte of `body` sent as `run` (then read to the end). */
async function mockFirstByte(mock: MockServer, scenario: string, run: string, body: string) {
  const start = performance.now();
  const r = await fetch(`${mock.url}/v1/messages`, {
    method: 'POST',
    headers: { ...requestHeaders(scenario), 'x-mock-run': run },
    body,
  });
  if (r.status !== 200 || r.body === null)
    throw new Error(`mock answered ${r.status}: ${await r.text()}`);
  return (await readAll(r.body, start)).first;
}

interface RecoverySample {
  total: number;
  toHeaders: number;
  toEvent: number;
  toContent: number;
  freshTtfb: number;
  replayTtfb: number;
  strategy: string;
}

/** One client per continuation form, reporting into `marks` (recoveries run one at a time). */
function recoveryClient(mock: MockServer, marks: Marks, reports: RecoveryReport[]): Anthropic {
  const trace: TraceSink = {
    attempt(info) {
      if (info.attempt === 2 && info.status !== undefined) marks.headers = performance.now();
    },
    event(info) {
      if (info.attempt !== 2) return;
      if (Number.isNaN(marks.event)) marks.event = performance.now();
      if (Number.isNaN(marks.content) && info.type.startsWith('content_block_'))
        marks.content = performance.now();
    },
    failure() {
      if (Number.isNaN(marks.fail)) marks.fail = performance.now();
    },
    end() {},
  };
  return new Anthropic({
    apiKey: API_KEY,
    baseURL: mock.url,
    maxRetries: 0,
    middleware: [
      downstreamClock(marks),
      lifelineMiddleware({ logger: false, trace, onReport: (r) => reports.push(r) }),
    ],
  });
}

async function recoverOnce(
  mock: MockServer,
  client: Anthropic,
  marks: Marks,
  reports: RecoveryReport[],
  form: { scenario: string; model: string; text: string },
  rng: () => number,
  run: string,
): Promise<RecoverySample> {
  const { scenario, model, text } = form;
  const events = mock.renderedEvents(scenario);
  // Events: message_start, ping, content_block_start, the text deltas, ...
  const event = randomInt(rng, 3 + 50, 3 + RECOVERY_DELTAS - 50);
  const bytes = randomInt(rng, 1, events[event]!.length - 2);
  marks.fail = marks.headers = marks.event = marks.content = marks.down = Number.NaN;
  reports.length = 0;
  const final = await client.beta.messages
    .stream(params(model), {
      headers: {
        'x-mock-scenario': scenario,
        'x-mock-run': run,
        'x-mock-faults': JSON.stringify({ '1': { kind: 'drop', event, bytes } }),
      },
    })
    .finalMessage();
  const got = final.content[0]?.type === 'text' ? final.content[0].text : '';
  if (got !== text || final.content.length !== 1)
    throw new Error(`${scenario}: recovered text differs (drop at event ${event} + ${bytes} B)`);
  const report = reports[0];
  if (report?.outcome !== 'recovered' || report.attempts.length !== 2)
    throw new Error(`${scenario}: expected one recovery, got ${report?.outcome}`);
  if ([marks.fail, marks.headers, marks.event, marks.content, marks.down].some(Number.isNaN))
    throw new Error(`${scenario}: a clock did not fire`);

  // The mock's own time to first byte, now: a fresh request, and the continuation replayed.
  const sent = mock.requests.find((r) => r.runId === run && r.attempt === 2);
  if (sent === undefined) throw new Error(`${scenario}: the mock has no record of attempt 2`);
  const freshTtfb = await mockFirstByte(
    mock,
    scenario,
    `${run}-fresh`,
    JSON.stringify({ ...params(model), stream: true }),
  );
  const replayTtfb = await mockFirstByte(
    mock,
    scenario,
    `${run}-replay`,
    JSON.stringify(sent.body),
  );
  return {
    total: marks.down - marks.fail,
    toHeaders: marks.headers - marks.fail,
    toEvent: marks.event - marks.fail,
    toContent: marks.content - marks.fail,
    freshTtfb,
    replayTtfb,
    strategy: report.strategies.join(','),
  };
}

/** Runs `fn` with the SDK's per-request "model is deprecated" console warning filtered out. */
async function withoutDeprecationWarnings<T>(fn: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('is deprecated and will reach')) return;
    warn(...args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

async function recovery(mock: MockServer, fixtures: Fixtures, seed: number): Promise<void> {
  const forms = [
    { label: `${OPUS} (continuation turn)`, scenario: RECOVER_OPUS, model: OPUS },
    { label: `${SONNET} (prefill)`, scenario: RECOVER_SONNET, model: SONNET },
  ].map((f) => {
    const marks: Marks = {
      fail: Number.NaN,
      headers: Number.NaN,
      event: Number.NaN,
      content: Number.NaN,
      down: Number.NaN,
    };
    const reports: RecoveryReport[] = [];
    return {
      ...f,
      text: fixtures.texts.get(f.scenario)!,
      marks,
      reports,
      client: recoveryClient(mock, marks, reports),
      samples: [] as RecoverySample[],
    };
  });
  const rng = makeRng(seed ^ 0xd20b);
  for (let i = 0; i < RECOVERY_WARMUP + RECOVERIES; i++) {
    // Alternate which form goes first, so drift affects both alike.
    for (const form of i % 2 === 0 ? forms : [...forms].reverse()) {
      const run = `recover-${seed}-${form.scenario}-${i}`;
      const sample = await recoverOnce(mock, form.client, form.marks, form.reports, form, rng, run);
      if (i >= RECOVERY_WARMUP) form.samples.push(sample);
    }
    // The request log keeps every body: forget it as we go.
    mock.reset();
  }
  console.log(
    `\nrecovery: ${RECOVERIES} drops per form (random text_delta, random bytes into it), ` +
      `${int(RECOVERY_DELTAS)}-delta text; ms after the failure (socket close seen by the engine); p50 / p99`,
  );
  const pq = (s: RecoverySample[], pick: (x: RecoverySample) => number) => {
    const v = s.map(pick);
    return `${fmt(median(v), 2)} / ${fmt(quantile(v, 0.99), 2)}`;
  };
  table(
    [
      'form [strategy]',
      'resumed headers',
      '1st event in',
      '1st content in',
      '1st content out',
      'mock TTFB fresh',
      'mock TTFB same req',
      'out - same req',
    ],
    forms.map((f) => [
      `${f.label} [${[...new Set(f.samples.map((x) => x.strategy))].join('/')}]`,
      pq(f.samples, (x) => x.toHeaders),
      pq(f.samples, (x) => x.toEvent),
      pq(f.samples, (x) => x.toContent),
      pq(f.samples, (x) => x.total),
      pq(f.samples, (x) => x.freshTtfb),
      pq(f.samples, (x) => x.replayTtfb),
      pq(f.samples, (x) => x.total - x.replayTtfb),
    ]),
  );
  for (const f of forms) {
    const totals = f.samples.map((x) => x.total);
    const fresh = median(f.samples.map((x) => x.freshTtfb));
    const added = f.samples.map((x) => x.total - x.replayTtfb);
    console.log(
      `${f.label}: recovery p50 ${fmt(median(totals), 2)} ms, p99 ${fmt(quantile(totals, 0.99), 2)} ms; ` +
        `minus the mock's fresh first byte (p50 ${fmt(fresh, 2)} ms): p50 ${fmt(median(totals) - fresh, 2)} ms; ` +
        `minus the same request's first byte: p50 ${fmt(median(added), 2)} ms, p99 ${fmt(quantile(added, 0.99), 2)} ms`,
    );
  }
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
const fixtures = makeFixtures(seed);
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
